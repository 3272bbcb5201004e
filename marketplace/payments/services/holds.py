"""Card payments not yet made hold their subject (a booked slot) for PAYMENT_HOLD_MINUTES; an expired
hold is released: the PaymentIntent cancelled at Stripe first, then the payment and what it held."""

import logging

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import gateway
from ..models import OPEN_STATUSES, Payment, PaymentEvent, PaymentStatus, Provider
from .records import lock_payment
from .subjects import release_subject

logger = logging.getLogger(__name__)


def held_subject_ids(kind, now=None):
    """Ids of the subjects of `kind` a card payment not yet made still holds (values queryset)."""
    now = now or timezone.now()
    return Payment.objects.filter(
        subject_kind=kind, provider=Provider.STRIPE, status__in=OPEN_STATUSES, hold_until__gte=now
    ).values("subject_id")


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
        payment = lock_payment(payment)
        if (
            payment.provider != Provider.STRIPE
            or payment.status not in OPEN_STATUSES
            or payment.hold_until is None
            or payment.hold_until >= now
        ):
            return False
        payment.hold_until = None
        PaymentEvent.move(payment, PaymentStatus.CANCELLED, source="system", note="hold expired", fields=["hold_until"])
        release_subject(payment, note=_("Not paid within %(n)d minutes.") % {"n": settings.PAYMENT_HOLD_MINUTES})
    return True
