"""Returning money: a share of a paid payment (cancellation policy asked of the payable), or in full
when it paid for something no longer available. Card refunds are side effects made after the commit;
invoice refunds are recorded at once (the institute returns the money by bank transfer)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.money import quantize

from ..models import ZERO, Payment, PaymentEvent, PaymentStatus, Provider, SideEffect
from ..payables import HUNDRED, get_payable, payable_for
from .bookkeeping import record_refund
from .records import lock_payment
from .side_effects import add_side_effect, execute_side_effect


def refund_payment(payment, *, amount, actor=None, reason="", key="") -> Payment:
    """Return `amount` of a paid payment. For a card payment the refund is recorded as a pending side
    effect in this transaction and made at Stripe after the commit (idempotency key per payment and
    `key`), so a cancellation never waits on Stripe nor is lost with it; for an invoice the institute
    returns it by bank transfer and the refund is recorded at once. Never more than what remains."""
    amount = quantize(amount)
    with transaction.atomic():
        payment = lock_payment(payment)
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
            PaymentEvent.log(payment, actor=actor, source="refund", note=f"refund pending: {effect.amount}")
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
