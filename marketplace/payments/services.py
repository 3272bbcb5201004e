"""State changes of payments. Every change happens here, in a transaction, under a row lock on the
payment, and leaves a PaymentEvent behind (who or what, when, old → new status).

Rules that keep money safe:
- What is paid for (a booking, an agreement: a "payable", see payables.py) is confirmed only by a
  verified Stripe success event or by institute staff marking an invoice paid; never by the browser.
- Each Stripe event is stored once (unique event id) and applied once (processed_at, under a lock).
- State only moves forward (STATUS_RANK): a late "failed" never undoes "succeeded", a late "succeeded"
  never undoes "refunded".
- Money that arrives for something that can no longer be delivered (a released slot, a second payment)
  is refunded in full.
- Every call to Stripe that a committed change needs (refund, PaymentIntent cancellation, transfer) is
  a SideEffect row written in the same transaction, carried out after the commit with an idempotency
  key and retried until Stripe answers (execute_side_effect; the task; reconcile_payments).
"""

import logging
from datetime import timedelta
from decimal import Decimal
from functools import partial

import stripe
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Organization, Role
from marketplace.core.emails import notify
from marketplace.core.money import quantize
from marketplace.statistics.models import TransferEvent
from marketplace.statistics.services import record_event

from . import gateway, selectors
from .models import (
    OPEN_STATUSES,
    PAID_STATUSES,
    STATUS_RANK,
    ZERO,
    Payment,
    PaymentEvent,
    PaymentRefund,
    PaymentStatus,
    Payout,
    PayoutAccount,
    Provider,
    SideEffect,
    StripeEvent,
)
from .payables import get_payable, payable_for

logger = logging.getLogger(__name__)

HUNDRED = Decimal("100")


# --- helpers ---------------------------------------------------------------------------------------


def hold_duration() -> timedelta:
    return timedelta(minutes=settings.PAYMENT_HOLD_MINUTES)


def _lock(payment) -> Payment:
    """The payment's row, locked until the transaction ends (PostgreSQL); on SQLite every transaction
    began with BEGIN IMMEDIATE and so already holds the database write lock."""
    qs = Payment.objects.filter(pk=payment.pk if isinstance(payment, Payment) else payment)
    if settings.IS_POSTGRES:
        qs = qs.select_for_update(of=("self",))
    return qs.select_related("institute", "enterprise", "created_by").get()


def _history(payment, from_status, *, actor=None, source="", note="", amount=None):
    PaymentEvent.objects.create(
        payment=payment,
        from_status=from_status,
        to_status=payment.status,
        actor=actor,
        source=source[:120],
        note=(note or "")[:500],
        amount=amount,
    )


def _move(payment, to_status, *, actor=None, source="", note="", fields=(), amount=None):
    from_status = payment.status
    payment.status = to_status
    payment.save(update_fields=["status", "updated_at", *fields])
    _history(payment, from_status, actor=actor, source=source, note=note, amount=amount)


def _email_context(payment):
    subject = payment.subject
    return {
        "number": payment.number,
        "amount": str(payment.amount),
        "refunded": str(payment.refunded_amount),
        "currency": payment.currency,
        "subject_label": payment.subject_label,
        "confirmed_text": payment.payable.confirmed_text(subject) if subject is not None else "",
        "institute": payment.institute.name,
        "institute_en": payment.institute.name_en or payment.institute.name,
        "url": settings.SITE_URL + reverse("payments:detail", args=[payment.pk]),
        "hold_minutes": settings.PAYMENT_HOLD_MINUTES,
    }


def _notify_payer(payment, name, **extra):
    user = payment.created_by
    if user is not None:
        notify(user, f"payments/email/{name}", {**_email_context(payment), **extra})


def _ledger_subject(payment):
    """What the ledger files a payment under: the subject's row, or "kind:id" for one that is no model."""
    subject = payment.subject
    return subject if isinstance(subject, models.Model) else f"{payment.subject_kind}:{payment.subject_id}"


def _record_received(payment):
    record_event(
        TransferEvent.Kind.PAYMENT_RECEIVED,
        institute=payment.institute_id,
        enterprise=payment.enterprise_id,
        source=payment,
        subject=_ledger_subject(payment),
        amount=payment.amount,
        currency=payment.currency,
        occurred_at=payment.paid_at or timezone.now(),
        data={"provider": payment.provider},
    )


# --- the thing paid for: asked of its payable ---------------------------------------------------------


def _confirm_subject(payment, *, actor, reference) -> bool:
    """Confirm what is paid for through its app (the payable's `confirm`).

    True when it is (now or already) confirmed by this payment; False when it can no longer be
    (cancelled, released, confirmed by other means): the money must then go back.
    """
    subject = payment.subject
    if subject is None:
        return False
    return payment.payable.confirm(subject, payment_number=payment.number, actor=actor, reference=reference)


def _release_subject(payment, *, note):
    """Give back what an unpaid card payment held (e.g. a booking's slot): the hold expired."""
    if payment.payable.holds_subject and payment.subject is not None:
        payment.payable.release(payment.subject, note=note)


# --- starting a payment ----------------------------------------------------------------------------


def _create_payment(*, payable, subject, actor, provider, hold=False):
    if provider not in Provider.values:
        raise ValidationError(_("Choose a payment method."))
    if provider == Provider.STRIPE and not gateway.stripe_enabled():
        raise ValidationError(_("Card payment is not available; pay by invoice."))
    amount, currency = payable.price(subject)
    amount = quantize(amount)
    if amount <= ZERO:
        raise ValidationError(_("There is nothing to pay."))
    now = timezone.now()
    payment = Payment(
        subject_kind=payable.kind,
        subject_id=subject.pk,
        institute_id=payable.payee_id(subject),
        enterprise_id=payable.payer_id(subject),
        created_by=actor,
        amount=amount,
        currency=currency,
        provider=provider,
        status=PaymentStatus.PENDING,
        hold_until=now + hold_duration() if (hold and provider == Provider.STRIPE) else None,
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # Another request started the payment of this subject first: use that one.
        return Payment.objects.for_subject(subject, payable.kind).live().get()
    payment._subject_cache = subject
    _history(payment, "", actor=actor, source="buyer", amount=amount)
    return payment


def live_payment_of(subject, *, kind=None):
    """The payment of `subject` that is not cancelled, or None."""
    return Payment.objects.for_subject(subject, kind).live().order_by("-pk").first()


@transaction.atomic
def start_payment(subject, *, actor, provider=None, kind=None) -> Payment:
    """The payment of `subject` (any registered payable; `kind` when it has no model): the existing live
    one, or a new one by `provider` (Stripe when configured, else invoice), if it can be paid now."""
    payable = get_payable(kind) if kind else payable_for(subject)
    subject = payable.lock(subject)
    if not account_selectors.has_role(actor, payable.payer_id(subject), [Role.BUYER]):
        raise PermissionDenied(_("You do not pay for this enterprise."))
    existing = live_payment_of(subject, kind=payable.kind)
    if existing is not None:
        return existing
    if not payable.can_be_paid(subject):
        raise ValidationError(_("This cannot be paid now."))
    return _create_payment(
        payable=payable,
        subject=subject,
        hold=payable.holds_subject,
        actor=actor,
        provider=provider or (Provider.STRIPE if gateway.stripe_enabled() else Provider.INVOICE),
    )


def _intent_metadata(payment):
    return {
        "payment": str(payment.uid),
        "payment_id": str(payment.pk),
        "institute": str(payment.institute_id),
        payment.subject_kind: str(payment.subject_id),
    }


@transaction.atomic
def ensure_payment_intent(payment) -> dict:
    """The Stripe PaymentIntent of an open Stripe payment, created once (idempotency key per payment)."""
    payment = _lock(payment)
    if payment.provider != Provider.STRIPE or payment.status not in OPEN_STATUSES:
        raise ValidationError(_("This payment cannot be paid by card now."))
    if payment.stripe_payment_intent_id:
        return gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
    intent = gateway.create_payment_intent(
        amount=payment.amount,
        currency=payment.currency,
        metadata=_intent_metadata(payment),
        idempotency_key=f"payment-{payment.uid}-intent",
    )
    payment.stripe_payment_intent_id = intent["id"]
    payment.save(update_fields=["stripe_payment_intent_id", "updated_at"])
    _history(payment, payment.status, source="stripe", note=f"PaymentIntent {intent['id']}")
    return intent


def switch_to_invoice(payment, *, actor) -> Payment:
    """The buyer pays an open card payment by invoice instead. The PaymentIntent is cancelled at Stripe
    first; if Stripe says it is already paid or being paid, nothing changes."""
    payment = Payment.objects.get(pk=payment.pk)
    if not selectors.can_pay(actor, payment):
        raise PermissionDenied(_("You do not pay for this enterprise."))
    if payment.provider == Provider.INVOICE:
        return payment
    if payment.status not in OPEN_STATUSES:
        raise ValidationError(_("This payment can no longer be changed."))
    if payment.stripe_payment_intent_id:
        intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
        if intent["status"] in ("succeeded", "processing", "requires_capture"):
            raise ValidationError(_("A card payment is already under way; wait for its result."))
        if intent["status"] != "canceled":
            try:
                gateway.cancel_payment_intent(payment.stripe_payment_intent_id)
            except stripe.InvalidRequestError:
                raise ValidationError(_("A card payment is already under way; wait for its result.")) from None
    with transaction.atomic():
        payment = _lock(payment)
        if payment.status not in OPEN_STATUSES or payment.provider != Provider.STRIPE:
            return payment
        payment.provider = Provider.INVOICE
        payment.hold_until = None
        _move(
            payment,
            PaymentStatus.PENDING,
            actor=actor,
            source="buyer",
            note="invoice chosen",
            fields=["provider", "hold_until"],
        )
    return payment


# --- invoice mode ----------------------------------------------------------------------------------


@transaction.atomic
def mark_invoice_paid(payment, *, actor, reference="") -> Payment:
    """Institute staff (or platform staff) record that the invoice was paid: the booking or agreement
    is confirmed through its own function. Idempotent for a payment already marked paid."""
    payment = _lock(payment)
    if not selectors.can_mark_paid(actor, payment):
        raise PermissionDenied(_("Only the institute's staff may mark this invoice paid."))
    if payment.provider != Provider.INVOICE:
        raise ValidationError(_("Only invoices are marked paid by hand."))
    if payment.status in PAID_STATUSES:
        return payment
    if payment.status not in OPEN_STATUSES:
        raise ValidationError(_("This invoice was cancelled."))
    reference = (reference or "").strip()[:100]
    reference = f"{payment.number} {reference}".strip()
    payment.paid_at = timezone.now()
    payment.reference = reference
    payment.hold_until = None
    _move(
        payment,
        PaymentStatus.SUCCEEDED,
        actor=actor,
        source="staff",
        note=reference,
        amount=payment.amount,
        fields=["paid_at", "reference", "hold_until"],
    )
    _record_received(payment)
    if not _confirm_subject(payment, actor=actor, reference=reference):
        raise ValidationError(
            _("%(label)s can no longer be confirmed; nothing was recorded.") % {"label": payment.subject_label}
        )
    _notify_payer(payment, "received")
    return payment


@transaction.atomic
def receive_invoice_payment(subject, *, actor, reference="", kind=None) -> Payment:
    """Institute staff record that an invoice for `subject` (a booking, an agreement, …) was paid.

    The one path for money received outside Stripe: the invoice payment the buyer opened is used, or
    one is issued now; it is marked paid, which confirms the subject and writes the ledger. A card
    payment under way is left alone (its webhook decides).
    """
    payable = get_payable(kind) if kind else payable_for(subject)
    if not (actor.is_staff or account_selectors.has_role(actor, payable.payee_id(subject), list(payable.staff_roles))):
        raise PermissionDenied(_("Only the institute's staff may mark this invoice paid."))
    payment = live_payment_of(subject, kind=payable.kind)
    if payment is not None and payment.provider == Provider.STRIPE and payment.status in OPEN_STATUSES:
        raise ValidationError(_("A card payment for this is under way; wait for it to finish or fail."))
    if payment is None:
        payment = _create_payment(payable=payable, subject=subject, actor=actor, provider=Provider.INVOICE)
    return mark_invoice_paid(payment, actor=actor, reference=reference)


# --- Stripe webhooks --------------------------------------------------------------------------------


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
        qs = StripeEvent.objects.filter(pk=event.pk)
        if settings.IS_POSTGRES:
            qs = qs.select_for_update()
        event = qs.get()
        if event.processed_at is not None:
            return
        obj = (event.payload.get("data") or {}).get("object") or {}
        intent_id = _intent_id_of(obj)
        payment = None
        if intent_id:
            found = Payment.objects.filter(stripe_payment_intent_id=intent_id).first()
            payment = _lock(found) if found else None
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


def _charge_id(intent) -> str:
    charge = intent.get("latest_charge") or ""
    return charge.get("id", "") if isinstance(charge, dict) else charge


def apply_intent_succeeded(payment, intent, *, source):
    """Money arrived for `payment` (locked). Returns (result, payment to refund in full or None)."""
    if payment.is_paid:
        charge_id = _charge_id(intent)
        if payment.provider == Provider.STRIPE and (not charge_id or charge_id == payment.stripe_charge_id):
            return _confirm_after_refund_seen_first(payment, source=source)
        if payment.stripe_charge_id or not charge_id:
            return "duplicate: already paid", None
        # Paid by invoice already, and now by card too: the card payment goes back.
        _history(payment, payment.status, source=source, note=f"second payment by card, refunded: {_charge_id(intent)}")
        return "second payment: refunding", payment
    if not _amount_matches(payment, intent):
        _history(payment, payment.status, source=source, note="amount or currency differs from Stripe: not applied")
        logger.error("payment %s: amount or currency differs from PaymentIntent %s", payment.pk, intent.get("id"))
        return "error: amount or currency differs", None
    payment.provider = Provider.STRIPE
    payment.paid_at = timezone.now()
    payment.stripe_charge_id = _charge_id(intent)[:255]
    payment.hold_until = None
    payment.reference = payment.stripe_payment_intent_id
    _move(
        payment,
        PaymentStatus.SUCCEEDED,
        source=source,
        amount=payment.amount,
        fields=["provider", "paid_at", "stripe_charge_id", "hold_until", "reference"],
    )
    _record_received(payment)
    if _confirm_subject(payment, actor=None, reference=f"{payment.number} {payment.stripe_payment_intent_id}"):
        _notify_payer(payment, "received")
        return "applied: paid and confirmed", None
    _history(payment, payment.status, source=source, note="paid after the subject was released: refunded in full")
    return "paid for something no longer available: refunding", payment


def _confirm_after_refund_seen_first(payment, *, source):
    """The success of a card payment already recorded as paid: normally a repeated event. When a
    refund event came first, the payment was recorded as paid without confirming anything: confirm
    the booking or agreement now, as if the events had come in order (or refund what is left when it
    can no longer be confirmed)."""
    if _confirmed_by(payment):
        return "duplicate: already paid", None
    reference = f"{payment.number} {payment.stripe_payment_intent_id}"
    if _confirm_subject(payment, actor=None, reference=reference):
        _history(payment, payment.status, source=source, note="confirmed (a refund event came first)")
        _notify_payer(payment, "received")
        return "applied: confirmed (a refund event came first)", None
    if payment.refunded_amount >= payment.amount:
        return "duplicate: already paid and refunded", None
    _history(payment, payment.status, source=source, note="paid for something no longer available: refunded")
    return "paid for something no longer available: refunding", payment


def _confirmed_by(payment) -> bool:
    """Whether what is paid for is confirmed by this payment."""
    subject = payment.subject
    return subject is not None and payment.payable.confirmed_by(subject, payment.number)


def apply_intent_failed(payment, intent, *, source):
    if payment.status not in OPEN_STATUSES or payment.provider != Provider.STRIPE:
        return "ignored: payment is not open"
    error = (intent.get("last_payment_error") or {}).get("message") or ""
    payment.hold_until = timezone.now() + hold_duration()
    _move(payment, PaymentStatus.FAILED, source=source, note=error, fields=["hold_until"])
    _notify_payer(payment, "failed", error=error)
    return "applied: failed"


def apply_intent_canceled(payment, *, source):
    if payment.status not in OPEN_STATUSES or payment.provider != Provider.STRIPE:
        return "ignored: payment is not an open card payment"
    payment.hold_until = None
    _move(payment, PaymentStatus.CANCELLED, source=source, fields=["hold_until"])
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


# --- refunds ----------------------------------------------------------------------------------------


def record_refund(payment, *, amount, stripe_refund_id="", actor=None, reason="", source="", suffix="") -> bool:
    """Record money returned on `payment` (locked by the caller). Once per Stripe refund id; never more
    than was paid. A refund heard of before the payment itself means the payment was made: it is
    recorded as received first (without confirming anything). Returns True when something changed."""
    amount = quantize(amount)
    if amount <= ZERO:
        return False
    if stripe_refund_id and PaymentRefund.objects.filter(stripe_refund_id=stripe_refund_id).exists():
        return False
    if not payment.is_paid:
        payment.paid_at = payment.paid_at or timezone.now()
        payment.hold_until = None
        _move(
            payment,
            PaymentStatus.SUCCEEDED,
            source=source,
            note="refund seen before payment",
            amount=payment.amount,
            fields=["paid_at", "hold_until"],
        )
        _record_received(payment)
    amount = min(amount, payment.amount - payment.refunded_amount)
    if amount <= ZERO:
        return False
    refund = PaymentRefund.objects.create(
        payment=payment, amount=amount, stripe_refund_id=stripe_refund_id, reason=reason[:255], created_by=actor
    )
    payment.refunded_amount = quantize(payment.refunded_amount + amount)
    to_status = (
        PaymentStatus.REFUNDED if payment.refunded_amount >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    )
    if STATUS_RANK[to_status] < STATUS_RANK[payment.status]:
        to_status = payment.status
    _move(payment, to_status, actor=actor, source=source, note=reason, amount=amount, fields=["refunded_amount"])
    record_event(
        TransferEvent.Kind.PAYMENT_REFUNDED,
        institute=payment.institute_id,
        enterprise=payment.enterprise_id,
        source=payment,
        subject=_ledger_subject(payment),
        amount=amount,
        currency=payment.currency,
        source_suffix=f":{stripe_refund_id or suffix or refund.pk}",
        data={"refund": refund.pk},
    )
    _notify_payer(payment, "refunded", refund_amount=str(amount))
    return True


def refund_payment(payment, *, amount, actor=None, reason="", key="") -> Payment:
    """Return `amount` of a paid payment. For a card payment the refund is recorded as a pending side
    effect in this transaction and made at Stripe after the commit (idempotency key per payment and
    `key`), so a cancellation never waits on Stripe nor is lost with it; for an invoice the institute
    returns it by bank transfer and the refund is recorded at once. Never more than what remains."""
    amount = quantize(amount)
    with transaction.atomic():
        payment = _lock(payment)
        if not payment.is_paid:
            raise ValidationError(_("Only a paid payment can be refunded."))
        amount = min(amount, payment.amount - payment.refunded_amount - pending_refunds(payment))
        if amount <= ZERO:
            return payment
        if payment.provider == Provider.STRIPE and payment.stripe_payment_intent_id:
            effect = add_side_effect(
                SideEffect.Kind.REFUND,
                key=f"payment-{payment.uid}-refund-{key or amount}",
                payment=payment,
                amount=amount,
                reason=reason,
                actor=actor,
            )
            _history(payment, payment.status, actor=actor, source="refund", note=f"refund pending: {effect.amount}")
        else:
            record_refund(payment, amount=amount, actor=actor, reason=reason, source="refund")
    return payment


def pending_refunds(payment) -> Decimal:
    """Card refunds committed to but not yet made at Stripe."""
    total = SideEffect.objects.filter(
        payment=payment, kind=SideEffect.Kind.REFUND, status=SideEffect.Status.PENDING
    ).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def schedule_unneeded_refund(payment, *, event=None, intent_id="", now_too=True):
    """Card money that cannot be used (the booking was released or cancelled before it arrived, or the
    invoice had been paid already) goes back in full: a pending side effect, made after the commit."""
    intent_id = intent_id or payment.stripe_payment_intent_id
    effect = add_side_effect(
        SideEffect.Kind.REFUND_UNNEEDED,
        key=f"payment-{payment.uid}-unneeded-{intent_id}",
        payment=payment,
        event=event,
        reason=intent_id,
        schedule=now_too,
    )
    return effect


def refund_unneeded_payment(payment):
    """Give back in full card money that cannot be used, now (kept for callers outside a transaction)."""
    effect = schedule_unneeded_refund(payment, now_too=False)
    return execute_side_effect(effect.pk)


# --- side effects at Stripe (the outbox) ------------------------------------------------------------

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


def enqueue_side_effect(pk, *, run_after=None):
    # Imported here: tasks.py imports this module (its tasks call these services).
    from . import tasks

    task = tasks.carry_out_side_effect
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # the periodic task or reconcile_payments picks it up when due
        task = task.using(run_after=run_after)
    task.enqueue(pk)


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
    qs = SideEffect.objects.filter(pk=pk)
    if settings.IS_POSTGRES:
        qs = qs.select_for_update(of=("self",))
    return qs.get()


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
        payout = Payout.objects.select_for_update().get(pk=effect.payout_id) if settings.IS_POSTGRES else effect.payout
        if payout.status == Payout.Status.PENDING:
            payout.status = Payout.Status.FAILED
            payout.error = effect.last_error
            payout.save(update_fields=["status", "error"])
    elif effect.payment_id:
        payment = _lock(effect.payment_id)
        _history(payment, payment.status, source="system", note=f"{effect.kind} failed: {effect.last_error}")


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
        payment = _lock(payment)
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
        locked = _lock(payment)
        _finish(effect, refund["id"])
        if locked.stripe_charge_id and locked.stripe_charge_id == _charge_id(intent):
            record_refund(
                locked,
                amount=gateway.major(refund["amount"], payment.currency),
                stripe_refund_id=refund["id"],
                reason="unneeded",
                source="system",
            )
        else:
            _history(locked, locked.status, source="system", note=f"second card payment refunded: {refund['id']}")


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


def carry_out_due_side_effects(*, now=None, older_than=None) -> list[SideEffect]:
    """One attempt at every pending side effect that is due (created before `now - older_than` when
    given). Returns them as they are afterwards."""
    now = now or timezone.now()
    due = SideEffect.objects.filter(status=SideEffect.Status.PENDING, next_attempt_at__lte=now)
    if older_than is not None:
        due = due.filter(created_at__lte=now - older_than)
    return [execute_side_effect(pk, now=now) for pk in list(due.values_list("pk", flat=True))]


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


# --- cancelling what is no longer wanted ------------------------------------------------------------


def cancel_open_payments(subject, *, actor=None, note="", kind=None):
    """`subject` (a booking, an agreement, …) was cancelled (call inside its transaction): its payment
    not yet made is cancelled with it — an invoice is void, a PaymentIntent is cancelled at Stripe after
    the commit (side effect) — and the payment page no longer offers to pay. Money that arrives all the
    same is refunded by the success event."""
    payable = get_payable(kind) if kind else payable_for(subject)
    open_payments = Payment.objects.for_subject(subject, payable.kind).filter(status__in=OPEN_STATUSES)
    for pk in list(open_payments.values_list("pk", flat=True)):
        payment = _lock(pk)
        if payment.status not in OPEN_STATUSES:
            continue
        payment.hold_until = None
        _move(
            payment,
            PaymentStatus.CANCELLED,
            actor=actor,
            source="system",
            note=note or f"{payable.kind} cancelled",
            fields=["hold_until"],
        )
        if payment.provider == Provider.STRIPE and payment.stripe_payment_intent_id:
            add_side_effect(
                SideEffect.Kind.CANCEL_INTENT, key=f"payment-{payment.uid}-cancel-intent", payment=payment, actor=actor
            )


def refund_for_cancelled(subject, *, actor=None, by_payee=False, now=None, kind=None):
    """Called where a confirmed, paid subject is cancelled: refund what its cancellation policy (asked of
    its payable) allows. Returns the payment (or None when nothing was paid)."""
    payable = get_payable(kind) if kind else payable_for(subject)
    payment = (
        Payment.objects.for_subject(subject, payable.kind)
        .filter(status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED])
        .order_by("pk")
        .first()
    )
    if payment is None:
        return None
    percent = Decimal(payable.refund_percent(subject, by_payee=by_payee, now=now or timezone.now()))
    amount = quantize(payment.amount * percent / HUNDRED) - payment.refunded_amount - pending_refunds(payment)
    if amount <= ZERO:
        return payment
    return refund_payment(
        payment,
        amount=amount,
        actor=actor,
        reason=_("%(label)s cancelled: %(p)s %% refunded")
        % {"label": payable.label(subject), "p": f"{percent.normalize():f}"},
        key=f"cancel-{payable.kind}-{subject.pk}",
    )


def held_subject_ids(kind, now=None):
    """Ids of the subjects of `kind` a card payment not yet made still holds (values queryset)."""
    now = now or timezone.now()
    return Payment.objects.filter(
        subject_kind=kind, provider=Provider.STRIPE, status__in=OPEN_STATUSES, hold_until__gte=now
    ).values("subject_id")


# --- slot holds -------------------------------------------------------------------------------------


def release_expired_holds(now=None) -> int:
    """Cancel unpaid card payments whose hold has expired and give their slots back. A PaymentIntent
    that Stripe reports paid or being paid is left alone (its webhook will confirm it)."""
    now = now or timezone.now()
    released = 0
    expired = Payment.objects.filter(
        provider=Provider.STRIPE, status__in=OPEN_STATUSES, hold_until__lt=now
    ).values_list("pk", flat=True)
    for pk in list(expired):
        try:
            if release_hold(Payment.objects.get(pk=pk), now=now):
                released += 1
        except stripe.StripeError as error:
            # Stripe cannot tell whether it was paid: keep this hold, try again at the next run, and
            # go on with the others.
            logger.warning("payment %s: hold not released, Stripe failed: %s", pk, error)
    return released


def release_hold(payment, *, now=None) -> bool:
    now = now or timezone.now()
    if payment.stripe_payment_intent_id:
        intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
        if intent["status"] in ("succeeded", "processing", "requires_capture"):
            return False
        if intent["status"] != "canceled":
            try:
                gateway.cancel_payment_intent(payment.stripe_payment_intent_id)
            except stripe.InvalidRequestError:
                return False
    with transaction.atomic():
        payment = _lock(payment)
        if (
            payment.provider != Provider.STRIPE
            or payment.status not in OPEN_STATUSES
            or payment.hold_until is None
            or payment.hold_until >= now
        ):
            return False
        payment.hold_until = None
        _move(payment, PaymentStatus.CANCELLED, source="system", note="hold expired", fields=["hold_until"])
        _release_subject(payment, note=_("Not paid within %(n)d minutes.") % {"n": settings.PAYMENT_HOLD_MINUTES})
    return True


# --- paying institutes out --------------------------------------------------------------------------


def set_payout_account(institute, stripe_account_id) -> PayoutAccount:
    account, _created = PayoutAccount.objects.update_or_create(
        institute=institute, defaults={"stripe_account_id": stripe_account_id.strip()}
    )
    return account


def pay_out(institute, *, currency, actor=None) -> Payout:
    """Transfer what the platform owes an institute in `currency` (card payments net of refunds, less
    earlier payouts) to its Stripe Connect account. One payout at a time per institute."""
    if not gateway.stripe_enabled():
        raise ValidationError(_("Payouts need Stripe."))
    account = PayoutAccount.objects.filter(institute=institute).first()
    if account is None:
        raise ValidationError(_("This institute has no Stripe Connect account; settle what is owed by bank transfer."))
    with transaction.atomic():
        qs = Organization.objects.filter(pk=institute.pk)
        if settings.IS_POSTGRES:
            qs = qs.select_for_update()
        qs.get()
        owed = selectors.owed_to(institute, currency)
        if owed <= ZERO:
            raise ValidationError(_("Nothing is owed to this institute."))
        # The payout (counted as paid out while pending) and its transfer are recorded together; the
        # transfer is made after the commit and retried with the same idempotency key until Stripe
        # answers: the payout then ends paid (with the transfer id) or failed (owed again).
        payout = Payout.objects.create(institute=institute, amount=owed, currency=currency, created_by=actor)
        effect = add_side_effect(
            SideEffect.Kind.TRANSFER,
            key=f"payout-{payout.uid}",
            payout=payout,
            amount=owed,
            actor=actor,
            schedule=False,
        )
    execute_side_effect(effect.pk)
    payout.refresh_from_db()
    if payout.status == Payout.Status.FAILED:
        raise ValidationError(_("Stripe refused the transfer: %(e)s") % {"e": payout.error})
    return payout
