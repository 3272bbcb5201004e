"""Paying institutes out: what the platform owes an institute, transferred to its Stripe Connect
account (a side effect, one payout at a time per institute)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.accounts.models import Organization
from marketplace.core.locking import lock

from .. import gateway, selectors
from ..models import ZERO, Payout, PayoutAccount, SideEffect
from .side_effects import add_side_effect, execute_side_effect


def pay_out(institute, *, currency, actor=None) -> Payout:
    """Transfer what the platform owes an institute in `currency` (card payments net of refunds, less
    earlier payouts) to its Stripe Connect account. One payout at a time per institute."""
    if not gateway.stripe_enabled():
        raise ValidationError(_("Payouts need Stripe."))
    account = PayoutAccount.objects.filter(institute=institute).first()
    if account is None:
        raise ValidationError(_("This institute has no Stripe Connect account; settle what is owed by bank transfer."))
    with transaction.atomic():
        lock(Organization.objects, pk=institute.pk)  # one payout at a time per institute
        owed = selectors.owed_to(institute, currency)
        if owed <= ZERO:
            raise ValidationError(_("Nothing is owed to this institute."))
        # The payout (counted as paid out while pending) and its transfer are recorded together; the
        # transfer is made after the commit and retried with the same idempotency key until Stripe
        # answers: the payout then ends paid (with the transfer id) or failed (owed again).
        payout = Payout.objects.create(institute=institute, amount=owed, currency=currency, created_by=actor)
        effect = add_side_effect(
            SideEffect.Kind.TRANSFER,
            key=f"payout-{payout.uid}",
            payout=payout,
            amount=owed,
            actor=actor,
            schedule=False,
        )
    execute_side_effect(effect.pk)
    payout.refresh_from_db()
    if payout.status == Payout.Status.FAILED:
        raise ValidationError(_("Stripe refused the transfer: %(e)s") % {"e": payout.error})
    return payout
