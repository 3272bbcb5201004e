"""The payment's row lock and its history: every state change of a payment goes through `move`
(or `history` for a line that changes no state), under the lock `lock_payment` takes."""

from datetime import timedelta

from django.conf import settings

from ..models import Payment, PaymentEvent


def hold_duration() -> timedelta:
    return timedelta(minutes=settings.PAYMENT_HOLD_MINUTES)


def lock_payment(payment) -> Payment:
    """The payment's row, locked until the transaction ends (PostgreSQL); on SQLite every transaction
    began with BEGIN IMMEDIATE and so already holds the database write lock."""
    qs = Payment.objects.filter(pk=payment.pk if isinstance(payment, Payment) else payment)
    if settings.IS_POSTGRES:
        qs = qs.select_for_update(of=("self",))
    return qs.select_related("institute", "enterprise", "created_by").get()


def history(payment, from_status, *, actor=None, source="", note="", amount=None):
    PaymentEvent.objects.create(
        payment=payment,
        from_status=from_status,
        to_status=payment.status,
        actor=actor,
        source=source[:120],
        note=(note or "")[:500],
        amount=amount,
    )


def move(payment, to_status, *, actor=None, source="", note="", fields=(), amount=None):
    from_status = payment.status
    payment.status = to_status
    payment.save(update_fields=["status", "updated_at", *fields])
    history(payment, from_status, actor=actor, source=source, note=note, amount=amount)
