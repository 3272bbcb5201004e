"""Licence agreements: the frozen terms they are rendered from, their creation and numbering, and the
agreement a TTO records when an inquiry reached one (same scope rules as express agreements)."""

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.emails import both, notify
from marketplace.core.links import absolute_url
from marketplace.core.locking import lock

from .. import ledger
from ..models import AgreementSource, AgreementStatus, DealMode, Inquiry, InquiryStage, LicenceAgreement, Territory
from .shared import ZERO, add_months, is_tto, lock_result, money, require_available


def _percent(value):
    try:
        percent = Decimal(value if value not in (None, "") else "0").quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"royalty_percent": _("Enter the royalty as a percentage.")}) from None
    if not ZERO <= percent <= Decimal("100"):
        raise ValidationError({"royalty_percent": _("A royalty is between 0 and 100 percent.")})
    return percent


def _org_snapshot(org):
    return {
        "id": org.pk,
        "name": org.name,
        "name_en": org.name_en,
        "credit_code": org.credit_code,
        "address": " ".join(p for p in (org.province, org.city, org.address) if p),
    }


def _person(user):
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.email, "email": user.email}


def freeze_terms(
    *,
    result,
    enterprise,
    buyer,
    source,
    mode,
    field_of_use,
    territory,
    term_months,
    starts_on,
    ends_on,
    upfront_fee,
    royalty_percent,
    price_amount,
    currency,
    milestones="",
    standard_terms="",
    offer_id=None,
    recorded_by=None,
    notes="",
):
    """The agreement's frozen terms, parties, price and dates (JSON): what the document is rendered from."""
    return {
        "source": source,
        "offer_id": offer_id,
        "result": {
            "id": result.pk,
            "title": result.title,
            "title_en": result.title_en,
            "ip_kind": result.ip_kind,
            "registrations": [
                {"number": r.number, "status": r.status, "jurisdiction": r.jurisdiction}
                for r in result.registrations.all()
            ],
        },
        "licensor": _org_snapshot(result.institute),
        "licensee": _org_snapshot(enterprise),
        "buyer": _person(buyer),
        "recorded_by": _person(recorded_by),
        "mode": mode,
        "field_of_use": field_of_use.name if field_of_use else "",
        "field_of_use_en": field_of_use.name_en if field_of_use else "",
        "territory": territory,
        "term_months": term_months,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat() if ends_on else None,
        "upfront_fee": str(upfront_fee),
        "royalty_percent": str(royalty_percent),
        "price_amount": str(price_amount),
        "currency": currency,
        "milestones": milestones,
        "standard_terms": standard_terms,
        "notes": notes,
    }


def create_agreement(**fields) -> LicenceAgreement:
    agreement = LicenceAgreement.objects.create(number=uuid.uuid4().hex[:32], **fields)
    agreement.number = f"LA-{agreement.signed_at:%Y}-{agreement.pk:06d}"
    agreement.terms["number"] = agreement.number
    agreement.save(update_fields=["number", "terms"])
    return agreement


def agreement_email_context(agreement):
    terms = agreement.terms
    return {
        "number": agreement.number,
        # Names as frozen in the terms, in both languages (the email shows its recipient's).
        "result": both(terms["result"]["title"], terms["result"]["title_en"]),
        "institute": both(terms["licensor"]["name"], terms["licensor"]["name_en"]),
        "enterprise": both(terms["licensee"]["name"], terms["licensee"]["name_en"]),
        "amount": terms["price_amount"],
        "currency": agreement.currency,
        "mode": agreement.mode,
        "url": absolute_url("ip_listings:agreement", agreement.pk),
    }


def lock_agreement(agreement) -> LicenceAgreement:
    return lock(LicenceAgreement.objects.all(), pk=getattr(agreement, "pk", agreement))


@dataclass
class _Scope:
    mode: str
    field_of_use_id: int | None
    territory: str


@transaction.atomic
def record_agreement(
    inquiry,
    *,
    actor,
    mode,
    territory,
    starts_on,
    value,
    field_of_use=None,
    term_months=None,
    ends_on=None,
    upfront_fee=None,
    royalty_percent=None,
    milestones="",
    notes="",
    now=None,
) -> LicenceAgreement:
    """The TTO records the agreement an inquiry reached (mode, scope, value, dates). Same scope rules as
    express agreements; active at once."""
    now = now or timezone.now()
    inquiry = lock(Inquiry.objects.select_related("enterprise", "offer"), pk=inquiry.pk)
    if not is_tto(actor, inquiry.institute_id):
        raise PermissionDenied(_("Only the institute's technology-transfer office can record an agreement."))
    if inquiry.stage != InquiryStage.AGREED:
        raise ValidationError(_("Move the inquiry to “Agreed” before recording its agreement."))
    if LicenceAgreement.objects.filter(inquiry=inquiry).exists():
        raise ValidationError(_("An agreement is already recorded for this inquiry."))
    errors = {}
    if mode not in DealMode.values:
        errors["mode"] = _("Choose a transfer mode.")
    if territory not in Territory.values:
        errors["territory"] = _("Choose a territory.")
    if starts_on is None:
        errors["starts_on"] = _("Give the date the agreement starts.")
    if term_months is not None and term_months <= 0:
        errors["term_months"] = _("The term is at least one month.")
    if errors:
        raise ValidationError(errors)
    value = money(value, "value", _("Enter the contract value as an amount."))
    fee = money(upfront_fee if upfront_fee not in (None, "") else value, "upfront_fee", _("Enter an amount."))
    royalty = _percent(royalty_percent)
    if ends_on is None and term_months:
        ends_on = add_months(starts_on, term_months)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The agreement cannot end before it starts.")})
    result = lock_result(inquiry.result_id)
    field_id = getattr(field_of_use, "pk", None)
    require_available(_Scope(mode, field_id, territory), result.pk, today=timezone.localdate(now))
    fields = {
        "mode": mode,
        "field_of_use": field_of_use,
        "territory": territory,
        "term_months": term_months,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "upfront_fee": fee,
        "royalty_percent": royalty,
        "price_amount": value,
        "currency": "CNY",
    }
    terms = freeze_terms(
        result=result,
        enterprise=inquiry.enterprise,
        buyer=inquiry.opened_by,
        source=AgreementSource.NEGOTIATED,
        milestones=milestones,
        offer_id=inquiry.offer_id,
        recorded_by=actor,
        notes=notes,
        **fields,
    )
    agreement = create_agreement(
        source=AgreementSource.NEGOTIATED,
        status=AgreementStatus.ACTIVE,
        result=result,
        offer=inquiry.offer,
        inquiry=inquiry,
        institute=result.institute,
        enterprise=inquiry.enterprise,
        buyer=inquiry.opened_by,
        recorded_by=actor,
        terms=terms,
        signed_at=now,
        paid_at=None,
        **fields,
    )
    ledger.record(ledger.agreement_signed(agreement))
    if agreement.buyer is not None:
        notify(agreement.buyer, "ip_listings/email/agreement_recorded", agreement_email_context(agreement))
    return agreement
