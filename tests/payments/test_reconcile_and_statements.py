"""Reconciliation against localstripe with planted discrepancies; statements and Connect payouts (the
transfer is answered by a recorded Stripe response)."""

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import stripe
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from equipment.models import BookingStatus
from marketplace.payments import gateway, services
from marketplace.payments.models import Payment, PaymentStatus, Payout, PayoutAccount, Provider
from marketplace.payments.reconciliation import (
    AMOUNT_MISMATCH,
    MISSING_AT_STRIPE,
    MISSING_LOCALLY,
    REFUND_MISMATCH,
    STATUS_MISMATCH,
    reconcile,
)
from marketplace.payments.selectors import owed_to, statement
from marketplace.payments.services import checkout, payouts
from tests.payments.conftest import pay_with_card

pytestmark = pytest.mark.django_db

RECORDED = Path(__file__).parent / "recorded"


def card_payment_paid_at_stripe(buyer, booking):
    """A card payment whose PaymentIntent succeeded at Stripe while the webhook never arrived."""
    payment = services.start_payment(booking, actor=buyer, provider=Provider.STRIPE)
    intent = checkout.ensure_payment_intent(payment)
    pay_with_card(intent["id"])
    payment.refresh_from_db()
    return payment


def run(*args):
    out = StringIO()
    call_command("reconcile_payments", "--no-progress", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_reconciliation_finds_a_lost_success_event_and_repairs_it(stripe_mode, buyer, booking):
    payment = card_payment_paid_at_stripe(buyer, booking)
    output = run()
    assert STATUS_MISMATCH in output and payment.stripe_payment_intent_id in output
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # reporting changes nothing

    output = run("--repair")
    assert "(repaired)" in output
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and booking.status == BookingStatus.CONFIRMED
    assert "0 difference(s)" in run()


def test_reconciliation_reports_a_planted_amount_difference_and_never_repairs_it(stripe_mode, buyer, booking):
    payment = card_payment_paid_at_stripe(buyer, booking)
    Payment.objects.filter(pk=payment.pk).update(amount=payment.amount + Decimal("0.01"))
    findings = reconcile(repair=True)
    assert [(f.kind, f.repaired) for f in findings] == [(AMOUNT_MISMATCH, False)]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_reconciliation_finds_refunds_made_outside_the_site(stripe_mode, buyer, booking):
    payment = card_payment_paid_at_stripe(buyer, booking)
    reconcile(repair=True)
    gateway.create_refund(
        payment_intent_id=payment.stripe_payment_intent_id,
        amount=Decimal("10.00"),
        currency="CNY",
        idempotency_key="dashboard",
    )
    assert [f.kind for f in reconcile()] == [STATUS_MISMATCH]
    reconcile(repair=True)
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("10.00") and payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert reconcile() == []
    # a refund recorded as a lower amount locally is a refund mismatch
    Payment.objects.filter(pk=payment.pk).update(refunded_amount=Decimal("5.00"))
    assert [f.kind for f in reconcile()] == [REFUND_MISMATCH]


def test_reconciliation_finds_intents_missing_locally_and_payments_missing_at_stripe(
    stripe_mode, buyer, booking, approved_booking
):
    stranger = gateway.create_payment_intent(
        amount=Decimal("5.00"),
        currency="CNY",
        metadata={"payment": "00000000-0000-0000-0000-000000000000"},
        idempotency_key="stranger",
    )
    other = approved_booking(days_ahead=6)
    ghost = services.start_payment(other, actor=buyer, provider=Provider.STRIPE)
    Payment.objects.filter(pk=ghost.pk).update(stripe_payment_intent_id="pi_gone")
    kinds = {(f.kind, f.intent_id) for f in reconcile()}
    assert kinds == {(MISSING_LOCALLY, stranger["id"]), (MISSING_AT_STRIPE, "pi_gone")}


def test_repair_links_an_intent_whose_id_was_lost(stripe_mode, buyer, booking):
    payment = card_payment_paid_at_stripe(buyer, booking)
    intent_id = payment.stripe_payment_intent_id
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id="")
    findings = reconcile(repair=True)
    assert [(f.kind, f.repaired) for f in findings] == [(MISSING_LOCALLY, True)]
    payment.refresh_from_db()
    assert payment.stripe_payment_intent_id == intent_id and payment.status == PaymentStatus.SUCCEEDED


def test_reconciliation_since_skips_older_intents(stripe_mode, buyer, booking):
    card_payment_paid_at_stripe(buyer, booking)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "0 difference(s)" in run("--since", tomorrow)
    with pytest.raises(CommandError):
        run("--since", "yesterday")


def test_reconciliation_needs_stripe(invoice_mode):
    with pytest.raises(CommandError):
        run()


# --- statements ---------------------------------------------------------------------------------


def paid(booking, buyer, *, provider, amount, refunded="0.00", currency="CNY"):
    return Payment.objects.create(
        subject_kind="booking",
        subject_id=booking.pk,
        institute=booking.institute,
        enterprise=booking.enterprise,
        created_by=buyer,
        amount=Decimal(amount),
        refunded_amount=Decimal(refunded),
        currency=currency,
        provider=provider,
        status=PaymentStatus.PARTIALLY_REFUNDED if Decimal(refunded) else PaymentStatus.SUCCEEDED,
        paid_at=timezone.now(),
        stripe_payment_intent_id=f"pi_s_{booking.pk}" if provider == "stripe" else "",
    )


@pytest.fixture
def statement_payments(approved_booking, buyer):
    return [
        paid(approved_booking(days_ahead=5), buyer, provider="stripe", amount="1000.00", refunded="250.50"),
        paid(approved_booking(days_ahead=6), buyer, provider="invoice", amount="400.00"),
        paid(approved_booking(days_ahead=7), buyer, provider="stripe", amount="99.99", currency="USD"),
    ]


def test_a_statement_totals_gross_refunds_net_and_outstanding_per_currency(statement_payments, institute):

    today = timezone.localdate()
    result = statement(institute, today, today + timedelta(days=1))
    totals = {t.currency: t for t in result.totals}
    cny = totals["CNY"]
    assert (cny.gross, cny.refunds, cny.net) == (Decimal("1400.00"), Decimal("250.50"), Decimal("1149.50"))
    assert (cny.by_invoice, cny.by_card, cny.paid_out) == (Decimal("400.00"), Decimal("749.50"), Decimal("0"))
    assert cny.outstanding == Decimal("749.50")  # invoices are paid to the institute directly
    assert totals["USD"].outstanding == Decimal("99.99")
    assert statement(institute, today + timedelta(days=1), today + timedelta(days=2)).payments == []


def test_the_statement_page_and_csv(statement_payments, client, tto, institute):
    client.force_login(tto)
    page = client.get(f"/payments/statements/{institute.pk}/")
    assert page.status_code == 200 and "749.50" in page.content.decode()
    csv_response = client.get(f"/payments/statements/{institute.pk}/?format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    text = csv_response.content.decode("utf-8-sig")
    assert "1000.00" in text and "250.50" in text and "749.50" in text and "USD" in text


@pytest.mark.parametrize("who", ["buyer", "other_tto", "researcher"])
def test_another_institutes_statement_answers_404(statement_payments, client, institute, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/payments/statements/{institute.pk}/").status_code == 404
    assert client.get(f"/payments/statements/{institute.pk}/?format=csv").status_code == 404


class RecordedStripe(stripe.HTTPClient):
    """Answers Stripe API calls with a recorded response; keeps the requests it was sent."""

    name = "recorded"

    def __init__(self, body, status=200):
        super().__init__()
        self.body, self.status, self.requests = body, status, []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append((method, url, headers, post_data))
        return self.body, self.status, {"Request-Id": "req_recorded"}


def test_a_payout_transfers_what_is_owed_to_the_connect_account(
    statement_payments, institute, staff_user, stripe_mode, monkeypatch, client
):
    body = json.loads((RECORDED / "transfer.json").read_text())
    body["amount"] = 74950
    recorded = RecordedStripe(json.dumps(body))
    monkeypatch.setattr(gateway, "http_client_override", recorded)
    PayoutAccount.objects.create(institute=institute, stripe_account_id="acct_1QyZ7nPq2xYw9AbC")
    client.force_login(staff_user)
    assert client.post(f"/payments/statements/{institute.pk}/pay-out/", {"currency": "CNY"}).status_code == 302
    payout = Payout.objects.get()
    assert (payout.amount, payout.currency, payout.status) == (Decimal("749.50"), "CNY", Payout.Status.PAID)
    assert payout.stripe_transfer_id == "tr_1QyZ8kLkdIwHu7ix0zXo8aYb"
    method, url, headers, post_data = recorded.requests[0]
    assert method == "post" and url.endswith("/v1/transfers")
    assert (
        "amount=74950" in post_data and "currency=cny" in post_data and "destination=acct_1QyZ7nPq2xYw9AbC" in post_data
    )
    assert headers["Idempotency-Key"] == f"payout-{payout.uid}"
    with pytest.raises(ValidationError):
        payouts.pay_out(institute, currency="CNY", actor=staff_user)  # nothing owed any more


def test_a_refused_transfer_is_recorded_as_failed_and_still_owed(
    statement_payments, institute, staff_user, stripe_mode, monkeypatch
):
    recorded = RecordedStripe((RECORDED / "transfer_error.json").read_text(), status=400)
    monkeypatch.setattr(gateway, "http_client_override", recorded)
    PayoutAccount.objects.create(institute=institute, stripe_account_id="acct_1QyZ7nPq2xYw9AbC")
    with pytest.raises(ValidationError):
        payouts.pay_out(institute, currency="CNY", actor=staff_user)
    assert Payout.objects.get().status == Payout.Status.FAILED

    assert owed_to(institute, "CNY") == Decimal("749.50")


def test_without_a_connect_account_what_is_owed_is_listed(statement_payments, institute, staff_user, stripe_mode):
    with pytest.raises(ValidationError):
        payouts.pay_out(institute, currency="CNY", actor=staff_user)
    assert not Payout.objects.exists()
