"""Inquiries: a thread between an enterprise buyer and the institute's TTO about a result, moved through
its stages (only the changes in ALLOWED_TRANSITIONS exist), each change recorded and emailed."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Role
from marketplace.core.emails import display, notify
from marketplace.core.links import absolute_url
from marketplace.core.locking import lock

from .. import ledger
from ..models import Inquiry, InquiryMessage, InquiryStage, InquiryStageChange, LicenceAgreement
from .shared import is_buyer, is_tto, lock_result, offer_of, require_available, require_live

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


class InvalidTransitionError(ValidationError):
    pass


def _inquiry_context(inquiry, **extra):
    return {
        "inquiry_id": inquiry.pk,
        "subject": inquiry.subject,
        "result": display(inquiry.result),
        "enterprise": display(inquiry.enterprise),
        "stage": inquiry.stage,
        "url": absolute_url("ip_listings:inquiry", inquiry.pk),
        **extra,
    }


def _notify_institute(inquiry, name, **extra):
    for officer in account_selectors.members_with_role(inquiry.institute_id, Role.TTO_OFFICER):
        notify(officer, f"ip_listings/email/{name}", _inquiry_context(inquiry, **extra))


def _notify_enterprise(inquiry, name, **extra):
    if inquiry.opened_by is not None:
        notify(inquiry.opened_by, f"ip_listings/email/{name}", _inquiry_context(inquiry, **extra))


@transaction.atomic
def open_inquiry(*, result, buyer, enterprise, message, subject="", offer=None) -> Inquiry:
    """An enterprise buyer asks the institute's TTO about a result (and perhaps one of its offers)."""
    if not is_buyer(buyer, getattr(enterprise, "pk", None)):
        raise PermissionDenied(_("Only a buyer of the enterprise can open an inquiry for it."))
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("Write a message to the technology-transfer office.")})
    result = lock_result(getattr(result, "pk", result))
    require_live(result)
    if offer is not None:
        offer = offer_of(getattr(offer, "pk", offer))
        if offer.result_id != result.pk:
            raise ValidationError(_("This offer belongs to another result."))
        require_available(offer, result.pk)
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


def side_of(user, inquiry):
    """'institute', 'enterprise' or None: which party the user speaks for in this inquiry."""
    if is_tto(user, inquiry.institute_id):
        return "institute"
    if is_buyer(user, inquiry.enterprise_id):
        return "enterprise"
    return None


@transaction.atomic
def post_message(inquiry, *, author, body) -> InquiryMessage:
    inquiry = lock(Inquiry.objects.select_related("result", "enterprise"), pk=inquiry.pk)
    side = side_of(author, inquiry)
    if side is None:
        raise PermissionDenied(_("You are not a party to this inquiry."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if inquiry.is_closed:
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


def next_stages(inquiry, side) -> set:
    """The stages the inquiry may move to next, for the side given ('enterprise' makes only the changes in
    BUYER_TRANSITIONS)."""
    allowed = ALLOWED_TRANSITIONS.get(inquiry.stage, set())
    if side == "enterprise":
        allowed = {to for to in allowed if (inquiry.stage, to) in BUYER_TRANSITIONS}
    return allowed


def _stage_label(stage):
    return str(InquiryStage(stage).label) if stage in InquiryStage.values else str(stage)


@transaction.atomic
def move_inquiry(inquiry, to_stage, *, actor, note="") -> Inquiry:
    """Move an inquiry to its next stage. Only the changes in ALLOWED_TRANSITIONS exist; the enterprise
    side may make only those in BUYER_TRANSITIONS. Each change is recorded and emailed to both sides."""
    inquiry = lock(Inquiry.objects.select_related("result", "enterprise"), pk=inquiry.pk)
    side = side_of(actor, inquiry)
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
    InquiryStageChange.move(inquiry, to_stage, actor=actor, note=note)
    extra = {"from_stage": from_stage, "note": (note or "")[:500]}
    _notify_enterprise(inquiry, "inquiry_stage", **extra)
    _notify_institute(inquiry, "inquiry_stage", **extra)
    return inquiry
