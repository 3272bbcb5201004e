"""Calls to Stripe that a committed change needs (the outbox): a refund, a PaymentIntent to cancel, a
transfer. Each is a SideEffect row written in the same transaction as the change (`add_side_effect`),
carried out after the commit with its idempotency key (`execute_side_effect`, run by the task
`carry_out_side_effect`) and retried until Stripe answers.

The task is defined here, next to what it runs and what enqueues it, so that no module imports back:
`tasks.py` only names it under its historical path.
"""

import logging
from datetime import timedelta
from functools import partial

import stripe
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from marketplace.core.locking import lock

from .. import gateway
from ..models import PaymentEvent, Payout, PayoutAccount, SideEffect
from .bookkeeping import record_refund
from .records import lock_payment

logger = logging.getLogger(__name__)


# Attempts before a side effect is given up as failed (and reported); the wait between two attempts
# doubles from SIDE_EFFECT_FIRST_RETRY up to an hour.
SIDE_EFFECT_MAX_ATTEMPTS = 8
SIDE_EFFECT_FIRST_RETRY = timedelta(seconds=30)
# How long one attempt may take before another worker may try again (same idempotency key).
SIDE_EFFECT_LEASE = timedelta(minutes=2)
# Stripe did not answer, or answered "try again": retry. Any other Stripe error is a refusal.
RETRYABLE_ERRORS = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


class NotYetError(Exception):
    """Stripe's state does not allow the side effect yet (e.g. a payment still processing): retry."""


def backoff(attempts: int) -> timedelta:
    return min(SIDE_EFFECT_FIRST_RETRY * (2 ** max(attempts - 1, 0)), timedelta(hours=1))


def add_side_effect(
    kind, *, key, payment=None, payout=None, event=None, amount=None, reason="", actor=None, schedule=True
):
    """Record a call to Stripe that the current transaction's change needs; once per idempotency key.
    With `schedule`, a task carries it out after the commit."""
    effect, created = SideEffect.objects.get_or_create(
        idempotency_key=key[:255],
        defaults={
            "kind": kind,
            "payment": payment,
            "payout": payout,
            "stripe_event": event,
            "amount": amount,
            "reason": (reason or "")[:255],
            "actor": actor,
            "next_attempt_at": timezone.now(),
        },
    )
    if created and schedule:
        transaction.on_commit(partial(enqueue_side_effect, effect.pk), robust=True)
    return effect


@task()
def carry_out_side_effect(effect_id: int) -> str:
    """One attempt at a pending Stripe call (refund, PaymentIntent cancellation, transfer), enqueued
    after the commit that recorded it. A failed attempt records the error and when to try again."""
    return execute_side_effect(effect_id).status


def enqueue_side_effect(pk, *, run_after=None):
    job = carry_out_side_effect
    if run_after is not None:
        if not job.get_backend().supports_defer:
            return  # reconcile_payments picks it up when due
        job = job.using(run_after=run_after)
    job.enqueue(pk)


def execute_side_effect(pk, *, now=None) -> SideEffect:
    """One attempt at a pending side effect that is due. Safe to call from several workers at once:
    the attempt is claimed under a row lock (a lease), and Stripe's idempotency key makes a second
    call after a lost answer return the first result."""
    now = now or timezone.now()
    with transaction.atomic():
        effect = _lock_effect(pk)
        if effect.status != SideEffect.Status.PENDING or (effect.next_attempt_at and effect.next_attempt_at > now):
            return effect
        effect.attempts += 1
        effect.next_attempt_at = now + SIDE_EFFECT_LEASE
        effect.save(update_fields=["attempts", "next_attempt_at"])
    try:
        _CARRY_OUT[effect.kind](effect)
    except (*RETRYABLE_ERRORS, NotYetError) as error:
        _attempt_failed(effect, error, retry=True, now=now)
    except stripe.StripeError as error:
        _attempt_failed(effect, error, retry=False, now=now)
    except Exception as error:
        logger.exception("side effect %s failed", effect.idempotency_key)
        _attempt_failed(effect, error, retry=True, now=now)
    return SideEffect.objects.get(pk=pk)


def _lock_effect(pk) -> SideEffect:
    return lock(SideEffect.objects, pk=pk)


def _error_text(error) -> str:
    return str(getattr(error, "user_message", "") or error or type(error).__name__)[:500]


def _attempt_failed(effect, error, *, retry, now):
    with transaction.atomic():
        effect = _lock_effect(effect.pk)
        if effect.status != SideEffect.Status.PENDING:
            return
        effect.last_error = _error_text(error)
        if retry and effect.attempts < SIDE_EFFECT_MAX_ATTEMPTS:
            effect.next_attempt_at = now + backoff(effect.attempts)
        else:
            effect.status = SideEffect.Status.FAILED
            effect.next_attempt_at = None
            _side_effect_given_up(effect)
        effect.save(update_fields=["last_error", "next_attempt_at", "status"])
    logger.warning("side effect %s: attempt %s failed: %s", effect.idempotency_key, effect.attempts, effect.last_error)
    if effect.status == SideEffect.Status.PENDING:
        transaction.on_commit(partial(enqueue_side_effect, effect.pk, run_after=effect.next_attempt_at), robust=True)


def _side_effect_given_up(effect):
    if effect.kind == SideEffect.Kind.TRANSFER:
        payout = lock(Payout.objects, pk=effect.payout_id)
        if payout.status == Payout.Status.PENDING:
            payout.status = Payout.Status.FAILED
            payout.error = effect.last_error
            payout.save(update_fields=["status", "error"])
    elif effect.payment_id:
        payment = lock_payment(effect.payment_id)
        PaymentEvent.log(payment, source="system", note=f"{effect.kind} failed: {effect.last_error}")


def _finish(effect, result):
    """Mark `effect` (locked by the caller's transaction) done."""
    effect.status = SideEffect.Status.DONE
    effect.result = (result or "")[:255]
    effect.done_at = timezone.now()
    effect.next_attempt_at = None
    effect.save(update_fields=["status", "result", "done_at", "next_attempt_at"])


def _carry_out_refund(effect):
    payment = effect.payment
    refund = gateway.create_refund(
        payment_intent_id=payment.stripe_payment_intent_id,
        amount=effect.amount,
        currency=payment.currency,
        idempotency_key=effect.idempotency_key,
        metadata={"payment": str(payment.uid)},
    )
    with transaction.atomic():
        effect = _lock_effect(effect.pk)
        if effect.status != SideEffect.Status.PENDING:
            return
        payment = lock_payment(payment)
        _finish(effect, refund["id"])  # first: the refund is no longer pending while it is recorded
        record_refund(
            payment,
            amount=gateway.major(refund["amount"], payment.currency),
            stripe_refund_id=refund["id"],
            actor=effect.actor,
            reason=effect.reason,
            source="refund",
        )


def _carry_out_unneeded_refund(effect):
    payment = effect.payment
    intent_id = effect.reason or payment.stripe_payment_intent_id
    intent = gateway.retrieve_payment_intent(intent_id, expand_charge=True)
    status = intent.get("status")
    if status in ("processing", "requires_capture"):
        raise NotYetError(f"PaymentIntent {intent_id} is {status}")
    charge = intent.get("latest_charge")
    refunded_minor = int((charge or {}).get("amount_refunded") or 0) if isinstance(charge, dict) else 0
    left = int(intent.get("amount_received") or intent.get("amount") or 0) - refunded_minor
    if status != "succeeded" or left <= 0:
        with transaction.atomic():
            effect = _lock_effect(effect.pk)
            if effect.status == SideEffect.Status.PENDING:
                _finish(effect, f"nothing to refund ({status})")
        return
    refund = gateway.create_refund(
        payment_intent_id=intent_id,
        amount=gateway.major(left, payment.currency),
        currency=payment.currency,
        idempotency_key=effect.idempotency_key,
        metadata={"payment": str(payment.uid), "reason": "unneeded"},
    )
    with transaction.atomic():
        effect = _lock_effect(effect.pk)
        if effect.status != SideEffect.Status.PENDING:
            return
        locked = lock_payment(payment)
        _finish(effect, refund["id"])
        if locked.stripe_charge_id and locked.stripe_charge_id == gateway.charge_id(intent):
            record_refund(
                locked,
                amount=gateway.major(refund["amount"], payment.currency),
                stripe_refund_id=refund["id"],
                reason="unneeded",
                source="system",
            )
        else:
            PaymentEvent.log(locked, source="system", note=f"second card payment refunded: {refund['id']}")


def _carry_out_cancel_intent(effect):
    payment = effect.payment
    try:
        gateway.cancel_payment_intent(payment.stripe_payment_intent_id)
        result = "cancelled"
    except stripe.InvalidRequestError:
        # Not cancellable: already cancelled, or paid or being paid (its success event then finds the
        # payment cancelled and refunds it).
        intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
        result = f"not cancellable: {intent.get('status')}"
    with transaction.atomic():
        effect = _lock_effect(effect.pk)
        if effect.status == SideEffect.Status.PENDING:
            _finish(effect, result)


def _carry_out_transfer(effect):
    payout = effect.payout
    account = PayoutAccount.objects.get(institute_id=payout.institute_id)
    transfer = gateway.create_transfer(
        amount=payout.amount,
        currency=payout.currency,
        destination=account.stripe_account_id,
        idempotency_key=effect.idempotency_key,
        metadata={"payout": str(payout.uid), "institute": str(payout.institute_id)},
    )
    with transaction.atomic():
        effect = _lock_effect(effect.pk)
        if effect.status != SideEffect.Status.PENDING:
            return
        _finish(effect, transfer["id"])
        Payout.objects.filter(pk=payout.pk).update(
            stripe_transfer_id=transfer["id"], status=Payout.Status.PAID, error=""
        )


_CARRY_OUT = {
    SideEffect.Kind.REFUND: _carry_out_refund,
    SideEffect.Kind.REFUND_UNNEEDED: _carry_out_unneeded_refund,
    SideEffect.Kind.CANCEL_INTENT: _carry_out_cancel_intent,
    SideEffect.Kind.TRANSFER: _carry_out_transfer,
}
