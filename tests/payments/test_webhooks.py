"""The webhook endpoint: signatures, storing each event once, applying it once in any order."""

import itertools
import json
import random
import time
from decimal import Decimal

import pytest

from equipment.models import BookingStatus, BookingTransition
from marketplace.payments import gateway
from marketplace.payments.models import Payment, PaymentStatus, StripeEvent
from marketplace.statistics.models import TransferEvent
from tests.payments.conftest import charge_object, intent_object, make_event, sign

pytestmark = pytest.mark.django_db


def confirmations(booking):
    return BookingTransition.objects.filter(booking=booking, to_status=BookingStatus.CONFIRMED).count()


def received(payment):
    return TransferEvent.objects.filter(
        kind=TransferEvent.Kind.PAYMENT_RECEIVED, source_type="payments.payment", source_id=str(payment.pk)
    )


# --- signatures ----------------------------------------------------------------------------------


def _assert_nothing_changed(card_payment):
    card_payment.refresh_from_db()
    assert StripeEvent.objects.count() == 0
    assert card_payment.status == PaymentStatus.PENDING
    card_payment.subject.refresh_from_db()
    assert card_payment.subject.status == BookingStatus.APPROVED


def test_a_wrong_secret_is_rejected_with_400_and_nothing_changes(card_payment, post_event):
    response = post_event(make_event("payment_intent.succeeded", intent_object(card_payment)), secret="whsec_other")
    assert response.status_code == 400
    _assert_nothing_changed(card_payment)


def test_a_stale_timestamp_is_rejected(card_payment, post_event):
    event = make_event("payment_intent.succeeded", intent_object(card_payment))
    response = post_event(event, timestamp=int(time.time()) - 3600)
    assert response.status_code == 400
    _assert_nothing_changed(card_payment)


@pytest.mark.parametrize("header", ["", "garbage", "t=123", "v1=abc", "t=notanumber,v1=abc"])
def test_a_missing_or_malformed_signature_header_is_rejected(card_payment, post_event, header):
    response = post_event(make_event("payment_intent.succeeded", intent_object(card_payment)), signature=header)
    assert response.status_code == 400
    _assert_nothing_changed(card_payment)


def test_a_payload_changed_after_signing_is_rejected(card_payment, client):
    event = make_event("payment_intent.succeeded", intent_object(card_payment))
    header = sign(json.dumps(event).encode())
    event["data"]["object"]["amount"] = 1
    response = client.post(
        "/payments/stripe/webhook/",
        data=json.dumps(event),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert response.status_code == 400
    _assert_nothing_changed(card_payment)


def test_an_unreadable_payload_is_rejected(card_payment, client):
    payload = b"{not json"
    response = client.post(
        "/payments/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )
    assert response.status_code == 400
    _assert_nothing_changed(card_payment)


def test_without_a_webhook_secret_every_event_is_rejected(card_payment, post_event, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = post_event(make_event("payment_intent.succeeded", intent_object(card_payment)), secret="")
    assert response.status_code == 400
    _assert_nothing_changed(card_payment)


def test_the_endpoint_answers_only_post(client, webhook_secret):
    assert client.get("/payments/stripe/webhook/").status_code == 405


# --- success, once ---------------------------------------------------------------------------------


def test_a_verified_success_event_confirms_the_booking(
    card_payment, post_event, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(make_event("payment_intent.succeeded", intent_object(card_payment, charge="ch_abc")))
    assert response.status_code == 200
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.SUCCEEDED
    assert card_payment.stripe_charge_id == "ch_abc"
    assert card_payment.paid_at is not None
    assert card_payment.hold_until is None
    booking = card_payment.subject
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert card_payment.stripe_payment_intent_id in booking.confirmation_reference
    event = received(card_payment).get()
    assert event.amount == card_payment.amount and event.institute_id == card_payment.institute_id
    assert event.enterprise_id == card_payment.enterprise_id and event.currency == "CNY"
    assert [m.to for m in mailoutbox if "PAY-" in m.subject] == [[card_payment.created_by.email]]


def test_the_same_event_delivered_ten_times_applies_once(card_payment, post_event):
    event = make_event("payment_intent.succeeded", intent_object(card_payment))
    for _ in range(10):
        assert post_event(event).status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.deliveries == 10 and stored.processed_at is not None
    assert Payment.objects.for_subject(card_payment.subject).count() == 1
    assert confirmations(card_payment.subject) == 1
    assert received(card_payment).count() == 1
    assert card_payment.events.filter(to_status=PaymentStatus.SUCCEEDED).count() == 1


def test_different_success_events_for_one_intent_confirm_once(card_payment, post_event):
    for _ in range(3):
        post_event(make_event("payment_intent.succeeded", intent_object(card_payment)))
    assert StripeEvent.objects.count() == 3
    assert confirmations(card_payment.subject) == 1
    assert received(card_payment).count() == 1


def test_an_event_for_an_unknown_intent_is_stored_and_ignored(card_payment, post_event):
    obj = intent_object(card_payment)
    obj["id"] = "pi_someone_else"
    assert post_event(make_event("payment_intent.succeeded", obj)).status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.payment is None and stored.result.startswith("ignored")
    _ = card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.PENDING


def test_an_unrelated_event_type_is_stored_and_ignored(card_payment, post_event):
    assert post_event(make_event("customer.created", {"id": "cus_1", "object": "customer"})).status_code == 200
    assert StripeEvent.objects.get().result.startswith("ignored")


@pytest.mark.parametrize(
    "amount, currency",
    [(1, None), (None, "usd"), (0, None)],
    ids=["one-cent-short", "other-currency", "nothing-received"],
)
def test_a_success_with_another_amount_or_currency_is_not_applied(card_payment, post_event, amount, currency):
    obj = intent_object(card_payment, amount=amount, currency=currency)
    if amount is None:
        obj["amount_received"] = obj["amount"]
    else:
        obj["amount"] = obj["amount_received"] = (obj["amount"] - 1) if amount == 1 else 0
    post_event(make_event("payment_intent.succeeded", obj))
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.PENDING
    assert confirmations(card_payment.subject) == 0
    assert StripeEvent.objects.get().result.startswith("error")


# --- failure, and order --------------------------------------------------------------------------


def test_a_decline_leaves_the_booking_unconfirmed_and_extends_the_hold(
    card_payment, post_event, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.PAYMENT_HOLD_MINUTES = 30
    obj = intent_object(card_payment, status="requires_payment_method", last_payment_error={"message": "declined"})
    before = time.time()
    with django_capture_on_commit_callbacks(execute=True):
        post_event(make_event("payment_intent.payment_failed", obj))
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.FAILED
    assert before + 29 * 60 < card_payment.hold_until.timestamp() < time.time() + 30 * 60 + 1
    card_payment.subject.refresh_from_db()
    assert card_payment.subject.status == BookingStatus.APPROVED
    assert any(card_payment.number in m.subject for m in mailoutbox)


def test_a_failure_after_success_does_not_regress(card_payment, post_event):
    post_event(make_event("payment_intent.succeeded", intent_object(card_payment)))
    post_event(
        make_event("payment_intent.payment_failed", intent_object(card_payment, status="requires_payment_method"))
    )
    post_event(make_event("payment_intent.canceled", intent_object(card_payment, status="canceled")))
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.SUCCEEDED
    card_payment.subject.refresh_from_db()
    assert card_payment.subject.status == BookingStatus.CONFIRMED


def test_success_after_a_decline_confirms(card_payment, post_event):
    post_event(
        make_event("payment_intent.payment_failed", intent_object(card_payment, status="requires_payment_method"))
    )
    post_event(make_event("payment_intent.succeeded", intent_object(card_payment)))
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.SUCCEEDED and card_payment.hold_until is None
    assert confirmations(card_payment.subject) == 1


def _lifecycle_events(payment, price_minor):
    half = price_minor // 2
    refund_1 = {
        "id": "re_1",
        "object": "refund",
        "amount": half,
        "status": "succeeded",
        "charge": "ch_test_1",
        "payment_intent": payment.stripe_payment_intent_id,
    }
    return [
        make_event("payment_intent.payment_failed", intent_object(payment, status="requires_payment_method")),
        make_event("payment_intent.succeeded", intent_object(payment)),
        make_event("refund.created", refund_1),
        make_event("charge.refunded", charge_object(payment, refunded_minor=half, refunds=[refund_1])),
    ]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_success_and_failure_delivered_ten_times_each_in_shuffled_order_confirm_once(card_payment, post_event, seed):
    events = [
        make_event("payment_intent.payment_failed", intent_object(card_payment, status="requires_payment_method")),
        make_event("payment_intent.succeeded", intent_object(card_payment)),
    ] * 10
    random.Random(seed).shuffle(events)
    for event in events:
        assert post_event(event).status_code == 200
    card_payment.refresh_from_db()
    assert StripeEvent.objects.count() == 2
    assert Payment.objects.for_subject(card_payment.subject).count() == 1
    assert card_payment.status == PaymentStatus.SUCCEEDED
    assert confirmations(card_payment.subject) == 1
    assert received(card_payment).count() == 1


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))), ids=lambda o: "".join(map(str, o)))
def test_each_order_of_the_lifecycle_ends_in_the_same_state(order, approved_booking, buyer, webhook_secret, post_event):

    booking = approved_booking()
    payment = Payment.objects.create(
        subject_kind="booking",
        subject_id=booking.pk,
        institute=booking.institute,
        enterprise=booking.enterprise,
        created_by=buyer,
        amount=booking.price_amount,
        currency=booking.currency,
        provider="stripe",
        stripe_payment_intent_id=f"pi_order_{booking.pk}",
    )
    price_minor = gateway.minor(payment.amount, payment.currency)
    events = _lifecycle_events(payment, price_minor)
    for index in order:
        post_event(events[index])
        post_event(events[index])
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded_amount == gateway.major(price_minor // 2, "CNY")
    assert payment.refunds.count() == 1
    assert received(payment).count() == 1
    # The booking is confirmed once, whatever the order: a refund heard of before the success event
    # does not keep it from being confirmed when the success arrives.
    assert booking.status == BookingStatus.CONFIRMED
    assert confirmations(booking) == 1


def test_a_refund_heard_of_before_the_success_records_the_money_and_the_success_confirms(card_payment, post_event):
    price = card_payment.amount

    post_event(make_event("charge.refunded", charge_object(card_payment, refunded_minor=gateway.minor(price, "CNY"))))
    post_event(make_event("payment_intent.succeeded", intent_object(card_payment)))
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.REFUNDED
    assert card_payment.refunded_amount == price
    assert received(card_payment).count() == 1
    # As if the events had come in order: paid (confirming the booking), then refunded.
    assert confirmations(card_payment.subject) == 1


def test_refund_totals_never_exceed_the_amount(card_payment, post_event):

    post_event(make_event("payment_intent.succeeded", intent_object(card_payment)))
    minor = gateway.minor(card_payment.amount, "CNY")
    post_event(make_event("charge.refunded", charge_object(card_payment, refunded_minor=minor + 500)))
    card_payment.refresh_from_db()
    assert card_payment.refunded_amount == card_payment.amount
    assert card_payment.status == PaymentStatus.REFUNDED


def test_a_refund_of_another_charge_is_ignored(card_payment, post_event):
    post_event(make_event("payment_intent.succeeded", intent_object(card_payment, charge="ch_mine")))
    post_event(make_event("charge.refunded", charge_object(card_payment, refunded_minor=100, charge="ch_other")))
    card_payment.refresh_from_db()
    assert card_payment.refunded_amount == Decimal("0.00")
