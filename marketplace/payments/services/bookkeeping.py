"""What money moved on a payment: received, returned. Each is recorded once, with its history line
and its ledger fact, by whichever path learnt of it (staff, a webhook, a side effect, reconciliation)."""

from django.db import models
from django.utils import timezone

from marketplace.core.money import quantize
from marketplace.statistics.models import TransferEvent
from marketplace.statistics.services import record_event

from ..models import STATUS_RANK, ZERO, PaymentRefund, PaymentStatus
from .notifications import notify_payer
from .records import move


def _ledger_subject(payment):
    """What the ledger files a payment under: the subject's row, or "kind:id" for one that is no model."""
    subject = payment.subject
    return subject if isinstance(subject, models.Model) else f"{payment.subject_kind}:{payment.subject_id}"


def record_received(payment):
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
        move(
            payment,
            PaymentStatus.SUCCEEDED,
            source=source,
            note="refund seen before payment",
            amount=payment.amount,
            fields=["paid_at", "hold_until"],
        )
        record_received(payment)
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
    move(payment, to_status, actor=actor, source=source, note=reason, amount=amount, fields=["refunded_amount"])
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
    notify_payer(payment, "refunded", refund_amount=str(amount))
    return True
