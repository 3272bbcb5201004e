"""Express licences: an enterprise buyer accepts an offer's standard terms; the agreement awaits payment
(or is active at once when nothing is due upfront) and becomes active only through
confirm_agreement_payment, or is cancelled while unpaid."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Role
from marketplace.core.emails import notify
from marketplace.core.money import quantize
from marketplace.payments import services as payment_services

from .. import ledger
from ..models import AgreementSource, AgreementStatus, LicenceAgreement
from .agreements import agreement_email_context, create_agreement, freeze_terms, lock_agreement
from .shared import (
    ZERO,
    add_months,
    is_buyer,
    is_tto,
    lock_result,
    offer_of,
    require_available,
    require_live,
)


@transaction.atomic
def accept_express_offer(offer, *, buyer, enterprise, accept_terms=False, now=None) -> LicenceAgreement:
    """An enterprise buyer accepts an express offer's standard terms: an agreement awaiting payment
    (active at once when the offer costs nothing upfront). The scope is reserved from this moment."""
    now = now or timezone.now()
    if not is_buyer(buyer, getattr(enterprise, "pk", None)):
        raise PermissionDenied(_("Only a buyer of the enterprise can accept an offer for it."))
    if not accept_terms:
        raise ValidationError({"accept_terms": _("Read and accept the standard terms first.")})
    offer = offer_of(getattr(offer, "pk", offer))
    result = lock_result(offer.result_id)
    require_live(result)
    if not offer.express:
        raise ValidationError(_("This offer has no standard terms to accept; open an inquiry instead."))
    require_available(offer, result.pk, today=timezone.localdate(now))
    starts_on = timezone.localdate(now)
    fee = quantize(offer.upfront_fee)
    free = fee == ZERO
    fields = {
        "mode": offer.mode,
        "field_of_use": offer.field_of_use,
        "territory": offer.territory,
        "term_months": offer.term_months,
        "starts_on": starts_on,
        "ends_on": add_months(starts_on, offer.term_months) if offer.term_months else None,
        "upfront_fee": fee,
        "royalty_percent": offer.royalty_percent,
        "price_amount": fee,
        "currency": offer.currency,
    }
    terms = freeze_terms(
        result=result,
        enterprise=enterprise,
        buyer=buyer,
        source=AgreementSource.EXPRESS,
        milestones=offer.milestones,
        standard_terms=offer.standard_terms,
        offer_id=offer.pk,
        **fields,
    )
    agreement = create_agreement(
        source=AgreementSource.EXPRESS,
        status=AgreementStatus.ACTIVE if free else AgreementStatus.AWAITING_PAYMENT,
        result=result,
        offer=offer,
        institute=result.institute,
        enterprise=enterprise,
        buyer=buyer,
        terms=terms,
        signed_at=now,
        paid_at=now if free else None,
        **fields,
    )
    if free:
        ledger.record(ledger.agreement_signed(agreement))
    context = agreement_email_context(agreement)
    notify(buyer, "ip_listings/email/express_accepted", {**context, "awaiting_payment": not free})
    for officer in account_selectors.members_with_role(agreement.institute_id, Role.TTO_OFFICER):
        notify(officer, "ip_listings/email/express_accepted_tto", {**context, "awaiting_payment": not free})
    return agreement


@transaction.atomic
def confirm_agreement_payment(agreement, *, actor, reference="") -> LicenceAgreement:
    """THE single way an express agreement becomes active: its price was paid or its invoice accepted.

    Called by the institute's TTO ("confirm by invoice") or by the payment layer (actor None).
    Idempotent for an agreement that is already active; refuses a cancelled one.
    """
    agreement = lock_agreement(agreement)
    if actor is not None and not is_tto(actor, agreement.institute_id):
        raise PermissionDenied(_("Only the institute's technology-transfer office can confirm this payment."))
    if agreement.status == AgreementStatus.ACTIVE:
        return agreement
    if agreement.status != AgreementStatus.AWAITING_PAYMENT:
        raise ValidationError(_("This agreement was cancelled; its payment cannot be confirmed."))
    agreement.status = AgreementStatus.ACTIVE
    agreement.paid_at = timezone.now()
    agreement.payment_reference = (reference or "")[:120]
    agreement.save(update_fields=["status", "paid_at", "payment_reference", "updated_at"])
    ledger.record(ledger.agreement_signed(agreement))
    if agreement.buyer is not None:
        notify(agreement.buyer, "ip_listings/email/agreement_active", agreement_email_context(agreement))
    return agreement


@transaction.atomic
def cancel_agreement(agreement, *, actor, reason="") -> LicenceAgreement:
    """Cancel an express agreement that was never paid; its scope becomes available again."""
    agreement = lock_agreement(agreement)
    if not (is_tto(actor, agreement.institute_id) or is_buyer(actor, agreement.enterprise_id)):
        raise PermissionDenied(_("You cannot cancel this agreement."))
    if agreement.status != AgreementStatus.AWAITING_PAYMENT:
        raise ValidationError(_("Only an agreement awaiting payment can be cancelled."))
    agreement.status = AgreementStatus.CANCELLED
    agreement.cancelled_at = timezone.now()
    agreement.terms["cancellation_reason"] = (reason or "")[:500]
    agreement.save(update_fields=["status", "cancelled_at", "terms", "updated_at"])
    # Its payment not yet made is cancelled with it (the PaymentIntent at Stripe after the commit).
    payment_services.cancel_open_payments(agreement, actor=actor, note="agreement cancelled")
    if agreement.buyer is not None and agreement.buyer != actor:
        notify(agreement.buyer, "ip_listings/email/agreement_cancelled", agreement_email_context(agreement))
    return agreement
