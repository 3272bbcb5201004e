"""{% load payments %}{% payment_box booking %} / {% payment_box agreement %}: the "Pay" button or the
link to the payment, for the booking and agreement pages of the other apps."""

from django import template

from marketplace.payments.models import Payment, PaymentStatus

register = template.Library()


@register.inclusion_tag("payments/includes/payment_box.html", takes_context=True)
def payment_box(context, subject, staff=False):
    label = subject._meta.model_name
    field = "booking" if label == "booking" else "agreement"
    payment = Payment.objects.filter(**{field: subject}).exclude(status=PaymentStatus.CANCELLED).order_by("-pk").first()
    payable = (field == "booking" and subject.status == "approved") or (
        field == "agreement" and subject.status == "awaiting_payment"
    )
    return {
        "payment": payment,
        "payable": payable and payment is None and not staff,
        "kind": field,
        "subject": subject,
        "request": context.get("request"),
    }
