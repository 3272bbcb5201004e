"""Training and qualification: a user asks for training on a self-service instrument, the facility
schedules a training session (a booking of kind "training", charged at the instrument's training rate,
or the trainee's tier rate when none is set), records pass or fail; a pass grants a Qualification
(rules.grant_qualification) and tells the user. Qualifications expiring within
QUALIFICATION_EXPIRY_NOTICE_DAYS are announced once to the user and the facility's managers."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Role
from marketplace.core.emails import display, notify
from marketplace.core.links import absolute_url

from .. import availability, selectors
from ..models import (
    ACTIVE_STATUSES,
    Blackout,
    Booking,
    BookingKind,
    BookingStatus,
    BookingTransition,
    Qualification,
    QualificationAnnouncement,
    TrainingRequest,
)
from ..rates import price_for, tier_for, tier_rate
from .rules import grant_qualification
from .shared import insert_requested, lock_instrument, require_manager


def training_rate(instrument, tier) -> Decimal:
    """The hourly rate of a training session: the instrument's training rate, else the tier's rate."""
    if instrument.training_hourly_rate is not None:
        return instrument.training_hourly_rate
    return tier_rate(instrument, tier)


def _managers(institute_id):
    return account_selectors.members_with_role(institute_id, Role.FACILITY_MANAGER)


def _context(request, **more):
    return {
        "instrument": display(request.instrument),
        "url": absolute_url("equipment:manage_training", request.pk),
        "instrument_url": request.instrument.full_url or "",
        **more,
    }


def _lock_request(request):
    return (
        TrainingRequest.objects.select_for_update(of=("self",))
        .select_related("instrument", "user", "session")
        .get(pk=request.pk)
    )


@transaction.atomic
def request_training(*, instrument, user, enterprise, preferred_dates="", note="") -> TrainingRequest:
    """Ask the facility for training; its managers are told by email."""
    if enterprise is None or not account_selectors.has_role(user, enterprise, [Role.BUYER]):
        raise PermissionDenied(_("You do not book for this enterprise."))
    instrument = lock_instrument(instrument)
    if not instrument.live or instrument.institute_id is None:
        raise ValidationError(_("This instrument is not open for booking."))
    if not instrument.needs_qualification:
        raise ValidationError(_("This instrument is used with an operator; it needs no training."))
    if not selectors.may_request_training(user, instrument):
        raise ValidationError(_("You are already qualified on this instrument or have asked for training."))
    request = TrainingRequest.objects.create(
        instrument=instrument,
        user=user,
        enterprise=enterprise,
        preferred_dates=(preferred_dates or "")[:255],
        note=(note or "")[:1000],
    )
    context = _context(
        request, user=user.get_full_name() or user.email, dates=request.preferred_dates, note=request.note
    )
    for manager in _managers(instrument.institute_id):
        notify(manager, "equipment/email/training_requested", context)
    return request


@transaction.atomic
def schedule_training(request, *, actor, start, end, now=None) -> Booking:
    """Book a training session for the request's user: a booking of kind training at the training rate,
    approved at once (the facility chose the time); paid or invoiced like any booking. Refused where
    the slot is taken or closed."""
    now = now or timezone.now()
    require_manager(actor, request.instrument)
    if not isinstance(start, datetime) or not isinstance(end, datetime) or end <= start:
        raise ValidationError(_("The end must be after the start."))
    if start <= now:
        raise ValidationError(_("A training session must start in the future."))
    instrument = lock_instrument(request.instrument)
    request = _lock_request(request)
    rescheduling = request.status == TrainingRequest.Status.SCHEDULED and not (
        request.session and request.session.is_active
    )
    if request.status != TrainingRequest.Status.OPEN and not rescheduling:
        raise ValidationError(_("This training request is no longer open."))
    if Blackout.objects.filter(instrument=instrument, start__lt=end, end__gt=start).exists():
        raise ValidationError(_("The instrument is closed then."))
    taken = Booking.objects.filter(instrument=instrument, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start)
    if taken.exists():
        raise ValidationError(availability.slot_taken_message())
    tier = tier_for(request.enterprise, instrument)
    rate = training_rate(instrument, tier)
    hours = (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"))
    booking = Booking(
        instrument=instrument,
        institute_id=instrument.institute_id,
        enterprise=request.enterprise,
        user=request.user,
        start=start,
        end=end,
        kind=BookingKind.TRAINING,
        purpose=_("Training session"),
        tier=tier,
        hourly_rate=rate,
        subsidy_percent=instrument.subsidy_percent(tier),
        hours=hours,
        price_amount=price_for(rate, hours),
        currency=instrument.currency,
        status=BookingStatus.REQUESTED,
    )
    insert_requested(booking, actor=actor)
    BookingTransition.move(booking, BookingStatus.APPROVED, actor=actor, note=_("Training session"))
    request.session = booking
    request.status = TrainingRequest.Status.SCHEDULED
    request.decided_by = actor
    request.save(update_fields=["session", "status", "decided_by", "updated_at"])
    local_start, local_end = availability.local(start), availability.local(end)
    notify(
        request.user,
        "equipment/email/training_scheduled",
        _context(
            request,
            start=local_start.strftime("%Y-%m-%d %H:%M"),
            end=local_end.strftime("%H:%M"),
            price=str(booking.price_amount),
            currency=booking.currency,
            url=absolute_url("equipment:booking", booking.pk),
        ),
    )
    return booking


def default_valid_until(on=None):
    return (on or timezone.localdate()) + timedelta(days=365)


@transaction.atomic
def record_training_result(request, *, actor, passed, valid_until=None, note="", now=None) -> TrainingRequest:
    """Pass or fail a scheduled (or open: trained without a booked session) request. A pass grants a
    qualification until `valid_until` (a year by default); the user is told either way."""
    require_manager(actor, request.instrument)
    request = _lock_request(request)
    if not request.is_open:
        raise ValidationError(_("This training request is no longer open."))
    if passed:
        valid_until = valid_until or default_valid_until()
        qualification = grant_qualification(
            request.instrument, request.user, actor=actor, valid_until=valid_until, note=note or _("Training passed")
        )
        request.qualification = qualification
        request.status = TrainingRequest.Status.PASSED
    else:
        request.status = TrainingRequest.Status.FAILED
    request.result_note = (note or "")[:500]
    request.decided_by = actor
    request.save(update_fields=["qualification", "status", "result_note", "decided_by", "updated_at"])
    notify(
        request.user,
        "equipment/email/training_passed" if passed else "equipment/email/training_failed",
        _context(
            request,
            valid_until=valid_until.isoformat() if passed else "",
            note=request.result_note,
            url=request.instrument.full_url or "",
        ),
    )
    return request


def expiring_qualifications(on=None):
    """Unrevoked qualifications whose last valid day is within the notice period and not yet announced."""
    on = on or timezone.localdate()
    until = on + timedelta(days=settings.QUALIFICATION_EXPIRY_NOTICE_DAYS)
    return (
        Qualification.objects.filter(revoked_at__isnull=True, valid_until__gte=on, valid_until__lte=until)
        .exclude(
            Exists(
                QualificationAnnouncement.objects.filter(
                    qualification=OuterRef("pk"), valid_until=OuterRef("valid_until")
                )
            )
        )
        .select_related("instrument", "user")
        .order_by("valid_until", "pk")
    )


def announce_expiring_qualifications(on=None) -> int:
    """Tell each user, and the instrument's facility managers, once that a qualification expires soon.
    Idempotent: an announcement is remembered per qualification and expiry date (an extended
    qualification is announced again before its new expiry)."""
    count = 0
    for pk in list(expiring_qualifications(on).values_list("pk", flat=True)):
        with transaction.atomic():
            qualification = (
                Qualification.objects.select_for_update(of=("self",)).select_related("instrument", "user").get(pk=pk)
            )
            _, created = QualificationAnnouncement.objects.get_or_create(
                qualification=qualification, valid_until=qualification.valid_until
            )
            if not created:
                continue
            context = {
                "instrument": display(qualification.instrument),
                "user": qualification.user.get_full_name() or qualification.user.email,
                "valid_until": qualification.valid_until.isoformat(),
                "url": qualification.instrument.full_url or "",
                "manage_url": absolute_url("equipment:manage_instrument", qualification.instrument_id),
            }
            notify(qualification.user, "equipment/email/qualification_expiring", context)
            for manager in _managers(qualification.instrument.institute_id):
                notify(manager, "equipment/email/qualification_expiring_manager", context)
            count += 1
    return count
