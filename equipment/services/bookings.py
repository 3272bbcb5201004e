"""Bookings: each transition is one function, in one transaction,
recorded with who and when (BookingTransition), notified by email and, where it matters, written to the
transfer ledger."""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Role
from marketplace.core.emails import display, notify
from marketplace.core.links import absolute_url
from marketplace.payments import services as payment_services

from .. import availability, ledger, selectors
from ..models import (
    AUTO_NOTE,
    CANCELLABLE_STATUSES,
    Booking,
    BookingStatus,
    BookingTransition,
    Qualification,
    UsageRecord,
)
from ..rates import price_for, tier_for, tier_rate
from . import waitlist
from .shared import insert_requested, lock_booking, lock_instrument, require_manager

MAX_USAGE_HOURS = Decimal("24")


def _require(booking, allowed, action):
    if booking.status not in allowed:
        raise ValidationError(
            _("A booking that is %(status)s cannot be %(action)s.")
            % {"status": booking.get_status_display().lower(), "action": action}
        )


def _email_context(booking):
    instrument = booking.instrument
    start, end = availability.local(booking.start), availability.local(booking.end)
    return {
        "booking_id": booking.pk,
        "instrument": display(instrument),
        "institute": display(booking.institute),
        "enterprise": display(booking.organization),
        "start": start.strftime("%Y-%m-%d %H:%M") if booking.is_hourly else f"{booking.first_day:%Y-%m-%d}",
        "end": (
            (end.strftime("%H:%M") if start.date() == end.date() else end.strftime("%Y-%m-%d %H:%M"))
            if booking.is_hourly
            else f"{booking.last_day:%Y-%m-%d}"
        ),
        "when": booking.when,
        "price": str(booking.price_amount),
        "currency": booking.currency,
        "status": booking.status,
        "note": "" if booking.note == AUTO_NOTE else booking.note,
        "charge_code": booking.charge_code,
        "url": absolute_url("equipment:booking", booking.pk),
        "manage_url": absolute_url("equipment:manage_booking", booking.pk),
    }


def _notify_buyer(booking, name, **more):
    notify(booking.user, f"equipment/email/{name}", {**_email_context(booking), **more})


def _notify_managers(booking, name):
    context = _email_context(booking)
    for user in account_selectors.members_with_role(booking.institute_id, Role.FACILITY_MANAGER):
        notify(user, f"equipment/email/{name}", context)


# --- bookings ----------------------------------------------------------------------------------------


def usage_limit(booking) -> Decimal:
    """The most actual hours one booking may record: 24, or its whole period for a campaign, lease or
    access period longer than a day."""
    span = Decimal((booking.end - booking.start).total_seconds()) / Decimal(3600)
    return max(MAX_USAGE_HOURS, span.quantize(Decimal("0.01")))


def parse_hours(value, limit=MAX_USAGE_HOURS) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"hours": _("Enter the actual hours as a number, e.g. 2.5.")}) from None
    if not hours.is_finite() or hours <= 0:
        raise ValidationError({"hours": _("Actual hours must be more than zero.")})
    if hours > limit:
        if limit == MAX_USAGE_HOURS:
            raise ValidationError({"hours": _("Actual hours cannot exceed 24 for one booking.")})
        raise ValidationError(
            {"hours": _("Actual hours cannot exceed %(n)s for this booking.") % {"n": f"{limit.normalize():f}"}}
        )
    return hours.quantize(Decimal("0.01"))


def has_valid_qualification(user, instrument, on: date | None = None) -> bool:
    on = on or timezone.localdate()
    return Qualification.objects.filter(
        instrument=instrument, user=user, revoked_at__isnull=True, valid_until__gte=on
    ).exists()


MAX_CHARGE_CODE = 64


def clean_charge_code(value) -> str:
    """The project or cost-centre code an institute user's booking is charged under (letters, digits,
    `-`, `_`, `.`, `/`, up to 64)."""
    code = str(value or "").strip()
    if not code:
        raise ValidationError(
            {"charge_code": _("Give the project or cost-centre code your institute is charged under.")}
        )
    if len(code) > MAX_CHARGE_CODE or not all(c.isascii() and (c.isalnum() or c in "-_./") for c in code):
        raise ValidationError(
            {"charge_code": _("A project or cost-centre code has up to 64 letters, digits, and - _ . / only.")}
        )
    return code


def check_booker(user, organization, instrument, charge_code="") -> str:
    """Refuse a booker who may not book `instrument` for `organization`; returns the charge code to store
    (none for an enterprise, the cleaned project code for an institute)."""
    if organization is None:
        raise ValidationError(_("Choose the organisation you book for."))
    if not selectors.may_book_for(user, organization, instrument):
        if organization.is_enterprise:
            raise PermissionDenied(_("You do not book for this enterprise."))
        raise PermissionDenied(_("You do not book for this institute."))
    return "" if organization.is_enterprise else clean_charge_code(charge_code)


def submit_request(booking, *, actor) -> Booking:
    """Store a new booking as requested (the database refuses an overlap) and tell those concerned; where
    the listing approves automatically, approve it at once (an institute user's is then confirmed)."""
    insert_requested(booking, actor=actor)
    if booking.instrument.auto_approve:
        BookingTransition.move(booking, BookingStatus.APPROVED, actor=None, note=AUTO_NOTE)
        if booking.by_internal_charge:
            _confirm_internal_charge(booking, actor=None)
            _notify_managers(booking, "internal_booked")
        else:
            _notify_buyer(booking, "approved")
            _notify_managers(booking, "auto_approved")
    else:
        _notify_buyer(booking, "requested")
        _notify_managers(booking, "new_request")
    return booking


@transaction.atomic
def request_booking(
    *, instrument, user, start, end, enterprise=None, organization=None, purpose="", charge_code="", now=None
) -> Booking:
    """Book `start`–`end` of a live instrument for `organization` (an enterprise the user buys for, or an
    institute they book for as a researcher or facility manager; `enterprise` is the older name of the same
    argument); returns the booking (requested, or approved where the listing approves automatically; an
    institute user's booking is then confirmed at once: it is paid by internal charge under `charge_code`).
    The tier follows the organisation (`rates.tier_for`). Raises ValidationError with clear messages and
    changes nothing when a rule is broken or the slot is taken."""
    now = now or timezone.now()
    organization = organization or enterprise
    charge_code = check_booker(user, organization, instrument, charge_code)
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise ValidationError(_("Give a start and an end."))
    if timezone.is_naive(start) or timezone.is_naive(end):
        # An instant needs its time zone; a naive time cannot be compared with the bookings'.
        raise ValidationError(_("Give a start and an end."))
    instrument = lock_instrument(instrument)
    if not instrument.live or instrument.institute_id is None:
        raise ValidationError(_("This instrument is not open for booking."))
    if not instrument.is_hourly:
        # Days, months and access periods are booked by services.ranges.
        raise ValidationError(_("This resource is booked by the day, month or access period, not by the hour."))
    waitlist.claim(instrument, user, start, end, now)
    limit = settings.BOOKING_MAX_OPEN_REQUESTS_PER_INSTRUMENT
    if limit and open_requests_count(instrument, organization, now=now, user=user) >= limit:
        raise ValidationError(
            ngettext(
                "Your enterprise already has %(n)d open request for this instrument. Wait until it is "
                "confirmed, or cancel it, before asking for more time.",
                "Your enterprise already has %(n)d open requests for this instrument. Wait until one is "
                "confirmed, or cancel one, before asking for more time.",
                limit,
            )
            % {"n": limit}
        )
    # The same check as the calendar's (a cell links only where it passes); the waitlist's offers were
    # claimed above.
    errors = availability.booking_errors(
        instrument,
        start,
        end,
        now=now,
        **selectors.availability_for(instrument, user, start, end, held=False),
    )
    if errors:
        raise ValidationError(errors)
    tier = tier_for(organization, instrument)
    rate = tier_rate(instrument, tier)
    hours = (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"))
    booking = Booking(
        instrument=instrument,
        institute_id=instrument.institute_id,
        enterprise=organization if organization.is_enterprise else None,
        organization=organization,
        charge_code=charge_code,
        user=user,
        start=start,
        end=end,
        purpose=(purpose or "")[:2000],
        tier=tier,
        hourly_rate=rate,
        subsidy_percent=instrument.subsidy_percent(tier),
        hours=hours,
        price_amount=price_for(rate, hours),
        currency=instrument.currency,
        status=BookingStatus.REQUESTED,
    )
    return submit_request(booking, actor=user)


# Requested, or approved and not yet paid: the requests an enterprise holds open (and that expire).
OPEN_REQUEST_STATUSES = (BookingStatus.REQUESTED, BookingStatus.APPROVED)


def open_requests_count(instrument, enterprise, *, now=None, user=None) -> int:
    """The enterprise's requests for the instrument not yet confirmed (requested or approved), not yet
    ended; for an institute (internal charge), the requests of `user` alone: colleagues book apart."""
    mine = {"enterprise": enterprise} if enterprise.is_enterprise else {"organization": enterprise, "user": user}
    return Booking.objects.filter(
        instrument=instrument,
        status__in=OPEN_REQUEST_STATUSES,
        end__gt=now or timezone.now(),
        **mine,
    ).count()


def _confirm_internal_charge(booking, *, actor):
    """An approved booking of an institute user is confirmed at once: nothing waits for payment, the
    booking is charged to the institute under its code (the statement lists it once it is used)."""
    booking.confirmation_reference = booking.charge_code[:120]
    BookingTransition.move(
        booking, BookingStatus.CONFIRMED, actor=actor, note=booking.charge_code, fields=["confirmation_reference"]
    )
    ledger.record(ledger.booking_confirmed(booking, at=timezone.now()))
    _notify_buyer(booking, "confirmed")


@transaction.atomic
def approve_booking(booking, *, actor) -> Booking:
    booking = lock_booking(booking)
    require_manager(actor, booking)
    _require(booking, [BookingStatus.REQUESTED], _("approved"))
    BookingTransition.move(booking, BookingStatus.APPROVED, actor=actor)
    if booking.by_internal_charge:
        _confirm_internal_charge(booking, actor=actor)
    else:
        _notify_buyer(booking, "approved")
    return booking


@transaction.atomic
def reject_booking(booking, *, actor, reason="") -> Booking:
    booking = lock_booking(booking)
    require_manager(actor, booking)
    _require(booking, [BookingStatus.REQUESTED], _("rejected"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the rejection: the buyer is told it."))
    BookingTransition.move(booking, BookingStatus.REJECTED, actor=actor, note=reason)
    _notify_buyer(booking, "rejected", reason=reason)
    waitlist.slot_freed(booking)
    return booking


@transaction.atomic
def confirm_booking(booking, *, actor, reference="") -> Booking:
    """THE single way an approved booking becomes confirmed: money received or an invoice accepted.

    Called by a facility manager ("confirm by invoice") or by the payment layer (actor may then be
    None). Idempotent for an already confirmed booking.
    """
    booking = lock_booking(booking)
    if actor is not None:
        require_manager(actor, booking)
    if booking.status == BookingStatus.CONFIRMED:
        return booking
    _require(booking, [BookingStatus.APPROVED], _("confirmed"))
    booking.confirmation_reference = (reference or "")[:120]
    BookingTransition.move(
        booking, BookingStatus.CONFIRMED, actor=actor, note=reference or "", fields=["confirmation_reference"]
    )
    ledger.record(ledger.booking_confirmed(booking, at=timezone.now()))
    _notify_buyer(booking, "confirmed")
    return booking


@transaction.atomic
def complete_booking(booking, *, actor, hours, note="", now=None) -> Booking:
    """Close a confirmed booking that has started, with the actual hours of use (a UsageRecord)."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    hours = parse_hours(hours, usage_limit(booking))
    require_manager(actor, booking)
    _require(booking, [BookingStatus.CONFIRMED], _("completed"))
    if booking.start > now:
        raise ValidationError(_("A booking can be completed only once it has started."))
    record_usage(booking, actor=actor, hours=hours, note=note, now=now)
    return booking


def record_usage(booking, *, actor, hours, note="", now, started_at=None, ended_at=None) -> UsageRecord:
    """Complete a confirmed booking (locked by the caller, rights checked) with its usage record and
    ledger facts: the hours typed in by the facility, or the real ones of a check-out (`started_at`,
    `ended_at`)."""
    usage = UsageRecord.objects.create(
        booking=booking,
        hours=hours,
        note=(note or "")[:500],
        recorded_by=actor,
        started_at=started_at,
        ended_at=ended_at,
    )
    BookingTransition.move(booking, BookingStatus.COMPLETED, actor=actor, note=note)
    ledger.record(ledger.booking_completed(booking, at=now))
    ledger.record(ledger.usage_recorded(usage, now=now))
    _notify_buyer(booking, "completed")
    return usage


@transaction.atomic
def mark_no_show(booking, *, actor, now=None) -> Booking:
    now = now or timezone.now()
    booking = lock_booking(booking)
    require_manager(actor, booking)
    _require(booking, [BookingStatus.APPROVED, BookingStatus.CONFIRMED], _("marked as a no-show"))
    if booking.start > now:
        raise ValidationError(_("A booking can be marked as a no-show only once it has started."))
    if booking.checked_in_at is not None:
        raise ValidationError(_("This booking was checked in: it is not a no-show. Check it out instead."))
    record_no_show(booking, actor=actor, now=now)
    return booking


def record_no_show(booking, *, actor, now, note=""):
    """A booking (locked by the caller, approved or confirmed, not checked in) becomes a no-show. A
    confirmed one stays charged as booked; an approved one was never paid: its open payments are cancelled
    (a no-show holds no slot)."""
    was_approved = booking.status == BookingStatus.APPROVED
    BookingTransition.move(booking, BookingStatus.NO_SHOW, actor=actor, note=note)
    if was_approved:
        payment_services.cancel_open_payments(booking, actor=actor, note="no-show")
    _notify_buyer(booking, "no_show")
    _notify_managers(booking, "no_show_manager")


def notify_buyer_overrun(booking, overrun):
    context = _email_context(booking)
    context.update({"minutes": overrun.minutes, "amount": str(overrun.amount), "currency": overrun.currency})
    notify(booking.user, "equipment/email/overrun", context)


def _is_booker(user, booking) -> bool:
    """A buyer of the booking's enterprise; for an institute user's booking, the booker."""
    if booking.enterprise_id is None:
        return user is not None and user.is_authenticated and user.pk == booking.user_id
    return account_selectors.has_role(user, booking.enterprise_id, [Role.BUYER])


def cancellation_deadline(booking):
    return booking.start - timedelta(hours=booking.instrument.cancellation_window_hours)


def buyer_may_cancel(booking, now=None) -> bool:
    """The booker may withdraw a request (not yet approved) at any time, and cancel an approved or
    confirmed booking up to the listing's cancellation deadline."""
    if booking.status == BookingStatus.REQUESTED:
        return True
    return booking.status in CANCELLABLE_STATUSES and (now or timezone.now()) <= cancellation_deadline(booking)


@transaction.atomic
def cancel_booking(booking, *, actor, reason="", now=None) -> Booking:
    """The enterprise cancels before the listing's cancellation deadline; the facility at any time
    before the booking ends."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    by_facility = selectors.can_manage(actor, booking.institute_id)
    by_buyer = _is_booker(actor, booking)
    if not (by_facility or by_buyer):
        raise PermissionDenied(_("You cannot cancel this booking."))
    _require(booking, CANCELLABLE_STATUSES, _("cancelled"))
    if by_facility:
        if booking.end <= now:
            raise ValidationError(_("A booking that has ended cannot be cancelled; record usage or a no-show."))
    elif not buyer_may_cancel(booking, now):
        raise ValidationError(
            _("Bookings can be cancelled up to %(n)d hours before the start. Contact the facility.")
            % {"n": booking.instrument.cancellation_window_hours}
        )
    was_confirmed = booking.status == BookingStatus.CONFIRMED
    BookingTransition.move(booking, BookingStatus.CANCELLED, actor=actor, note=reason)
    if was_confirmed:
        # Money paid for it goes back as the cancellation policy allows (in this transaction: no
        # cancellation without its refund).
        payment_services.refund_for_cancelled(booking, actor=actor, by_payee=by_facility and not by_buyer, now=now)
    else:
        # A payment not yet made is cancelled with the booking (its PaymentIntent at Stripe after the
        # commit): nothing is left to pay.
        payment_services.cancel_open_payments(booking, actor=actor, note="booking cancelled")
    if by_facility and not by_buyer:
        _notify_buyer(booking, "cancelled", reason=(reason or "").strip())
    else:
        _notify_managers(booking, "cancelled")
        _notify_buyer(booking, "cancelled")
    waitlist.slot_freed(booking)
    return booking


@transaction.atomic
def release_unpaid_booking(booking, *, note="") -> Booking:
    """The payment layer gives back the slot of an approved booking whose card payment was not made in
    time (PAYMENT_HOLD_MINUTES). Anything but an approved booking is left as it is."""
    booking = lock_booking(booking)
    if booking.status != BookingStatus.APPROVED:
        return booking
    BookingTransition.move(booking, BookingStatus.CANCELLED, actor=None, note=note or "unpaid")
    _notify_buyer(booking, "cancelled")
    waitlist.slot_freed(booking)
    return booking


def _bookings_with_live_card_hold(now):
    """Approved bookings whose card payment may still be made: the payments app releases them itself
    (release_expired_holds), so expiry leaves them alone."""
    return payment_services.held_subject_ids("booking", now)


def expired_requests(now=None):
    """Requested or approved-but-unpaid bookings that have waited in their state longer than
    BOOKING_REQUEST_EXPIRY_HOURS (none when the setting is 0)."""
    now = now or timezone.now()
    hours = settings.BOOKING_REQUEST_EXPIRY_HOURS
    if not hours:
        return Booking.objects.none()
    since = (
        BookingTransition.objects.filter(booking=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    return (
        Booking.objects.filter(status__in=OPEN_REQUEST_STATUSES)
        .exclude(pk__in=_bookings_with_live_card_hold(now))
        .annotate(since=Coalesce(Subquery(since), "created_at"))
        .filter(since__lt=now - timedelta(hours=hours))
        .order_by("pk")
    )


@transaction.atomic
def expire_booking(booking, *, now=None) -> bool:
    """Give back the slot of a request nobody approved or paid for in time: cancelled, with its history
    and emails. Returns whether it expired (a booking that moved on meanwhile is left as it is)."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    if not expired_requests(now).filter(pk=booking.pk).exists():
        return False
    hours = settings.BOOKING_REQUEST_EXPIRY_HOURS
    if booking.status == BookingStatus.REQUESTED:
        note = _("Expired: not approved within %(n)d hours.") % {"n": hours}
    else:
        note = _("Expired: not paid within %(n)d hours.") % {"n": hours}
    BookingTransition.move(booking, BookingStatus.CANCELLED, actor=None, note=note)
    _notify_buyer(booking, "cancelled")
    _notify_managers(booking, "cancelled")
    waitlist.slot_freed(booking)
    return True


def expire_bookings(now=None) -> int:
    """Expire every request that waited too long (run by `manage.py expire_bookings` from cron)."""
    now = now or timezone.now()
    return sum(1 for pk in list(expired_requests(now).values_list("pk", flat=True))
               if expire_booking(Booking(pk=pk), now=now))  # fmt: skip
