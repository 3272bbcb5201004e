"""Stripe webhooks: each event is verified, stored once and applied once, whatever the order or how
often it arrives. State only moves forward (STATUS_RANK); money for something that can no longer be
delivered goes back in full (a side effect made after the commit)."""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from marketplace.core.locking import lock

from .. import gateway
from ..models import OPEN_STATUSES, Payment, PaymentEvent, PaymentStatus, Provider, SideEffect, StripeEvent
from .bookkeeping import record_received, record_refund
from .notifications import notify_payer
from .records import hold_duration, lock_payment
from .refunds import schedule_unneeded_refund
from .side_effects import execute_side_effect
from .subjects import confirm_subject, confirmed_by

logger = logging.getLogger(__name__)


def receive_stripe_event(payload: bytes, signature: str) -> StripeEvent:
    """Verify, store once, apply once. Raises ValueError / stripe.SignatureVerificationError on a bad
    payload or signature, before anything is stored."""
    data = gateway.construct_event(payload, signature)
    event, created = _store_event(data)
    if event.processed_at is None:
        apply_stripe_event(event)
        event.refresh_from_db()
    # What applying the event committed to do at Stripe (a refund): now, and again on each delivery
    # of the event while it is still pending (a worker that died after the commit left it so).
    for pk in SideEffect.objects.filter(stripe_event=event, status=SideEffect.Status.PENDING).values_list(
        "pk", flat=True
    ):
        execute_side_effect(pk)
    return event


def pending_side_effects_of(event) -> bool:
    return SideEffect.objects.filter(stripe_event=event, status=SideEffect.Status.PENDING).exists()


def _store_event(data):
    defaults = {
        "type": data.get("type", "")[:100],
        "payload": data,
        "livemode": bool(data.get("livemode")),
    }
    try:
        with transaction.atomic():
            return StripeEvent.objects.create(event_id=data["id"], **defaults), True
    except IntegrityError:
        event = StripeEvent.objects.get(event_id=data["id"])
        StripeEvent.objects.filter(pk=event.pk).update(deliveries=F("deliveries") + 1)
        return event, False


def _intent_id_of(obj: dict) -> str:
    if obj.get("object") == "payment_intent":
        return obj.get("id", "")
    intent = obj.get("payment_intent") or ""
    return intent.get("id", "") if isinstance(intent, dict) else intent


def apply_stripe_event(event: StripeEvent):
    """Apply a stored event exactly once, whatever the order of arrival. A refund that must follow
    (money for something no longer deliverable) is recorded as a pending side effect in the same
    transaction and made after the commit (receive_stripe_event, the task, or reconcile_payments)."""
    with transaction.atomic():
        refund_after = None
        event = lock(StripeEvent.objects, pk=event.pk)
        if event.processed_at is not None:
            return
        obj = (event.payload.get("data") or {}).get("object") or {}
        intent_id = _intent_id_of(obj)
        payment = None
        if intent_id:
            found = Payment.objects.filter(stripe_payment_intent_id=intent_id).first()
            payment = lock_payment(found) if found else None
        if payment is None:
            result = "ignored: no payment for this event" if intent_id else "ignored: not about a payment"
        else:
            result, refund_after = _dispatch(event, payment, obj)
        event.processed_at = timezone.now()
        event.payment = payment
        event.result = result[:255]
        event.save(update_fields=["processed_at", "payment", "result"])
        if refund_after is not None:
            schedule_unneeded_refund(refund_after, event=event, intent_id=intent_id, now_too=False)


def _dispatch(event, payment, obj):
    source = f"stripe:{event.event_id}"
    kind = event.type
    if kind == "payment_intent.succeeded":
        return apply_intent_succeeded(payment, obj, source=source)
    if kind == "payment_intent.payment_failed":
        return apply_intent_failed(payment, obj, source=source), None
    if kind == "payment_intent.canceled":
        return apply_intent_canceled(payment, source=source), None
    if kind in ("charge.refunded", "charge.refund.updated", "refund.created", "refund.updated"):
        return apply_refund_object(payment, obj, source=source), None
    return f"ignored: {kind}", None


def _amount_matches(payment, intent) -> bool:
    received = intent.get("amount_received") or intent.get("amount")
    return (intent.get("currency") or "").upper() == payment.currency and int(received or 0) == gateway.minor(
        payment.amount, payment.currency
    )


def apply_intent_succeeded(payment, intent, *, source):
    """Money arrived for `payment` (locked). Returns (result, payment to refund in full or None)."""
    if payment.is_paid:
        charge_id = gateway.charge_id(intent)
        if payment.provider == Provider.STRIPE and (not charge_id or charge_id == payment.stripe_charge_id):
            return _confirm_after_refund_seen_first(payment, source=source)
        if payment.stripe_charge_id or not charge_id:
            return "duplicate: already paid", None
        # Paid by invoice already, and now by card too: the card payment goes back.
        PaymentEvent.log(
            payment,
            source=source,
            note=f"second payment by card, refunded: {gateway.charge_id(intent)}",
        )
        return "second payment: refunding", payment
    if not _amount_matches(payment, intent):
        PaymentEvent.log(payment, source=source, note="amount or currency differs from Stripe: not applied")
        logger.error("payment %s: amount or currency differs from PaymentIntent %s", payment.pk, intent.get("id"))
        return "error: amount or currency differs", None
    payment.provider = Provider.STRIPE
    payment.paid_at = timezone.now()
    payment.stripe_charge_id = gateway.charge_id(intent)[:255]
    payment.hold_until = None
    payment.reference = payment.stripe_payment_intent_id
    PaymentEvent.move(
        payment,
        PaymentStatus.SUCCEEDED,
        source=source,
        amount=payment.amount,
        fields=["provider", "paid_at", "stripe_charge_id", "hold_until", "reference"],
    )
    record_received(payment)
    if confirm_subject(payment, actor=None, reference=f"{payment.number} {payment.stripe_payment_intent_id}"):
        notify_payer(payment, "received")
        return "applied: paid and confirmed", None
    PaymentEvent.log(payment, source=source, note="paid after the subject was released: refunded in full")
    return "paid for something no longer available: refunding", payment


def _confirm_after_refund_seen_first(payment, *, source):
    """The success of a card payment already recorded as paid: normally a repeated event. When a
    refund event came first, the payment was recorded as paid without confirming anything: confirm
    the booking or agreement now, as if the events had come in order (or refund what is left when it
    can no longer be confirmed)."""
    if confirmed_by(payment):
        return "duplicate: already paid", None
    reference = f"{payment.number} {payment.stripe_payment_intent_id}"
    if confirm_subject(payment, actor=None, reference=reference):
        PaymentEvent.log(payment, source=source, note="confirmed (a refund event came first)")
        notify_payer(payment, "received")
        return "applied: confirmed (a refund event came first)", None
    if payment.refunded_amount >= payment.amount:
        return "duplicate: already paid and refunded", None
    PaymentEvent.log(payment, source=source, note="paid for something no longer available: refunded")
    return "paid for something no longer available: refunding", payment


def apply_intent_failed(payment, intent, *, source):
    if payment.status not in OPEN_STATUSES or payment.provider != Provider.STRIPE:
        return "ignored: payment is not open"
    error = (intent.get("last_payment_error") or {}).get("message") or ""
    payment.hold_until = timezone.now() + hold_duration()
    PaymentEvent.move(payment, PaymentStatus.FAILED, source=source, note=error, fields=["hold_until"])
    notify_payer(payment, "failed", error=error)
    return "applied: failed"


def apply_intent_canceled(payment, *, source):
    if payment.status not in OPEN_STATUSES or payment.provider != Provider.STRIPE:
        return "ignored: payment is not an open card payment"
    payment.hold_until = None
    PaymentEvent.move(payment, PaymentStatus.CANCELLED, source=source, fields=["hold_until"])
    return "applied: cancelled"


def apply_refund_object(payment, obj, *, source):
    """A charge (with amount_refunded) or a refund object from Stripe: record what is not yet known."""
    charge_id = obj.get("id", "") if obj.get("object") == "charge" else (obj.get("charge") or "")
    if isinstance(charge_id, dict):
        charge_id = charge_id.get("id", "")
    if payment.is_paid and payment.provider == Provider.INVOICE:
        return "ignored: refund of a second payment by card"
    if payment.stripe_charge_id and charge_id and charge_id != payment.stripe_charge_id:
        return "ignored: refund of another charge"
    if not payment.is_paid:
        # Heard of the refund before the payment itself: the payment was made by card.
        payment.provider = Provider.STRIPE
        payment.stripe_charge_id = charge_id[:255]
        payment.save(update_fields=["provider", "stripe_charge_id", "updated_at"])
    if obj.get("object") == "refund":
        if obj.get("status") not in ("succeeded", "pending"):
            return f"ignored: refund {obj.get('status')}"
        created = record_refund(
            payment,
            amount=gateway.major(obj.get("amount"), payment.currency),
            stripe_refund_id=obj.get("id", ""),
            source=source,
        )
        return "applied: refund" if created else "duplicate: refund known"
    refunds = ((obj.get("refunds") or {}).get("data")) or []
    applied = 0
    for refund in refunds:
        if refund.get("status") in ("succeeded", "pending"):
            applied += record_refund(
                payment,
                amount=gateway.major(refund.get("amount"), payment.currency),
                stripe_refund_id=refund.get("id", ""),
                source=source,
            )
    total = gateway.major(obj.get("amount_refunded"), payment.currency)
    if total > payment.refunded_amount:
        # Refunds Stripe knows of but did not list here: record the difference once.
        applied += record_refund(
            payment, amount=total - payment.refunded_amount, stripe_refund_id="", source=source, suffix=f"total-{total}"
        )
    return "applied: refund" if applied else "duplicate: refund known"


def apply_unapplied_events(*, now=None, older_than=timedelta(minutes=5)) -> int:
    """Stored webhook events never applied (the worker died between storing and applying)."""
    now = now or timezone.now()
    stale = StripeEvent.objects.filter(processed_at__isnull=True, received_at__lte=now - older_than)
    applied = 0
    for event in list(stale):
        apply_stripe_event(event)
        for pk in SideEffect.objects.filter(stripe_event=event, status=SideEffect.Status.PENDING).values_list(
            "pk", flat=True
        ):
            execute_side_effect(pk)
        applied += 1
    return applied
