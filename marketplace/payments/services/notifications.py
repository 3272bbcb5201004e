"""The emails a payment's buyer receives (payment received, failed, refunded). Each template has one text:
names and labels are given in both languages (`both`) and shown in the recipient's."""

from django.conf import settings
from django.utils import translation

from marketplace.core.emails import both, display, notify
from marketplace.core.links import absolute_url

# The languages of `both` (core.emails): Chinese first, English beside it.
CHINESE, ENGLISH = "zh-hans", "en"


def _in_both_languages(text):
    """`text()` (translated, e.g. a payable's label) as said in Chinese and in English."""
    with translation.override(CHINESE):
        chinese = str(text())
    with translation.override(ENGLISH):
        english = str(text())
    return both(chinese, english)


def email_context(payment):
    subject = payment.subject
    payable = payment.payable
    return {
        "number": payment.number,
        "amount": str(payment.amount),
        "refunded": str(payment.refunded_amount),
        "currency": payment.currency,
        "subject_label": _in_both_languages(lambda: payment.subject_label),
        "confirmed_text": _in_both_languages(lambda: payable.confirmed_text(subject) if subject is not None else ""),
        "institute": display(payment.institute),
        "url": absolute_url("payments:detail", payment.pk),
        "hold_minutes": settings.PAYMENT_HOLD_MINUTES,
    }


def notify_payer(payment, name, **extra):
    user = payment.created_by
    if user is not None:
        notify(user, f"payments/email/{name}", {**email_context(payment), **extra})
