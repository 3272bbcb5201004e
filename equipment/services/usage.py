"""Usage as it happens: check-in and check-out of a booking, overruns and no-shows.

- Check-in is open from `check_in_early_minutes` before the start until the end of a confirmed booking.
- Check-out completes the booking with the real hours between check-in and check-out (the usage record
  carries the real start and end); a check-out later than the end plus `overrun_tolerance_minutes` is an
  overrun, charged as the instrument's `overrun_policy` says (an `Overrun` row): an enterprise pays it
  through the payments app (payable kind `booking_overrun`), an institute user's is added to the internal
  charge under the booking's code.
- The booker checks in and out on a self-service instrument; the facility's managers on any instrument.
- A confirmed booking not checked in by its start plus `no_show_grace_minutes` becomes a no-show
  (`detect_no_shows`, run by `manage.py detect_no_shows` from cron; idempotent).

Each change locks the booking row: a double click checks in (or out) once, the second click changes
nothing.
"""

import math
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.money import quantize

from .. import availability, selectors
from ..models import Booking, BookingMode, BookingStatus, BookingUnit, Overrun, OverrunPolicy
from . import bookings
from .shared import lock_booking

HOUR = Decimal(3600)


def may_check_in_out(user, booking) -> bool:
    """The facility's managers on any instrument; the booker on a self-service instrument."""
    if user is None or not user.is_authenticated:
        return False
    if selectors.can_manage(user, booking.institute_id):
        return True
    return booking.instrument.booking_mode == BookingMode.SELF_SERVICE and user.pk == booking.user_id


# Use that begins and ends at the instrument: hours and day campaigns. A lease (month) or an access period
# (a data set, compute seats) has no check-in, no check-out and no no-show; the facility records its usage.
CHECKED_UNITS = (BookingUnit.HOUR, BookingUnit.DAY)


def checks_in(booking) -> bool:
    return booking.unit in CHECKED_UNITS


def check_in_opens(booking):
    return booking.start - timedelta(minutes=booking.instrument.check_in_early_minutes)


def no_show_after(booking):
    return booking.start + timedelta(minutes=booking.instrument.no_show_grace_minutes)


def can_check_in_now(booking, now=None) -> bool:
    """A confirmed booking, not yet checked in, within its check-in window."""
    now = now or timezone.now()
    return (
        checks_in(booking)
        and booking.status == BookingStatus.CONFIRMED
        and booking.checked_in_at is None
        and check_in_opens(booking) <= now < booking.end
    )


def can_check_out_now(booking) -> bool:
    return booking.status == BookingStatus.CONFIRMED and booking.is_checked_in


def _require_right(actor, booking):
    if not may_check_in_out(actor, booking):
        if booking.instrument.booking_mode == BookingMode.SELF_SERVICE:
            raise PermissionDenied(_("Only the booker or the facility's managers may check this booking in or out."))
        raise PermissionDenied(_("On an operator-run instrument, the facility checks the booking in and out."))


def _time(value):
    return availability.local(value).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def check_in(booking, *, actor, now=None) -> Booking:
    """Record that the booking's use began at `now`. A second check-in changes nothing."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    _require_right(actor, booking)
    if booking.status == BookingStatus.CONFIRMED and booking.checked_in_at is not None:
        return booking  # a double click: already checked in
    if not checks_in(booking):
        raise ValidationError(_("A lease or an access period is not checked in; the facility records its usage."))
    if booking.status != BookingStatus.CONFIRMED:
        raise ValidationError(
            _("Only a confirmed booking can be checked in; this one is %(status)s.")
            % {"status": booking.get_status_display().lower()}
        )
    if now < check_in_opens(booking):
        raise ValidationError(_("Check-in opens at %(time)s.") % {"time": _time(check_in_opens(booking))})
    if now >= booking.end:
        raise ValidationError(_("This booking has ended; it can no longer be checked in."))
    booking.checked_in_at, booking.checked_in_by = now, actor
    booking.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
    return booking


def overrun_charge(instrument, booking, minutes) -> tuple[int, Decimal, Decimal]:
    """(charged minutes, multiplier, amount) of an overrun of `minutes` under the instrument's policy:
    nothing under "none"; the booking's hourly rate (times the multiplier) for the overrun rounded up to
    whole slots otherwise."""
    policy = instrument.overrun_policy
    if policy == OverrunPolicy.NONE:
        return 0, Decimal("1"), Decimal("0.00")
    slot = instrument.slot_minutes
    charged = math.ceil(minutes / slot) * slot
    multiplier = instrument.overrun_multiplier if policy == OverrunPolicy.MULTIPLIER else Decimal("1")
    return charged, multiplier, quantize(booking.hourly_rate * multiplier * Decimal(charged) / Decimal(60))


def _record_overrun(booking, now):
    instrument = booking.instrument
    late = now - booking.end
    if late <= timedelta(minutes=instrument.overrun_tolerance_minutes):
        return None
    minutes = math.ceil(late.total_seconds() / 60)
    charged, multiplier, amount = overrun_charge(instrument, booking, minutes)
    if amount <= 0:
        status = Overrun.Status.NOT_CHARGED
    elif booking.by_internal_charge:
        status = Overrun.Status.INTERNAL
    else:
        status = Overrun.Status.DUE
    overrun = Overrun.objects.create(
        booking=booking,
        minutes=minutes,
        charged_minutes=charged if amount > 0 else 0,
        policy=instrument.overrun_policy,
        hourly_rate=booking.hourly_rate,
        multiplier=multiplier,
        amount=amount if amount > 0 else Decimal("0.00"),
        currency=booking.currency,
        status=status,
    )
    if status == Overrun.Status.DUE:
        bookings.notify_buyer_overrun(booking, overrun)
    return overrun


@transaction.atomic
def check_out(booking, *, actor, now=None, note="") -> Booking:
    """Record that the booking's use ended at `now`: the booking is completed with the real hours between
    check-in and check-out, and an overrun is flagged and charged. A second check-out changes nothing."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    _require_right(actor, booking)
    if booking.status == BookingStatus.COMPLETED and booking.checked_out_at is not None:
        return booking  # a double click: already checked out
    if booking.status != BookingStatus.CONFIRMED:
        raise ValidationError(
            _("Only a confirmed booking can be checked out; this one is %(status)s.")
            % {"status": booking.get_status_display().lower()}
        )
    if booking.checked_in_at is None:
        raise ValidationError(_("Check in before checking out."))
    if now <= booking.checked_in_at:
        raise ValidationError(_("The check-out must come after the check-in."))
    booking.checked_out_at, booking.checked_out_by = now, actor
    booking.save(update_fields=["checked_out_at", "checked_out_by", "updated_at"])
    hours = (Decimal((now - booking.checked_in_at).total_seconds()) / HOUR).quantize(Decimal("0.01"))
    bookings.record_usage(
        booking, actor=actor, hours=hours, note=note, now=now, started_at=booking.checked_in_at, ended_at=now
    )
    _record_overrun(booking, now)
    return booking


# --- no-shows ------------------------------------------------------------------------------------------


# A confirmed booking is charged as booked; an approved one was never paid (its payment is cancelled).
NO_SHOW_STATUSES = (BookingStatus.APPROVED, BookingStatus.CONFIRMED)


def no_show_candidates(now=None):
    """Approved or confirmed bookings that have started and were not checked in (whether the grace
    period has passed is checked per booking: it differs by instrument)."""
    now = now or timezone.now()
    return (
        Booking.objects.filter(
            status__in=NO_SHOW_STATUSES, checked_in_at__isnull=True, start__lt=now, unit__in=CHECKED_UNITS
        )
        .select_related("instrument")
        .order_by("start", "pk")
    )


@transaction.atomic
def detect_no_show(booking, *, now=None) -> bool:
    """Mark one booking a no-show if it is still approved or confirmed, not checked in, past its grace
    period. Returns whether it was marked (a booking that moved on meanwhile is left as it is)."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    if (
        booking.status not in NO_SHOW_STATUSES
        or booking.checked_in_at is not None
        or not checks_in(booking)
        or now < no_show_after(booking)
    ):
        return False
    bookings.record_no_show(booking, actor=None, now=now, note=_("Not checked in within the grace period."))
    return True


def detect_no_shows(now=None, progress=None) -> tuple[int, int]:
    """Mark every approved or confirmed booking not checked in within its grace period as a no-show (run from cron;
    idempotent). Returns (bookings checked, no-shows marked); `progress(checked, marked)` is called as
    it goes."""
    now = now or timezone.now()
    checked = marked = 0
    # Ids first (no cursor held open while each booking is locked and changed in its own transaction).
    rows = list(no_show_candidates(now).values_list("pk", "start", "instrument__no_show_grace_minutes"))
    for pk, start, grace in rows:
        checked += 1
        if now >= start + timedelta(minutes=grace) and detect_no_show(Booking(pk=pk), now=now):
            marked += 1
        if progress is not None:
            progress(checked, marked)
    return checked, marked


@transaction.atomic
def overrun_paid(overrun, *, reference=""):
    """The payments app received the overrun charge (card or invoice)."""
    overrun = Overrun.objects.select_for_update().get(pk=overrun.pk)
    if overrun.status != Overrun.Status.DUE:
        return overrun
    overrun.status = Overrun.Status.PAID
    overrun.payment_reference = (reference or "")[:120]
    overrun.save(update_fields=["status", "payment_reference"])
    return overrun
