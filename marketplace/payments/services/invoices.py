"""Invoice mode: institute staff (or platform staff) record that an invoice was paid, which confirms
the subject through its payable and writes the ledger."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors

from .. import selectors
from ..models import OPEN_STATUSES, PAID_STATUSES, Payment, PaymentEvent, PaymentStatus, Provider
from ..payables import get_payable, payable_for
from .bookkeeping import record_received
from .checkout import create_payment, live_payment_of
from .notifications import notify_payer
from .records import lock_payment
from .subjects import confirm_subject


@transaction.atomic
def mark_invoice_paid(payment, *, actor, reference="") -> Payment:
    """Institute staff (or platform staff) record that the invoice was paid: the booking or agreement
    is confirmed through its own function. Idempotent for a payment already marked paid."""
    payment = lock_payment(payment)
    if not selectors.can_mark_paid(actor, payment):
        raise PermissionDenied(_("Only the institute's staff may mark this invoice paid."))
    if payment.provider != Provider.INVOICE:
        raise ValidationError(_("Only invoices are marked paid by hand."))
    if payment.status in PAID_STATUSES:
        return payment
    if payment.status not in OPEN_STATUSES:
        raise ValidationError(_("This invoice was cancelled."))
    reference = (reference or "").strip()[:100]
    reference = f"{payment.number} {reference}".strip()
    payment.paid_at = timezone.now()
    payment.reference = reference
    payment.hold_until = None
    PaymentEvent.move(
        payment,
        PaymentStatus.SUCCEEDED,
        actor=actor,
        source="staff",
        note=reference,
        amount=payment.amount,
        fields=["paid_at", "reference", "hold_until"],
    )
    record_received(payment)
    if not confirm_subject(payment, actor=actor, reference=reference):
        raise ValidationError(
            _("%(label)s can no longer be confirmed; nothing was recorded.") % {"label": payment.subject_label}
        )
    notify_payer(payment, "received")
    return payment


@transaction.atomic
def receive_invoice_payment(subject, *, actor, reference="", kind=None) -> Payment:
    """Institute staff record that an invoice for `subject` (a booking, an agreement, …) was paid.

    The one path for money received outside Stripe: the invoice payment the buyer opened is used, or
    one is issued now; it is marked paid, which confirms the subject and writes the ledger. A card
    payment under way is left alone (its webhook decides).
    """
    payable = get_payable(kind) if kind else payable_for(subject)
    if not (actor.is_staff or account_selectors.has_role(actor, payable.payee_id(subject), list(payable.staff_roles))):
        raise PermissionDenied(_("Only the institute's staff may mark this invoice paid."))
    payment = live_payment_of(subject, kind=payable.kind)
    if payment is not None and payment.provider == Provider.STRIPE and payment.status in OPEN_STATUSES:
        raise ValidationError(_("A card payment for this is under way; wait for it to finish or fail."))
    if payment is None:
        payment = create_payment(payable=payable, subject=subject, actor=actor, provider=Provider.INVOICE)
    return mark_invoice_paid(payment, actor=actor, reference=reference)
