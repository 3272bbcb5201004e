"""A payment email has one text, shown in its recipient's language: names, labels and the sentence of
what the payment did are given in both languages and resolved when the email is sent. The payment box
of a payable's page renders what its selector read, with no query of its own."""

import pytest
from django.template import Context, Template

from marketplace.core.links import absolute_url
from marketplace.payments import selectors, services
from marketplace.payments.models import Provider
from marketplace.payments.services import invoices

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "name", "sentence"),
    [
        ("en", "East Test Institute", "Booking #{pk} is confirmed."),
        ("zh-hans", "华东测试研究院", "预约 #{pk} 已确认。"),
    ],
)
def test_the_payment_received_email_speaks_its_recipients_language(
    invoice_mode,
    booking,
    buyer,
    facility_manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
    language,
    name,
    sentence,
):
    buyer.preferred_language = language
    buyer.save(update_fields=["preferred_language"])
    payment = services.start_payment(booking, actor=buyer, provider=Provider.INVOICE)
    with django_capture_on_commit_callbacks(execute=True):
        invoices.mark_invoice_paid(payment, actor=facility_manager, reference="bank 1")
    [email] = [m for m in mailoutbox if m.to == [buyer.email] and "PAY-" in m.subject and payment.number in m.subject]
    assert name in email.body
    assert sentence.format(pk=booking.pk) in email.body
    assert absolute_url("payments:detail", payment.pk) in email.body


def test_the_payment_box_given_what_it_shows_queries_nothing(invoice_mode, booking, buyer, django_assert_num_queries):
    box = selectors.payment_box(booking)
    template = Template("{% load payments %}{% payment_box box %}")
    with django_assert_num_queries(0):
        html = template.render(Context({"box": box}))
    assert f"/payments/booking/{booking.pk}/" in html
