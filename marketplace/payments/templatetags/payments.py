"""{% load payments %}{% payment_box subject %}: the "Pay" button or the link to the payment, for the
page of anything registered as payable (a booking, an agreement, …) in the other apps."""

from django import template

from marketplace.payments.models import Payment
from marketplace.payments.payables import payable_for

register = template.Library()


@register.inclusion_tag("payments/includes/payment_box.html", takes_context=True)
def payment_box(context, subject, staff=False):
    payable = payable_for(subject)
    payment = Payment.objects.for_subject(subject, payable.kind).live().order_by("-pk").first()
    amount, currency = payable.price(subject)
    return {
        "payment": payment,
        "payable": payable.can_be_paid(subject) and payment is None and not staff,
        "kind": payable.kind,
        "subject": subject,
        "amount": amount,
        "currency": currency,
        "request": context.get("request"),
    }
