"""Money actions raced from real threads (each with its own database connection): each ends with
exactly one effect. Runs on SQLite (BEGIN IMMEDIATE serialises writers) and on PostgreSQL (row locks)."""

import json
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from equipment import services as equipment_services
from equipment.models import BookingStatus, BookingTransition
from marketplace.payments import gateway, services
from marketplace.payments.models import (
    Payment,
    PaymentEvent,
    PaymentRefund,
    PaymentStatus,
    Payout,
    PayoutAccount,
    SideEffect,
    StripeEvent,
)
from marketplace.payments.services import invoices, payouts
from marketplace.statistics.models import TransferEvent
from tests.payments.conftest import intent_object, make_event, sign
from tests.payments.test_reconcile_and_statements import RECORDED, RecordedStripe, paid

RACERS = 4


def race(functions):
    """Run the callables at the same moment, one thread each; their results (or the errors raised)."""
    barrier = threading.Barrier(len(functions))
    outcomes, lock = [], threading.Lock()

    def run(function):
        try:
            barrier.wait()
            result = function()
        except ValidationError as error:
            result = error
        except Exception as error:  # anything else is a failure of the guarantee
            result = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(f,)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_invoice_marked_paid_at_once_is_received_and_confirmed_once(
    invoice_mode, booking, buyer, facility_manager, staff_user
):
    payment = services.start_payment(booking, actor=buyer, provider="invoice")
    actors = [facility_manager, staff_user] * (RACERS // 2)
    outcomes = race(
        [
            lambda actor=actor, i=i: invoices.mark_invoice_paid(payment, actor=actor, reference=f"bank-{i}")
            for i, actor in enumerate(actors)
        ]
    )
    assert all(isinstance(o, Payment) for o in outcomes), outcomes
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert booking.status == BookingStatus.CONFIRMED
    assert PaymentEvent.objects.filter(payment=payment, to_status=PaymentStatus.SUCCEEDED).count() == 1
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.PAYMENT_RECEIVED).count() == 1
    assert BookingTransition.objects.filter(booking=booking, to_status=BookingStatus.CONFIRMED).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_payouts_started_at_once_transfer_once(
    approved_booking, buyer, institute, staff_user, stripe_mode, monkeypatch
):
    paid(approved_booking(days_ahead=5), buyer, provider="stripe", amount="1000.00", refunded="250.50")
    body = json.loads((RECORDED / "transfer.json").read_text())
    body["amount"] = 74950
    recorded = RecordedStripe(json.dumps(body))
    monkeypatch.setattr(gateway, "http_client_override", recorded)
    PayoutAccount.objects.create(institute=institute, stripe_account_id="acct_1QyZ7nPq2xYw9AbC")
    outcomes = race([lambda: payouts.pay_out(institute, currency="CNY", actor=staff_user)] * 2)
    made = [o for o in outcomes if isinstance(o, Payout)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert refused[0].messages == ["Nothing is owed to this institute."]
    payout = Payout.objects.get()
    assert (payout.status, payout.amount) == (Payout.Status.PAID, Decimal("749.50"))
    assert len(recorded.requests) == 1
    assert SideEffect.objects.get().status == SideEffect.Status.DONE


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_webhook_from_several_workers_at_once_refunds_once(card_payment, webhook_secret, monkeypatch):
    """Money that arrives for a booking already released, delivered to several workers at once."""
    booking = card_payment.subject
    Payment.objects.filter(pk=card_payment.pk).update(status=PaymentStatus.CANCELLED, hold_until=None)
    equipment_services.release_unpaid_booking(booking, note="test")
    intent = intent_object(card_payment)
    refunds, lock = [], threading.Lock()

    def retrieve(intent_id, **kwargs):
        return {**intent, "latest_charge": {"id": "ch_test_1", "amount_refunded": 0}}

    def create_refund(*, payment_intent_id, amount, currency, idempotency_key, metadata=None):
        with lock:
            refunds.append(idempotency_key)
        return {"id": f"re_{len(refunds)}", "amount": gateway.minor(amount, currency)}

    monkeypatch.setattr(gateway, "retrieve_payment_intent", retrieve)
    monkeypatch.setattr(gateway, "create_refund", create_refund)
    payload = json.dumps(make_event("payment_intent.succeeded", intent)).encode()
    header = sign(payload)

    def deliver():
        return (
            Client()
            .post(
                "/payments/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
            )
            .status_code
        )

    outcomes = race([deliver] * RACERS)
    assert set(outcomes) <= {200, 503} and 200 in outcomes, outcomes
    assert len(refunds) == 1
    event = StripeEvent.objects.get()
    assert event.deliveries == RACERS and event.processed_at is not None
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.REFUNDED and card_payment.refunded_amount == card_payment.amount
    assert PaymentRefund.objects.count() == 1
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.PAYMENT_RECEIVED).count() == 1
