"""What money moved on a payment: received, returned. Each is recorded once, with its history line and
its ledger fact (payments/ledger.py), by whichever path learnt of it (staff, a webhook, a side effect,
reconciliation)."""

from django.utils import timezone

from marketplace.core.money import quantize
from marketplace.statistics.services import record

from .. import ledger
from ..models import STATUS_RANK, ZERO, PaymentEvent, PaymentRefund, PaymentStatus
from .notifications import notify_payer


def record_received(payment):
    record(ledger.payment_received(payment))


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
        PaymentEvent.move(
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
    PaymentEvent.move(
        payment, to_status, actor=actor, source=source, note=reason, amount=amount, fields=["refunded_amount"]
    )
    record(ledger.payment_refunded(refund, suffix=suffix))
    notify_payer(payment, "refunded", refund_amount=str(amount))
    return True
