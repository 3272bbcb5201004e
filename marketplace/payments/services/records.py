"""The payment's row lock, taken by every state change of a payment (the changes themselves go through
`PaymentEvent.move`, which writes the history line with them)."""

from datetime import timedelta

from django.conf import settings

from marketplace.core.locking import lock

from ..models import Payment


def hold_duration() -> timedelta:
    return timedelta(minutes=settings.PAYMENT_HOLD_MINUTES)


def lock_payment(payment) -> Payment:
    """The payment's row (a Payment or its id), fresh and locked until the transaction ends."""
    pk = payment.pk if isinstance(payment, Payment) else payment
    return lock(Payment.objects.select_related("institute", "enterprise", "created_by"), pk=pk)
