"""PDF documents as their readers get them: the agreement, the invoice, the booking confirmation and the
institute statement, in the reader's language, read back as text. (In the security tests' world: who may
download each is in the access matrix; here, what each says.)"""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from marketplace.core.money import format_money
from marketplace.payments import services as payment_services
from marketplace.payments.services import invoices


def _pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def _get(as_role, role, url, language):
    client = as_role(role)
    client.cookies["language"] = language
    return client.get(url)


@pytest.mark.parametrize(
    "language, words",
    [
        ("en", ["Technology licence agreement", "Acme Alpha Ltd", "Xanthe Materials Institute", "Page 1 of"]),
        ("zh-hans", ["技术许可合同", "艾克米阿尔法有限公司", "克桑材料研究院", "第 1 页"]),
    ],
)
def test_the_agreement_pdf_holds_its_frozen_terms_in_the_readers_language(world, db, as_role, language, words):
    agreement = world.x.agreement_active
    text = _pdf_text(_get(as_role, "buyer_a", reverse("ip_listings:agreement_download", args=[agreement.pk]), language))
    assert agreement.number in text
    assert format_money(agreement.terms["price_amount"], agreement.terms["currency"]) in text
    for word in words:
        assert word in text


@pytest.mark.parametrize(
    "language, words",
    [("en", ["Invoice", "Xanthe Materials Institute", "Acme Alpha Ltd"]), ("zh-hans", ["发票", "克桑材料研究院"])],
)
def test_the_invoice_pdf_names_payee_payer_and_amount(world, db, as_role, language, words):
    payment = world.x.payment
    text = _pdf_text(_get(as_role, "buyer_a", reverse("payments:invoice_pdf", args=[payment.pk]), language))
    assert payment.number in text
    assert format_money(payment.amount, payment.currency) in text
    for word in words:
        assert word in text


def test_a_cancelled_invoice_pdf_says_it_is_void(world, db, as_role):
    payment = world.x.payment
    payment_services.cancel_open_payments(payment.subject, actor=world.x.people.buyer)
    text = _pdf_text(_get(as_role, "buyer_a", reverse("payments:invoice_pdf", args=[payment.pk]), "en"))
    assert "Void" in text


@pytest.mark.parametrize(
    "language, words", [("en", ["Booking confirmation", "Instrument X"]), ("zh-hans", ["预约确认书", "仪器 X"])]
)
@pytest.mark.parametrize("role", ["buyer_a", "manager_x"])
def test_the_booking_confirmation_pdf_for_buyer_and_manager(world, db, as_role, role, language, words):
    booking = world.x.booking_confirmed
    url = reverse("equipment:booking_confirmation", args=[booking.pk])
    text = _pdf_text(_get(as_role, role, url, language))
    assert f"#{booking.pk}" in text
    assert format_money(booking.price_amount, booking.currency) in text
    assert "PO-1" in text  # the confirmation reference
    for word in words:
        assert word in text


def test_the_booking_page_links_the_confirmation_only_once_confirmed(world, db, as_role):
    client = as_role("buyer_a")
    confirmed = world.x.booking_confirmed
    link = reverse("equipment:booking_confirmation", args=[confirmed.pk])
    assert link in client.get(reverse("equipment:booking", args=[confirmed.pk])).content.decode()
    approved = world.x.booking_approved
    html = client.get(reverse("equipment:booking", args=[approved.pk])).content.decode()
    assert "confirmation.pdf" not in html


def test_the_statement_pdf_holds_the_period_and_its_payments(world, db, as_role):
    payment = world.x.payment
    invoices.mark_invoice_paid(payment, actor=world.x.people.manager, reference="BANK-1")
    payment.refresh_from_db()
    day = payment.paid_at.date()
    url = reverse("payments:statement_pdf", args=[world.x.institute.pk]) + f"?start={day:%Y-%m-%d}&end={day:%Y-%m-%d}"
    text = _pdf_text(_get(as_role, "tto_x", url, "en"))
    assert "Xanthe Materials Institute" in text
    assert f"{day:%Y-%m-%d} to {day:%Y-%m-%d}" in text
    assert payment.number in text
    assert format_money(payment.amount, payment.currency) in text
