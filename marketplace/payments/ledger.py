"""Payments' facts as transfer-ledger entries: one function per fact.

Each function returns the fact's unsaved ledger row (`statistics.services.entry`). The payment services
`record` it when the money moves (services/bookkeeping.py), and the ledger rebuild inserts it from the
payment tables (`sources`, registered with statistics in PaymentsConfig.ready()). A payment is filed
under its subject (the booking, the agreement, … asked of its payable): a refund then subtracts from
the income of the same subject.
"""

from django.db import models
from django.utils import timezone

from marketplace.statistics import registry
from marketplace.statistics.models import TransferEvent
from marketplace.statistics.registry import Source
from marketplace.statistics.services import entry

from .models import Payment, PaymentRefund

K = TransferEvent.Kind

__all__ = ["payment_received", "payment_refunded", "register", "sources"]


def _subject_and_listing(payment):
    """What the ledger files a payment under: the subject's row (and its listing page), or "kind:id" for
    a subject that is no model (or no longer exists)."""
    subject = payment.subject
    if isinstance(subject, models.Model):
        return subject, payment.payable.listing_id(subject)
    return f"{payment.subject_kind}:{payment.subject_id}", None


def payment_received(payment):
    """Money for `payment` was received (by card or invoice) at its `paid_at`."""
    subject, listing = _subject_and_listing(payment)
    return entry(
        K.PAYMENT_RECEIVED,
        payment,
        occurred_at=payment.paid_at or timezone.now(),
        institute=payment.institute_id,
        enterprise=payment.enterprise_id,
        amount=payment.amount,
        currency=payment.currency,
        listing=listing,
        subject=subject,
        data={"provider": payment.provider},
    )


def payment_refunded(refund, *, suffix=""):
    """Money was returned on a payment (`refund`, a PaymentRefund). One fact per Stripe refund id (or
    `suffix`, for a total Stripe reported without listing its refunds, or the refund's own id)."""
    payment = refund.payment
    subject, listing = _subject_and_listing(payment)
    return entry(
        K.PAYMENT_REFUNDED,
        payment,
        source_suffix=f":{refund.stripe_refund_id or suffix or refund.pk}",
        occurred_at=refund.created_at,
        institute=payment.institute_id,
        enterprise=payment.enterprise_id,
        amount=refund.amount,
        currency=payment.currency,
        listing=listing,
        subject=subject,
        data={"refund": refund.pk},
    )


def _refunds_in_ledger():
    """Refund ids already in the ledger (a refund fact names its refund in `data`)."""
    return {
        refund
        for refund in TransferEvent.objects.filter(kind=K.PAYMENT_REFUNDED)
        .values_list("data__refund", flat=True)
        .iterator()
        if refund is not None
    }


def sources():
    return [
        Source(
            K.PAYMENT_RECEIVED,
            "payments.payment",
            lambda: Payment.objects.filter(paid_at__isnull=False),
            payment_received,
            amount="amount",
        ),
        Source(
            K.PAYMENT_REFUNDED,
            "payments.payment",
            lambda: PaymentRefund.objects.select_related("payment"),
            payment_refunded,
            amount="amount",
            known=_refunds_in_ledger,
            skip=lambda refund, known: refund.pk in known,
        ),
    ]


def register():
    """Tell statistics where the rebuild finds payments' facts (called from PaymentsConfig.ready())."""
    registry.register_source("payments", sources)
