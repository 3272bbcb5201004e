"""The emails a payment's buyer receives (payment received, failed, refunded)."""

from django.conf import settings
from django.urls import reverse

from marketplace.core.emails import notify


def email_context(payment):
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


def notify_payer(payment, name, **extra):
    user = payment.created_by
    if user is not None:
        notify(user, f"payments/email/{name}", {**email_context(payment), **extra})
