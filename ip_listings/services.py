"""State changes of research results: express licences, inquiries, recorded agreements, impact reports.

Every function runs in one transaction, checks who may act, and raises ValidationError (bad input,
a clear message, nothing changed) or PermissionDenied. Taking a scope (accepting an offer, recording an
agreement) locks the result's row first, so two buyers can never both obtain conflicting scopes.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Membership, Role
from marketplace.core.emails import notify
from marketplace.core.money import quantize
from marketplace.payments import services as payment_services

from . import ledger, scope
from .models import (
    AgreementSource,
    AgreementStatus,
    DealMode,
    ImpactReminder,
    ImpactReport,
    Inquiry,
    InquiryMessage,
    InquiryStage,
    InquiryStageChange,
    LicenceAgreement,
    LicenceOffer,
    ResultPage,
    Territory,
)

ZERO = Decimal("0.00")
S = InquiryStage

# The only stage changes there are. Agreed and declined end an inquiry (an agreed inquiry may still be
# declined while no agreement is recorded for it).
ALLOWED_TRANSITIONS = {
    S.NEW: {S.DISCUSSION, S.DECLINED},
    S.DISCUSSION: {S.NDA_SIGNED, S.TERMS_PROPOSED, S.DECLINED},
    S.NDA_SIGNED: {S.TERMS_PROPOSED, S.DECLINED},
    S.TERMS_PROPOSED: {S.AGREED, S.DISCUSSION, S.DECLINED},
    S.AGREED: {S.DECLINED},
    S.DECLINED: set(),
}
# What the enterprise side may do itself; the TTO may make every allowed change.
BUYER_TRANSITIONS = {
    (S.TERMS_PROPOSED, S.AGREED),
    (S.TERMS_PROPOSED, S.DISCUSSION),
    (S.NEW, S.DECLINED),
    (S.DISCUSSION, S.DECLINED),
    (S.NDA_SIGNED, S.DECLINED),
    (S.TERMS_PROPOSED, S.DECLINED),
}
CLOSED_STAGES = (S.DECLINED,)


class InvalidTransitionError(ValidationError):
    pass


# --- small helpers -------------------------------------------------------------------------------------


def _is_tto(user, institute_id) -> bool:
    return bool(
        user
        and user.is_authenticated
        and (user.is_staff or account_selectors.has_role(user, institute_id, [Role.TTO_OFFICER]))
    )


def _is_buyer(user, enterprise_id) -> bool:
    return bool(user and user.is_authenticated and account_selectors.has_role(user, enterprise_id, [Role.BUYER]))


def tto_officers(institute_id):
    User = get_user_model()
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(organization_id=institute_id, role=Role.TTO_OFFICER).values("user_id"),
    )


def _money(value, field, message):
    try:
        amount = quantize(value if value not in (None, "") else "0")
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: message}) from None
    if amount < ZERO:
        raise ValidationError({field: _("An amount cannot be negative.")})
    return amount


def _percent(value):
    try:
        percent = Decimal(value if value not in (None, "") else "0").quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"royalty_percent": _("Enter the royalty as a percentage.")}) from None
    if not ZERO <= percent <= Decimal("100"):
        raise ValidationError({"royalty_percent": _("A royalty is between 0 and 100 percent.")})
    return percent


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError("unreachable")


def _lock_result(result_id) -> ResultPage:
    """The result, its row locked until the transaction ends (serialises scope decisions)."""
    return ResultPage.objects.select_for_update(of=("self",)).select_related("institute").get(pk=result_id)


def _require_live(result):
    if not result.live or result.institute_id is None:
        raise ValidationError(_("This result has been withdrawn; it can no longer be licensed or inquired about."))


def holding_agreements(result_id, today=None):
    return list(LicenceAgreement.objects.filter(scope.holding_agreements_q(today), result_id=result_id))


def _require_available(offer_like, result_id, today=None):
    blocker = scope.blocking_agreement(offer_like, holding_agreements(result_id, today))
    if blocker is not None:
        raise ValidationError(
            _("This offer is no longer available: an agreement on an overlapping scope (%(scope)s) exists.")
            % {"scope": f"{blocker.field_of_use_label} · {blocker.get_territory_display()}"}
        )


def _offer_of(offer_id):
    offer = LicenceOffer.objects.select_related("result", "field_of_use").filter(pk=offer_id).first()
    if offer is None:
        raise ValidationError(_("This offer no longer exists."))
    return offer


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


def _create_agreement(**fields) -> LicenceAgreement:
    agreement = LicenceAgreement.objects.create(number=uuid.uuid4().hex[:32], **fields)
    agreement.number = f"LA-{agreement.signed_at:%Y}-{agreement.pk:06d}"
    agreement.terms["number"] = agreement.number
    agreement.save(update_fields=["number", "terms"])
    return agreement


def _agreement_email_context(agreement):
    return {
        "number": agreement.number,
        "result": agreement.terms["result"]["title"],
        "result_en": agreement.terms["result"]["title_en"] or agreement.terms["result"]["title"],
        "institute": agreement.terms["licensor"]["name"],
        "institute_en": agreement.terms["licensor"]["name_en"] or agreement.terms["licensor"]["name"],
        "enterprise": agreement.terms["licensee"]["name"],
        "enterprise_en": agreement.terms["licensee"]["name_en"] or agreement.terms["licensee"]["name"],
        "amount": agreement.terms["price_amount"],
        "currency": agreement.currency,
        "mode": agreement.mode,
        "url": f"/ip/agreements/{agreement.pk}/",
    }


# --- express licences ----------------------------------------------------------------------------------


@transaction.atomic
def accept_express_offer(offer, *, buyer, enterprise, accept_terms=False, now=None) -> LicenceAgreement:
    """An enterprise buyer accepts an express offer's standard terms: an agreement awaiting payment
    (active at once when the offer costs nothing upfront). The scope is reserved from this moment."""
    now = now or timezone.now()
    if not _is_buyer(buyer, getattr(enterprise, "pk", None)):
        raise PermissionDenied(_("Only a buyer of the enterprise can accept an offer for it."))
    if not accept_terms:
        raise ValidationError({"accept_terms": _("Read and accept the standard terms first.")})
    offer = _offer_of(getattr(offer, "pk", offer))
    result = _lock_result(offer.result_id)
    _require_live(result)
    if not offer.express:
        raise ValidationError(_("This offer has no standard terms to accept; open an inquiry instead."))
    _require_available(offer, result.pk, today=timezone.localdate(now))
    starts_on = timezone.localdate(now)
    fee = quantize(offer.upfront_fee)
    free = fee == ZERO
    fields = {
        "mode": offer.mode,
        "field_of_use": offer.field_of_use,
        "territory": offer.territory,
        "term_months": offer.term_months,
        "starts_on": starts_on,
        "ends_on": _add_months(starts_on, offer.term_months) if offer.term_months else None,
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
    agreement = _create_agreement(
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
    context = _agreement_email_context(agreement)
    notify(buyer, "ip_listings/email/express_accepted", {**context, "awaiting_payment": not free})
    for officer in tto_officers(agreement.institute_id):
        notify(officer, "ip_listings/email/express_accepted_tto", {**context, "awaiting_payment": not free})
    return agreement


def _lock_agreement(agreement) -> LicenceAgreement:
    return LicenceAgreement.objects.select_for_update().get(pk=getattr(agreement, "pk", agreement))


@transaction.atomic
def confirm_agreement_payment(agreement, *, actor, reference="") -> LicenceAgreement:
    """THE single way an express agreement becomes active: its price was paid or its invoice accepted.

    Called by the institute's TTO ("confirm by invoice") or by the payment layer (actor None).
    Idempotent for an agreement that is already active; refuses a cancelled one.
    """
    agreement = _lock_agreement(agreement)
    if actor is not None and not _is_tto(actor, agreement.institute_id):
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
        notify(agreement.buyer, "ip_listings/email/agreement_active", _agreement_email_context(agreement))
    return agreement


@transaction.atomic
def cancel_agreement(agreement, *, actor, reason="") -> LicenceAgreement:
    """Cancel an express agreement that was never paid; its scope becomes available again."""
    agreement = _lock_agreement(agreement)
    if not (_is_tto(actor, agreement.institute_id) or _is_buyer(actor, agreement.enterprise_id)):
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
        notify(agreement.buyer, "ip_listings/email/agreement_cancelled", _agreement_email_context(agreement))
    return agreement


# --- inquiries -----------------------------------------------------------------------------------------


def _inquiry_context(inquiry, **extra):
    return {
        "inquiry_id": inquiry.pk,
        "subject": inquiry.subject,
        "result": inquiry.result.title,
        "result_en": inquiry.result.title_en or inquiry.result.title,
        "enterprise": inquiry.enterprise.name,
        "enterprise_en": inquiry.enterprise.name_en or inquiry.enterprise.name,
        "stage": inquiry.stage,
        "url": f"/ip/inquiries/{inquiry.pk}/",
        **extra,
    }


def _notify_institute(inquiry, name, **extra):
    for officer in tto_officers(inquiry.institute_id):
        notify(officer, f"ip_listings/email/{name}", _inquiry_context(inquiry, **extra))


def _notify_enterprise(inquiry, name, **extra):
    if inquiry.opened_by is not None:
        notify(inquiry.opened_by, f"ip_listings/email/{name}", _inquiry_context(inquiry, **extra))


@transaction.atomic
def open_inquiry(*, result, buyer, enterprise, message, subject="", offer=None) -> Inquiry:
    """An enterprise buyer asks the institute's TTO about a result (and perhaps one of its offers)."""
    if not _is_buyer(buyer, getattr(enterprise, "pk", None)):
        raise PermissionDenied(_("Only a buyer of the enterprise can open an inquiry for it."))
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("Write a message to the technology-transfer office.")})
    result = _lock_result(getattr(result, "pk", result))
    _require_live(result)
    if offer is not None:
        offer = _offer_of(getattr(offer, "pk", offer))
        if offer.result_id != result.pk:
            raise ValidationError(_("This offer belongs to another result."))
        _require_available(offer, result.pk)
    inquiry = Inquiry.objects.create(
        result=result,
        offer=offer,
        institute=result.institute,
        enterprise=enterprise,
        opened_by=buyer,
        subject=(subject or "").strip()[:200] or result.title[:200],
        stage=S.NEW,
    )
    InquiryMessage.objects.create(inquiry=inquiry, author=buyer, from_institute=False, body=message[:5000])
    InquiryStageChange.objects.create(inquiry=inquiry, from_stage="", to_stage=S.NEW, actor=buyer)
    ledger.record(ledger.inquiry_opened(inquiry))
    _notify_institute(inquiry, "inquiry_opened", message=message[:1000])
    return inquiry


def _side(user, inquiry):
    """'institute', 'enterprise' or None: which party the user speaks for in this inquiry."""
    if _is_tto(user, inquiry.institute_id):
        return "institute"
    if _is_buyer(user, inquiry.enterprise_id):
        return "enterprise"
    return None


@transaction.atomic
def post_message(inquiry, *, author, body) -> InquiryMessage:
    inquiry = Inquiry.objects.select_for_update(of=("self",)).select_related("result", "enterprise").get(pk=inquiry.pk)
    side = _side(author, inquiry)
    if side is None:
        raise PermissionDenied(_("You are not a party to this inquiry."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if inquiry.stage in CLOSED_STAGES:
        raise ValidationError(_("This inquiry is closed."))
    message = InquiryMessage.objects.create(
        inquiry=inquiry, author=author, from_institute=side == "institute", body=body[:5000]
    )
    inquiry.save(update_fields=["updated_at"])
    if side == "institute":
        _notify_enterprise(inquiry, "inquiry_message", message=body[:1000])
    else:
        _notify_institute(inquiry, "inquiry_message", message=body[:1000])
    return message


def _stage_label(stage):
    return str(InquiryStage(stage).label) if stage in InquiryStage.values else str(stage)


@transaction.atomic
def move_inquiry(inquiry, to_stage, *, actor, note="") -> Inquiry:
    """Move an inquiry to its next stage. Only the changes in ALLOWED_TRANSITIONS exist; the enterprise
    side may make only those in BUYER_TRANSITIONS. Each change is recorded and emailed to both sides."""
    inquiry = Inquiry.objects.select_for_update(of=("self",)).select_related("result", "enterprise").get(pk=inquiry.pk)
    side = _side(actor, inquiry)
    if side is None:
        raise PermissionDenied(_("You are not a party to this inquiry."))
    from_stage = inquiry.stage
    if to_stage not in ALLOWED_TRANSITIONS.get(from_stage, set()):
        raise InvalidTransitionError(
            _("An inquiry cannot go from “%(from)s” to “%(to)s”.")
            % {"from": _stage_label(from_stage), "to": _stage_label(to_stage)}
        )
    if side == "enterprise" and (from_stage, to_stage) not in BUYER_TRANSITIONS:
        raise PermissionDenied(_("Only the technology-transfer office can make this change."))
    if to_stage == S.DECLINED and LicenceAgreement.objects.filter(inquiry=inquiry).exists():
        raise InvalidTransitionError(_("An agreement is recorded for this inquiry; it cannot be declined."))
    inquiry.stage = to_stage
    inquiry.save(update_fields=["stage", "updated_at"])
    InquiryStageChange.objects.create(
        inquiry=inquiry, from_stage=from_stage, to_stage=to_stage, actor=actor, note=(note or "")[:500]
    )
    extra = {"from_stage": from_stage, "note": (note or "")[:500]}
    _notify_enterprise(inquiry, "inquiry_stage", **extra)
    _notify_institute(inquiry, "inquiry_stage", **extra)
    return inquiry


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
    inquiry = Inquiry.objects.select_for_update(of=("self",)).select_related("enterprise", "offer").get(pk=inquiry.pk)
    if not _is_tto(actor, inquiry.institute_id):
        raise PermissionDenied(_("Only the institute's technology-transfer office can record an agreement."))
    if inquiry.stage != S.AGREED:
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
    value = _money(value, "value", _("Enter the contract value as an amount."))
    fee = _money(upfront_fee if upfront_fee not in (None, "") else value, "upfront_fee", _("Enter an amount."))
    royalty = _percent(royalty_percent)
    if ends_on is None and term_months:
        ends_on = _add_months(starts_on, term_months)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The agreement cannot end before it starts.")})
    result = _lock_result(inquiry.result_id)
    field_id = getattr(field_of_use, "pk", None)
    _require_available(_Scope(mode, field_id, territory), result.pk, today=timezone.localdate(now))
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
    agreement = _create_agreement(
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
        notify(agreement.buyer, "ip_listings/email/agreement_recorded", _agreement_email_context(agreement))
    return agreement


# --- impact --------------------------------------------------------------------------------------------


def quarter_of(day: date):
    return day.year, (day.month - 1) // 3 + 1


@transaction.atomic
def report_impact(
    agreement,
    *,
    actor,
    year,
    quarter,
    jobs_created=0,
    revenue=ZERO,
    products_launched=0,
    company_founded=False,
    note="",
) -> ImpactReport:
    """The licensee reports what its licence produced in one quarter (once per quarter)."""
    agreement = _lock_agreement(agreement)
    if not _is_buyer(actor, agreement.enterprise_id):
        raise PermissionDenied(_("Only the licensee can report the impact of this agreement."))
    if agreement.status != AgreementStatus.ACTIVE:
        raise ValidationError(_("Impact is reported on active agreements only."))
    errors = {}
    try:
        year, quarter = int(year), int(quarter)
    except (TypeError, ValueError):
        raise ValidationError({"quarter": _("Choose the quarter you report on.")}) from None
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = _("Choose the quarter you report on.")
    this_year, this_quarter = quarter_of(timezone.localdate())
    if (year, quarter) > (this_year, this_quarter):
        errors["quarter"] = _("You cannot report on a quarter that has not begun.")
    if (year, quarter) < quarter_of(agreement.starts_on):
        errors["quarter"] = _("This quarter is before the agreement started.")
    for name, value in (("jobs_created", jobs_created), ("products_launched", products_launched)):
        if value is None or int(value) < 0:
            errors[name] = _("Enter zero or more.")
    if errors:
        raise ValidationError(errors)
    revenue = _money(revenue, "revenue", _("Enter the revenue as an amount."))
    if ImpactReport.objects.filter(agreement=agreement, year=year, quarter=quarter).exists():
        raise ValidationError({"quarter": _("This quarter has already been reported.")})
    try:
        with transaction.atomic():
            report = ImpactReport.objects.create(
                agreement=agreement,
                year=year,
                quarter=quarter,
                jobs_created=int(jobs_created),
                revenue=revenue,
                currency=agreement.currency,
                products_launched=int(products_launched),
                company_founded=bool(company_founded),
                note=(note or "")[:2000],
                reported_by=actor,
            )
    except IntegrityError:
        raise ValidationError({"quarter": _("This quarter has already been reported.")}) from None
    ledger.record(ledger.impact_reported(report))
    return report


def send_impact_reminders(today=None) -> int:
    """Email the licensee of every active agreement not yet reported for the current quarter (once per
    agreement and quarter). Returns how many reminders were sent."""
    today = today or timezone.localdate()
    year, quarter = quarter_of(today)
    due = (
        LicenceAgreement.objects.filter(scope.holding_agreements_q(today), status=AgreementStatus.ACTIVE)
        .exclude(impact_reports__year=year, impact_reports__quarter=quarter)
        .exclude(reminders__year=year, reminders__quarter=quarter)
        .select_related("buyer", "enterprise")
    )
    sent = 0
    for agreement in due:
        with transaction.atomic():
            _, created = ImpactReminder.objects.get_or_create(agreement=agreement, year=year, quarter=quarter)
            if not created:
                continue
            recipients = [agreement.buyer] if agreement.buyer and agreement.buyer.is_active else []
            if not recipients:
                recipients = list(
                    get_user_model().objects.filter(
                        is_active=True,
                        pk__in=Membership.objects.filter(
                            organization_id=agreement.enterprise_id, role=Role.BUYER
                        ).values("user_id"),
                    )
                )
            context = {
                **_agreement_email_context(agreement),
                "year": year,
                "quarter": quarter,
                "report_url": f"/ip/agreements/{agreement.pk}/impact/",
            }
            for user in recipients:
                notify(user, "ip_listings/email/impact_reminder", context)
            sent += 1
    return sent
