"""{% load payments %}{% payment_box subject %}: the "Pay" button or the link to the payment, for the
page of anything registered as payable (a booking, an agreement, …) in the other apps.

What it shows is read by `payments.selectors.payment_box`; a view that already has it passes it instead
of the subject (`{% payment_box box %}`), and the tag then queries nothing."""

from django import template

from marketplace.payments import selectors

register = template.Library()


@register.inclusion_tag("payments/includes/payment_box.html", takes_context=True)
def payment_box(context, subject_or_box, staff=False):
    box = subject_or_box if isinstance(subject_or_box, dict) else selectors.payment_box(subject_or_box, staff=staff)
    return {**box, "request": context.get("request")}
