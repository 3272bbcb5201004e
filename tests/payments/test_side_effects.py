"""Money side effects survive a crash and Stripe failing: every call to Stripe a committed change needs
(refund, PaymentIntent cancellation, transfer) is a row written with that change, carried out after
the commit with an idempotency key, retried, and finished by reconcile_payments."""

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import stripe
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from equipment import services as equipment_services
from equipment.models import BookingStatus
from ip_listings import services as ip_services
from ip_listings.models import AgreementStatus
from marketplace.payments import gateway, services
from marketplace.payments.models import Payment, PaymentStatus, Payout, PayoutAccount, SideEffect, StripeEvent
from marketplace.payments.reconciliation import finish_side_effects
from marketplace.payments.selectors import owed_to
from marketplace.payments.services import holds, invoices, payouts, refunds, side_effects, webhooks
from tests.payments.conftest import make_event, pay_with_card
from tests.payments.test_reconcile_and_statements import RecordedStripe, statement_payments  # noqa: F401
from tests.payments.test_stripe_flow import deliver, paid_booking, start_card_payment

RECORDED = Path(__file__).parent / "recorded"


class WorkerKilled(BaseException):  # noqa: N818 - stands for the process dying, not an error to handle
    """The worker process dies here (not an Exception: nothing in the code catches it)."""


def die(*args, **kwargs):
    raise WorkerKilled


def connection_error(*args, **kwargs):
    raise stripe.APIConnectionError("Could not connect to Stripe (timeout).")


def age(effect_filter=None, minutes=10):
    """Move pending side effects and stored events `minutes` into the past (as if the crash were old)."""
    past = timezone.now() - timedelta(minutes=minutes)
    SideEffect.objects.filter(**(effect_filter or {})).update(created_at=past, next_attempt_at=past)

    StripeEvent.objects.update(received_at=past)


def reconcile():
    out = StringIO()
    call_command("reconcile_payments", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def charge_refunded_minor(intent_id):
    return gateway.retrieve_payment_intent(intent_id, expand_charge=True)["latest_charge"]["amount_refunded"]


def paid_after_release(client, buyer, booking):
    """The buyer pays at Stripe while the site has already given the slot back: the money must go back."""
    payment, _page = start_card_payment(client, buyer, booking)
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CANCELLED, hold_until=None)
    equipment_services.release_unpaid_booking(booking, note="test")
    pay_with_card(payment.stripe_payment_intent_id)
    return payment


# --- §1: the refund of money that arrived for a cancelled booking ---------------------------------


def test_a_success_for_a_cancelled_booking_is_refunded_when_stripe_retries_after_the_worker_died(
    stripe_mode, client, buyer, booking, post_event, monkeypatch
):
    payment = paid_after_release(client, buyer, booking)
    intent_id = payment.stripe_payment_intent_id
    event = make_event("payment_intent.succeeded", gateway.retrieve_payment_intent(intent_id))
    # The worker dies right after the event was stored and applied, before the refund is made.
    monkeypatch.setattr(webhooks, "execute_side_effect", die)
    with pytest.raises(WorkerKilled):
        post_event(event)
    monkeypatch.undo()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.refunded_amount == 0
    assert charge_refunded_minor(intent_id) == 0
    assert SideEffect.objects.get().status == SideEffect.Status.PENDING
    # Stripe delivers the event again: it is not "ok, already done"; the refund is made now.
    response = post_event(event)
    assert response.status_code == 200
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == payment.amount
    assert charge_refunded_minor(intent_id) == gateway.minor(payment.amount, "CNY")
    assert payment.refunds.count() == 1
    # A third delivery changes nothing.
    assert post_event(event).status_code == 200
    assert charge_refunded_minor(intent_id) == gateway.minor(payment.amount, "CNY")
    assert payment.refunds.count() == 1


def test_a_refund_whose_stripe_call_died_midway_is_finished_by_reconcile_payments(
    stripe_mode, client, buyer, booking, post_event, monkeypatch
):
    payment = paid_after_release(client, buyer, booking)
    intent_id = payment.stripe_payment_intent_id
    monkeypatch.setattr(gateway, "create_refund", die)  # dies inside the call to Stripe
    with pytest.raises(WorkerKilled):
        deliver(post_event, "payment_intent.succeeded", intent_id)
    monkeypatch.undo()
    effect = SideEffect.objects.get()
    assert (effect.status, effect.attempts) == (SideEffect.Status.PENDING, 1)
    age()
    output = reconcile()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == payment.amount
    assert charge_refunded_minor(intent_id) == gateway.minor(payment.amount, "CNY")
    effect.refresh_from_db()
    assert effect.status == SideEffect.Status.DONE and effect.result.startswith("re_")
    assert f"side effect refund_unneeded {effect.idempotency_key}" in output and "done" in output


def test_an_event_stored_but_never_applied_is_applied_by_reconcile_payments(
    stripe_mode, client, buyer, booking, post_event, monkeypatch
):
    payment = paid_after_release(client, buyer, booking)
    monkeypatch.setattr(webhooks, "apply_stripe_event", die)  # dies right after storing the event
    with pytest.raises(WorkerKilled):
        deliver(post_event, "payment_intent.succeeded", payment.stripe_payment_intent_id)
    monkeypatch.undo()
    age()
    reconcile()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert charge_refunded_minor(payment.stripe_payment_intent_id) == gateway.minor(payment.amount, "CNY")


# --- §1 / §9: refunds inside a cancellation when Stripe fails ------------------------------------


def test_stripe_down_during_a_cancellation_still_cancels_and_the_refund_follows(
    stripe_mode, client, buyer, booking, post_event, monkeypatch, django_capture_on_commit_callbacks
):
    payment = paid_booking(client, buyer, booking, post_event)
    monkeypatch.setattr(gateway, "create_refund", connection_error)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/equipment/bookings/{booking.pk}/cancel/", {"reason": "plans changed"})
    assert response.status_code == 302
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert payment.status == PaymentStatus.SUCCEEDED and payment.refunded_amount == 0
    effect = SideEffect.objects.get(kind=SideEffect.Kind.REFUND)
    assert effect.status == SideEffect.Status.PENDING and effect.attempts == 1
    assert "Could not connect" in effect.last_error and effect.next_attempt_at > timezone.now()
    # The payment page tells the buyer the refund is on its way.
    page = client.get(f"/payments/{payment.pk}/").content.decode()
    assert "is being made at Stripe" in page
    # Cancelling again refunds nothing more.
    assert services.refund_for_cancelled(booking, actor=buyer) == payment
    assert SideEffect.objects.filter(kind=SideEffect.Kind.REFUND).count() == 1
    # Stripe is back; the retry is due after its backoff.
    monkeypatch.undo()
    finish_side_effects(now=timezone.now(), older_than=timedelta(0))  # not due yet: nothing
    assert SideEffect.objects.get(pk=effect.pk).status == SideEffect.Status.PENDING
    finish_side_effects(now=effect.next_attempt_at, older_than=timedelta(0))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == payment.amount
    assert charge_refunded_minor(payment.stripe_payment_intent_id) == gateway.minor(payment.amount, "CNY")
    effect.refresh_from_db()
    assert (effect.status, effect.attempts) == (SideEffect.Status.DONE, 2)


def test_a_refund_stripe_refuses_is_marked_failed_and_reported(
    stripe_mode, client, buyer, booking, post_event, monkeypatch, django_capture_on_commit_callbacks
):
    payment = paid_booking(client, buyer, booking, post_event)

    def refused(*args, **kwargs):
        raise stripe.InvalidRequestError("Charge has been disputed.", param="charge")

    monkeypatch.setattr(gateway, "create_refund", refused)
    with django_capture_on_commit_callbacks(execute=True):
        equipment_services.cancel_booking(booking, actor=buyer)
    effect = SideEffect.objects.get()
    assert effect.status == SideEffect.Status.FAILED and "disputed" in effect.last_error
    payment.refresh_from_db()
    assert payment.refunded_amount == 0
    assert payment.events.filter(note__contains="refund failed").exists()
    age()
    assert f"NEEDS ATTENTION side effect refund {effect.idempotency_key}" in reconcile()


def test_retries_back_off_and_give_up_after_the_last_attempt(card_payment, monkeypatch):
    Payment.objects.filter(pk=card_payment.pk).update(status=PaymentStatus.SUCCEEDED, paid_at=timezone.now())
    monkeypatch.setattr(gateway, "create_refund", connection_error)
    refunds.refund_payment(card_payment, amount=Decimal("10.00"), key="t")
    effect = SideEffect.objects.get()
    at = timezone.now()
    waits = []
    for _ in range(side_effects.SIDE_EFFECT_MAX_ATTEMPTS):
        effect = side_effects.execute_side_effect(effect.pk, now=at)
        if effect.next_attempt_at:
            waits.append(effect.next_attempt_at - at)
            at = effect.next_attempt_at
    assert waits == [timedelta(seconds=30 * 2**n) for n in range(side_effects.SIDE_EFFECT_MAX_ATTEMPTS - 1)]
    assert effect.status == SideEffect.Status.FAILED and effect.attempts == side_effects.SIDE_EFFECT_MAX_ATTEMPTS


# --- §1: the payment not yet made is cancelled with its booking or agreement ----------------------


def test_cancelling_a_booking_cancels_its_payment_intent_at_stripe(
    stripe_mode, client, buyer, booking, django_capture_on_commit_callbacks
):
    payment, page = start_card_payment(client, buyer, booking)
    assert "client_secret" in page.content.decode() or payment.stripe_payment_intent_id
    with django_capture_on_commit_callbacks(execute=True):
        equipment_services.cancel_booking(booking, actor=buyer)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and payment.hold_until is None
    assert gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)["status"] == "canceled"
    assert SideEffect.objects.get().status == SideEffect.Status.DONE
    html = client.get(f"/payments/{payment.pk}/").content.decode()
    assert "client_secret" not in html and "data-client-secret" not in html
    # Paying the booking again is refused: it is cancelled.
    response = client.post(f"/payments/booking/{booking.pk}/", {"provider": "stripe"}, follow=True)
    assert Payment.objects.for_subject(booking).exclude(status=PaymentStatus.CANCELLED).count() == 0
    assert response.status_code == 200


def test_a_payment_intent_cancel_with_stripe_down_is_retried(
    stripe_mode, client, buyer, booking, monkeypatch, django_capture_on_commit_callbacks
):
    payment, _page = start_card_payment(client, buyer, booking)
    monkeypatch.setattr(gateway, "cancel_payment_intent", connection_error)
    with django_capture_on_commit_callbacks(execute=True):
        equipment_services.cancel_booking(booking, actor=buyer)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    effect = SideEffect.objects.get()
    assert effect.status == SideEffect.Status.PENDING
    monkeypatch.undo()
    finish_side_effects(now=effect.next_attempt_at, older_than=timedelta(0))
    assert gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)["status"] == "canceled"
    assert SideEffect.objects.get().status == SideEffect.Status.DONE


def test_money_paid_in_the_meantime_for_a_cancelled_booking_goes_back(
    stripe_mode, client, buyer, booking, post_event, django_capture_on_commit_callbacks
):
    payment, _page = start_card_payment(client, buyer, booking)
    pay_with_card(payment.stripe_payment_intent_id)  # paid at Stripe just before the cancellation
    with django_capture_on_commit_callbacks(execute=True):
        equipment_services.cancel_booking(booking, actor=buyer)
    assert SideEffect.objects.get().result == "not cancellable: succeeded"
    deliver(post_event, "payment_intent.succeeded", payment.stripe_payment_intent_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert charge_refunded_minor(payment.stripe_payment_intent_id) == gateway.minor(payment.amount, "CNY")


def test_cancelling_a_booking_voids_its_invoice(invoice_mode, client, buyer, booking, facility_manager):
    client.force_login(buyer)
    client.post(f"/payments/booking/{booking.pk}/", {"provider": "invoice"})
    payment = Payment.objects.for_subject(booking).get()
    equipment_services.cancel_booking(booking, actor=buyer)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    with pytest.raises(ValidationError):
        invoices.mark_invoice_paid(payment, actor=facility_manager, reference="late")
    assert not SideEffect.objects.exists()
    html = client.get(f"/payments/{payment.pk}/invoice/").content.decode()
    assert "Void: this invoice was cancelled" in html


def test_cancelling_an_agreement_cancels_its_open_payment(invoice_mode, express_agreement, buyer):
    payment = services.start_payment(express_agreement, actor=buyer)
    ip_services.cancel_agreement(express_agreement, actor=buyer)
    payment.refresh_from_db()
    express_agreement.refresh_from_db()
    assert express_agreement.status == AgreementStatus.CANCELLED
    assert payment.status == PaymentStatus.CANCELLED


# --- §1 / §9: payouts whose transfer dies or fails ------------------------------------------------


@pytest.fixture
def connect_account(institute):
    return PayoutAccount.objects.create(institute=institute, stripe_account_id="acct_1QyZ7nPq2xYw9AbC")


def recorded_transfer(amount_minor):
    body = json.loads((RECORDED / "transfer.json").read_text())
    body["amount"] = amount_minor
    return RecordedStripe(json.dumps(body))


def test_a_payout_whose_transfer_call_died_ends_paid_after_reconcile(
    statement_payments,  # noqa: F811
    institute,
    staff_user,
    stripe_mode,
    connect_account,
    monkeypatch,
):
    monkeypatch.setattr(gateway, "create_transfer", die)
    with pytest.raises(WorkerKilled):
        payouts.pay_out(institute, currency="CNY", actor=staff_user)
    monkeypatch.undo()
    payout = Payout.objects.get()
    assert payout.status == Payout.Status.PENDING
    # While it is under way it is not owed twice.
    assert owed_to(institute, "CNY") == 0
    with pytest.raises(ValidationError):
        payouts.pay_out(institute, currency="CNY", actor=staff_user)
    recorded = recorded_transfer(74950)
    monkeypatch.setattr(gateway, "http_client_override", recorded)
    age()
    reports = finish_side_effects()  # what reconcile_payments does first
    payout.refresh_from_db()
    assert (payout.status, payout.stripe_transfer_id) == (Payout.Status.PAID, "tr_1QyZ8kLkdIwHu7ix0zXo8aYb")
    assert len(recorded.requests) == 1 and recorded.requests[0][2]["Idempotency-Key"] == f"payout-{payout.uid}"
    assert owed_to(institute, "CNY") == 0
    assert [(r.effect.kind, r.flagged) for r in reports] == [(SideEffect.Kind.TRANSFER, False)]
    assert str(reports[0]).startswith("side effect transfer payout-")


def test_a_payout_with_stripe_down_stays_pending_then_is_sent_once(
    statement_payments,  # noqa: F811
    institute,
    staff_user,
    stripe_mode,
    connect_account,
    monkeypatch,
    client,
):
    monkeypatch.setattr(gateway, "create_transfer", connection_error)
    client.force_login(staff_user)
    response = client.post(f"/payments/statements/{institute.pk}/pay-out/", {"currency": "CNY"}, follow=True)
    assert "retried automatically" in response.content.decode()
    payout = Payout.objects.get()
    assert payout.status == Payout.Status.PENDING and payout.stripe_transfer_id == ""
    monkeypatch.undo()
    monkeypatch.setattr(gateway, "http_client_override", recorded_transfer(74950))
    effect = SideEffect.objects.get()
    finish_side_effects(now=effect.next_attempt_at, older_than=timedelta(0))
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and payout.stripe_transfer_id.startswith("tr_")
    assert Payout.objects.count() == 1 and owed_to(institute, "CNY") == 0


def test_a_payout_that_never_goes_through_ends_failed_and_is_owed_again(
    statement_payments,  # noqa: F811
    institute,
    staff_user,
    stripe_mode,
    connect_account,
    monkeypatch,
):
    monkeypatch.setattr(gateway, "create_transfer", connection_error)
    payout = payouts.pay_out(institute, currency="CNY", actor=staff_user)
    effect = SideEffect.objects.get()
    while effect.status == SideEffect.Status.PENDING:
        effect = side_effects.execute_side_effect(effect.pk, now=effect.next_attempt_at)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.FAILED and "Could not connect" in payout.error
    assert owed_to(institute, "CNY") == Decimal("749.50")


# --- §9: PaymentIntent creation and retrieval, hold release with Stripe failing -------------------


def test_stripe_down_when_creating_the_payment_intent_says_so_and_a_later_visit_works(
    stripe_mode, client, buyer, booking, monkeypatch
):
    monkeypatch.setattr(gateway, "create_payment_intent", connection_error)
    client.force_login(buyer)
    response = client.post(f"/payments/booking/{booking.pk}/", {"provider": "stripe"}, follow=True)
    assert response.status_code == 200
    assert "Card payment is unavailable at the moment" in response.content.decode()
    payment = Payment.objects.for_subject(booking).get()
    assert payment.status == PaymentStatus.PENDING and payment.stripe_payment_intent_id == ""
    monkeypatch.undo()
    client.get(f"/payments/{payment.pk}/")
    payment.refresh_from_db()
    assert payment.stripe_payment_intent_id.startswith("pi_")


def test_stripe_down_when_reading_the_payment_intent_says_so(stripe_mode, client, buyer, booking, monkeypatch):
    payment, _page = start_card_payment(client, buyer, booking)
    monkeypatch.setattr(gateway, "retrieve_payment_intent", connection_error)
    response = client.get(f"/payments/{payment.pk}/")
    assert response.status_code == 200
    assert "Card payment is unavailable at the moment" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.stripe_payment_intent_id


def test_stripe_down_during_hold_release_keeps_that_hold_and_releases_the_others(
    stripe_mode, client, buyer, approved_booking, monkeypatch
):
    first, second = approved_booking(days_ahead=5), approved_booking(days_ahead=6)
    p1, _ = start_card_payment(client, buyer, first)
    p2, _ = start_card_payment(client, buyer, second)
    Payment.objects.update(hold_until=timezone.now() - timedelta(minutes=1))
    real = gateway.retrieve_payment_intent

    def flaky(intent_id, **kwargs):
        if intent_id == p1.stripe_payment_intent_id:
            raise stripe.APIConnectionError("timeout")
        return real(intent_id, **kwargs)

    monkeypatch.setattr(gateway, "retrieve_payment_intent", flaky)
    assert holds.release_expired_holds() == 1
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert p1.status == PaymentStatus.PENDING  # tried again at the next run
    assert p2.status == PaymentStatus.CANCELLED


# --- §7: money units and currencies ---------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, currency, minor",
    [
        ("1234.00", "JPY", 1234),
        ("1234.00", "KRW", 1234),
        ("50000.00", "VND", 50000),
        ("12.34", "CNY", 1234),
        ("0.01", "USD", 1),
        ("1.23", "KWD", 1230),
        ("10.50", "BHD", 10500),
        ("7.00", "TND", 7000),
        ("99.99", "EUR", 9999),
    ],
)
def test_minor_units_follow_each_currencys_exponent(amount, currency, minor):
    assert gateway.minor(Decimal(amount), currency) == minor
    assert gateway.major(minor, currency) == Decimal(amount)
    assert gateway.minor(Decimal(amount), currency.lower()) == minor


def test_an_unknown_currency_has_no_minor_units():
    with pytest.raises(ValueError):
        gateway.minor(Decimal("1.00"), "XYZ")


def test_the_database_refuses_an_unknown_currency(card_payment, institute):
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=card_payment.pk).update(currency="XYZ")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.create(institute=institute, amount=Decimal("1.00"), currency="ZZZ")
    Payment.objects.filter(pk=card_payment.pk).update(currency="JPY")  # any ISO code is stored
    assert Payout._meta.get_field("currency").default == "CNY"
