"""Invoice mode: the buyer gets a printable invoice, institute staff mark it paid."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from equipment import services as equipment_services
from equipment.models import BookingStatus
from equipment.payable import refund_percent
from ip_listings.models import AgreementStatus
from marketplace.accounts.models import Role
from marketplace.payments import gateway, services
from marketplace.payments.models import Payment, PaymentStatus, Provider
from marketplace.payments.services import invoices
from marketplace.statistics.models import TransferEvent
from tests.factories import make_member
from tests.payments.conftest import make_event, pay_with_card, slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice_payment(invoice_mode, client, buyer, booking, institute, enterprise):
    institute.bank_details = "中国工商银行 上海分行\n账号 1001 2345 6789 0000"
    institute.credit_code = "12310000425006117P"
    institute.address = "长宁路 865 号"
    institute.save()
    enterprise.credit_code = "91320594MA1XYZ1234"
    enterprise.save()
    client.force_login(buyer)
    response = client.post(f"/payments/booking/{booking.pk}/", {"provider": "invoice"})
    assert response.status_code == 302
    return Payment.objects.for_subject(booking).get()


def test_in_invoice_mode_only_invoice_is_offered(invoice_mode, client, buyer, booking):
    client.force_login(buyer)
    page = client.get(f"/payments/booking/{booking.pk}/")
    assert page.status_code == 200
    assert b'value="invoice"' in page.content and b'value="stripe"' not in page.content
    client.post(f"/payments/booking/{booking.pk}/", {"provider": "stripe"})
    assert not Payment.objects.exists()
    with pytest.raises(ValidationError):
        services.start_payment(booking, actor=buyer, provider=Provider.STRIPE)


@pytest.mark.parametrize(("language", "question"), [("zh-hans", "您将如何付款？<"), ("en", "How will you pay?<")])
def test_the_payment_question_ends_with_its_question_mark_alone(
    invoice_mode, client, buyer, booking, language, question
):
    client.force_login(buyer)
    client.cookies["language"] = language
    html = client.get(f"/payments/booking/{booking.pk}/").content.decode()
    assert question in html


def test_a_buyer_gets_a_printable_invoice_with_both_parties(invoice_payment, client, institute, enterprise):
    assert invoice_payment.provider == Provider.INVOICE and invoice_payment.status == PaymentStatus.PENDING
    assert invoice_payment.hold_until is None
    assert invoice_payment.amount == invoice_payment.subject.price_amount
    assert invoice_payment.institute == institute and invoice_payment.enterprise == enterprise
    html = client.get(f"/payments/{invoice_payment.pk}/invoice/").content.decode()
    for text in (
        "账号 1001 2345 6789 0000",
        "12310000425006117P",
        "长宁路 865 号",
        enterprise.name,
        "91320594MA1XYZ1234",
        invoice_payment.number,
        "no-print",
    ):
        assert text in html
    detail = client.get(f"/payments/{invoice_payment.pk}/").content.decode()
    assert "js.stripe.com" not in detail


def test_the_facility_manager_marks_the_invoice_paid_and_the_booking_is_confirmed(
    invoice_payment, client, facility_manager, django_capture_on_commit_callbacks, mailoutbox, buyer
):
    client.force_login(facility_manager)
    assert b"mark-paid" in client.get(f"/payments/{invoice_payment.pk}/").content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/payments/{invoice_payment.pk}/mark-paid/", {"reference": "BANK-2026-001"})
    assert response.status_code == 302
    invoice_payment.refresh_from_db()
    booking = invoice_payment.subject
    booking.refresh_from_db()
    assert invoice_payment.status == PaymentStatus.SUCCEEDED
    assert invoice_payment.reference == f"{invoice_payment.number} BANK-2026-001"
    assert booking.status == BookingStatus.CONFIRMED and booking.confirmation_reference == invoice_payment.reference
    event = invoice_payment.events.get(to_status=PaymentStatus.SUCCEEDED)
    assert event.actor == facility_manager and event.from_status == PaymentStatus.PENDING
    ledger = TransferEvent.objects.get(kind=TransferEvent.Kind.PAYMENT_RECEIVED)
    assert ledger.amount == invoice_payment.amount and ledger.institute_id == invoice_payment.institute_id
    assert any(m.to == [buyer.email] and invoice_payment.number in m.subject for m in mailoutbox)
    # Marking it again changes nothing.
    invoices.mark_invoice_paid(invoice_payment, actor=facility_manager)
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.PAYMENT_RECEIVED).count() == 1


def test_platform_staff_may_mark_an_invoice_paid(invoice_payment, staff_user):
    invoices.mark_invoice_paid(invoice_payment, actor=staff_user)
    invoice_payment.refresh_from_db()
    assert invoice_payment.status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize("who", ["buyer", "tto", "researcher", "other_tto", "other_buyer"])
def test_only_the_facility_staff_mark_a_booking_invoice_paid(invoice_payment, request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        invoices.mark_invoice_paid(invoice_payment, actor=user)
    invoice_payment.refresh_from_db()
    assert invoice_payment.status == PaymentStatus.PENDING


def test_a_card_payment_is_not_marked_paid_by_hand(invoice_payment, facility_manager):
    Payment.objects.filter(pk=invoice_payment.pk).update(provider=Provider.STRIPE)
    with pytest.raises(ValidationError):
        invoices.mark_invoice_paid(invoice_payment, actor=facility_manager)


@pytest.mark.parametrize("who", ["other_buyer", "other_tto", "researcher"])
def test_another_organisations_payment_answers_404(invoice_payment, client, request, who):
    client.force_login(request.getfixturevalue(who))
    for url in ("", "invoice/", "return/"):
        assert client.get(f"/payments/{invoice_payment.pk}/{url}").status_code == 404
    assert client.post(f"/payments/{invoice_payment.pk}/mark-paid/").status_code == 404
    assert client.post(f"/payments/{invoice_payment.pk}/use-invoice/").status_code == 404
    assert client.get("/payments/999999/").status_code == 404
    assert client.get("/payments/not-a-number/").status_code == 404


def test_another_enterprises_booking_cannot_be_paid(invoice_mode, client, other_buyer, booking):
    client.force_login(other_buyer)
    assert client.get(f"/payments/booking/{booking.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.start_payment(booking, actor=other_buyer)


def test_anonymous_visitors_are_sent_to_sign_in(invoice_payment, client):
    client.logout()
    assert client.get(f"/payments/{invoice_payment.pk}/").status_code == 302


def test_a_booking_not_yet_approved_cannot_be_paid(invoice_mode, instrument, buyer, enterprise):

    start, end = slot(6)
    booking = equipment_services.request_booking(
        instrument=instrument, user=buyer, enterprise=enterprise, start=start, end=end
    )
    with pytest.raises(ValidationError):
        services.start_payment(booking, actor=buyer)


def test_one_booking_has_one_live_payment(invoice_payment, buyer, client):
    again = services.start_payment(invoice_payment.subject, actor=buyer)
    assert again.pk == invoice_payment.pk
    assert client.get(f"/payments/booking/{invoice_payment.subject_id}/")["Location"].endswith(
        f"/payments/{invoice_payment.pk}/"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            subject_kind="booking",
            subject_id=invoice_payment.subject.pk,
            institute=invoice_payment.institute,
            enterprise=invoice_payment.enterprise,
            amount=Decimal("1.00"),
            provider=Provider.INVOICE,
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": Decimal("0.00")},
        {"amount": Decimal("-1.00")},
        {"refunded_amount": Decimal("-0.01")},
        {"status": "paid-ish"},
        {"provider": "cash"},
        {"subject_kind": ""},
    ],
    ids=["zero", "negative", "negative-refund", "bad-status", "bad-provider", "no-subject"],
)
def test_the_database_refuses_invalid_payments(invoice_payment, fields):

    Payment.objects.filter(pk=invoice_payment.pk).update(status=PaymentStatus.CANCELLED)
    base = {
        "subject_kind": "booking",
        "subject_id": invoice_payment.subject_id,
        "institute": invoice_payment.institute,
        "enterprise": invoice_payment.enterprise,
        "amount": Decimal("10.00"),
        "provider": Provider.INVOICE,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(**{**base, **fields})


def test_more_refunded_than_paid_is_refused_by_the_database(invoice_payment):

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=invoice_payment.pk).update(refunded_amount=invoice_payment.amount + Decimal("0.01"))


def test_in_stripe_mode_an_enterprise_may_still_choose_invoice(stripe_mode, client, buyer, booking):
    client.force_login(buyer)
    page = client.get(f"/payments/booking/{booking.pk}/")
    assert b'value="invoice"' in page.content and b'value="stripe"' in page.content
    client.post(f"/payments/booking/{booking.pk}/", {"provider": "invoice"})
    payment = Payment.objects.for_subject(booking).get()
    assert payment.provider == Provider.INVOICE and not payment.stripe_payment_intent_id


def test_invoice_refund_on_cancellation_is_recorded(invoice_payment, facility_manager, buyer):
    invoices.mark_invoice_paid(invoice_payment, actor=facility_manager)
    services.refund_for_cancelled(invoice_payment.subject, actor=buyer, by_payee=False)
    invoice_payment.refresh_from_db()
    assert invoice_payment.status == PaymentStatus.REFUNDED
    assert invoice_payment.refunds.get().stripe_refund_id == ""


# --- pages in both languages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, expected",
    [("zh-hans", ["发票", "付款方"]), ("en", ["Invoice", "Payer (enterprise)"])],
)
def test_payment_pages_render_in_both_languages(invoice_payment, client, facility_manager, language, expected):
    client.cookies["language"] = language
    pages = [
        f"/payments/{invoice_payment.pk}/",
        f"/payments/{invoice_payment.pk}/invoice/",
        "/payments/",
        f"/payments/{invoice_payment.pk}/return/",
    ]
    html = "".join(client.get(url).content.decode() for url in pages)
    for text in expected:
        assert text in html
    client.force_login(facility_manager)
    for url in ("/payments/statements/", f"/payments/statements/{invoice_payment.institute_id}/"):
        assert client.get(url).status_code == 200


# --- the cancellation policy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hours_before_start, by_facility, expected",
    [(72, False, 100), (48, False, 100), (47, False, 50), (1, False, 50), (1, True, 100), (72, True, 100)],
)
def test_refund_policy(booking, settings, hours_before_start, by_facility, expected):
    settings.PAYMENT_LATE_CANCELLATION_REFUND_PERCENT = 50
    assert booking.instrument.cancellation_window_hours == 48
    now = booking.start - timedelta(hours=hours_before_start)

    assert refund_percent(booking, by_facility=by_facility, now=now) == expected


# --- express licences -----------------------------------------------------------------------------


def test_a_licence_is_paid_by_invoice_and_the_tto_marks_it_paid(invoice_mode, client, buyer, tto, express_agreement):

    client.force_login(buyer)
    assert client.get(f"/payments/agreement/{express_agreement.pk}/").status_code == 200
    client.post(f"/payments/agreement/{express_agreement.pk}/", {"provider": "invoice"})
    payment = Payment.objects.for_subject(express_agreement).get()
    assert payment.amount == Decimal("20000.00") and payment.institute_id == express_agreement.institute_id
    assert express_agreement.number in client.get(f"/payments/{payment.pk}/invoice/").content.decode()
    make_member  # noqa: B018 - shared factory used by other tests
    with pytest.raises(PermissionDenied):
        invoices.mark_invoice_paid(payment, actor=buyer)
    client.force_login(tto)
    client.post(f"/payments/{payment.pk}/mark-paid/", {"reference": "LIC-1"})
    express_agreement.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert express_agreement.status == AgreementStatus.ACTIVE


def test_a_facility_manager_does_not_mark_a_licence_paid(invoice_mode, buyer, facility_manager, express_agreement):
    payment = services.start_payment(express_agreement, actor=buyer)
    with pytest.raises(PermissionDenied):
        invoices.mark_invoice_paid(payment, actor=facility_manager)


def test_a_licence_paid_by_card_is_active_only_after_the_verified_event(
    stripe_mode, client, buyer, express_agreement, post_event
):

    client.force_login(buyer)
    client.post(f"/payments/agreement/{express_agreement.pk}/", {"provider": "stripe"})
    payment = Payment.objects.for_subject(express_agreement).get()
    client.get(f"/payments/{payment.pk}/")
    payment.refresh_from_db()
    assert payment.hold_until is None  # an unpaid licence reserves its scope until the TTO or buyer cancels
    intent = pay_with_card(payment.stripe_payment_intent_id)
    assert intent["amount"] == 2000000 and intent["metadata"]["agreement"] == str(express_agreement.pk)
    express_agreement.refresh_from_db()
    assert express_agreement.status == AgreementStatus.AWAITING_PAYMENT
    for _ in range(3):
        post_event(
            make_event(
                "payment_intent.succeeded", gateway.retrieve_payment_intent(intent["id"]), event_id="evt_licence_1"
            )
        )
    express_agreement.refresh_from_db()
    assert express_agreement.status == AgreementStatus.ACTIVE
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.PAYMENT_RECEIVED).count() == 1


def test_one_live_payment_per_subject_is_per_kind_and_id(invoice_mode, buyer, booking, express_agreement):
    """A booking and an agreement with the same id each have their own live payment; a second live
    payment for the same (kind, id) is refused by the database."""

    def create(kind):
        return Payment.objects.create(
            subject_kind=kind,
            subject_id=booking.pk,
            institute=booking.institute,
            enterprise=booking.enterprise,
            amount=Decimal("1.00"),
            provider=Provider.INVOICE,
        )

    create("booking")
    create("agreement")
    with pytest.raises(IntegrityError), transaction.atomic():
        create("agreement")
    Payment.objects.filter(subject_kind="agreement").update(status=PaymentStatus.CANCELLED)
    create("agreement")  # a cancelled one does not count


def test_role_helper(institute):
    assert make_member(institute, Role.FACILITY_MANAGER).memberships.count() == 1


def test_the_agreement_page_shows_the_pay_button_and_then_the_payment(invoice_mode, client, buyer, express_agreement):
    client.force_login(buyer)
    page = client.get(f"/ip/agreements/{express_agreement.pk}/").content.decode()
    assert f"/payments/agreement/{express_agreement.pk}/" in page
    payment = services.start_payment(express_agreement, actor=buyer)
    page = client.get(f"/ip/agreements/{express_agreement.pk}/").content.decode()
    assert f"/payments/{payment.pk}/" in page and payment.number in page
