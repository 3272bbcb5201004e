"""Booking a resource that is not hourly (units.py): a campaign of days, a lease of months, an access period
with seats. The same states, history, emails and payment as an hourly booking (bookings.py).

Exclusive units (day, month) are guarded like hourly bookings: the check below under the instrument's
lock, and on PostgreSQL the exclusion constraint on the blocked range (migration 0011). Access periods
are shared: under the same lock the seats held at the busiest moment of the period, plus the new ones,
may not exceed the resource's seats; the lock serialises every booking of one resource (PostgreSQL row
lock; SQLite BEGIN IMMEDIATE), so two bookers never both take the last seat.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import units
from ..models import ACTIVE_STATUSES, Blackout, Booking, BookingMode, BookingStatus
from ..rates import price_for, tier_for, tier_rate
from .bookings import check_booker, has_valid_qualification, open_requests_count, submit_request
from .shared import lock_instrument


def quote(instrument, organization, length, *, seats=1, opening_hours=None):
    """(tier, hourly rate, billed hours, price) of a range booking of `length` units for `organization`."""
    opening_hours = list(instrument.opening_hours.all()) if opening_hours is None else opening_hours
    tier = tier_for(organization, instrument)
    rate = tier_rate(instrument, tier)
    hours = units.billed_hours(instrument, length, seats=seats, opening_hours=opening_hours)
    return tier, rate, hours, price_for(rate, hours)


@transaction.atomic
def request_range_booking(
    *,
    instrument,
    user,
    organization,
    first_day: date,
    last_day: date | None = None,
    months: int | None = None,
    seats: int = 1,
    purpose="",
    charge_code="",
    now=None,
) -> Booking:
    """Book `first_day`–`last_day` (day and access units, `seats` for access) or `months` from `first_day`
    (month unit) for `organization`; returns the booking (requested, or approved where the listing approves
    automatically, then confirmed at once for an institute user). Raises ValidationError with clear
    messages and changes nothing when a rule is broken, the resource is taken or its seats are full."""
    now = now or timezone.now()
    charge_code = check_booker(user, organization, instrument, charge_code)
    instrument = lock_instrument(instrument)
    if not instrument.live or instrument.institute_id is None:
        raise ValidationError(_("This instrument is not open for booking."))
    if instrument.is_hourly:
        raise ValidationError(_("This instrument is booked by the hour. Choose a time in its calendar."))
    if not isinstance(first_day, date):
        raise ValidationError(_("Give the first day."))
    if instrument.booking_unit == "month":
        if not isinstance(months, int) or months < 1:
            raise ValidationError(_("Give the number of months."))
        months = min(months, units.MAX_RANGE_UNITS)
    else:
        if not isinstance(last_day, date):
            raise ValidationError(_("Give the last day."))
        if last_day < first_day:
            raise ValidationError(_("The last day cannot be before the first day."))
        if (last_day - first_day).days >= units.MAX_RANGE_UNITS:
            last_day = first_day + timedelta(days=units.MAX_RANGE_UNITS)  # too long: the rules say so
    seats = seats if instrument.is_shared else 1
    start, end, length = units.period(instrument, first_day, last_day=last_day, months=months)
    blocked_start, blocked_end = units.blocked_range(instrument, start, end)
    limit = settings.BOOKING_MAX_OPEN_REQUESTS_PER_INSTRUMENT
    if limit and open_requests_count(instrument, organization, now=now, user=user) >= limit:
        raise ValidationError(
            _("You already have %(n)d open requests for this resource. Wait until one is confirmed, or cancel one.")
            % {"n": limit}
        )
    if instrument.booking_mode == BookingMode.SELF_SERVICE and not has_valid_qualification(user, instrument, first_day):
        raise ValidationError(
            _("Self-service use needs a valid qualification on this instrument. Ask the facility for training.")
        )
    # Other bookings are found by their blocked range widened by this resource's buffers: a neighbour's
    # buffers and ours both count.
    window_start, window_end = units.blocked_range(instrument, blocked_start, blocked_end)
    busy = list(
        Booking.objects.filter(
            instrument=instrument,
            status__in=ACTIVE_STATUSES,
            blocked_start__lt=window_end,
            blocked_end__gt=window_start,
        ).values_list("blocked_start", "blocked_end", "seats")
    )
    errors = units.range_rule_errors(
        instrument,
        start,
        end,
        length,
        seats=seats,
        now=now,
        blackouts=list(Blackout.objects.filter(instrument=instrument, start__lt=blocked_end, end__gt=blocked_start)),
        busy=busy,
    )
    if errors:
        raise ValidationError(errors)
    tier, rate, hours, price = quote(instrument, organization, length, seats=seats)
    booking = Booking(
        instrument=instrument,
        institute_id=instrument.institute_id,
        enterprise=organization if organization.is_enterprise else None,
        organization=organization,
        charge_code=charge_code,
        user=user,
        start=start,
        end=end,
        unit=instrument.booking_unit,
        seats=seats,
        blocked_start=blocked_start,
        blocked_end=blocked_end,
        purpose=(purpose or "")[:2000],
        tier=tier,
        hourly_rate=rate,
        subsidy_percent=instrument.subsidy_percent(tier),
        hours=max(hours, Decimal("0.01")),
        price_amount=price,
        currency=instrument.currency,
        status=BookingStatus.REQUESTED,
    )
    return submit_request(booking, actor=user)


def taken_periods(instrument, now=None, limit=50):
    """The coming active bookings of a range resource as (blocked start, blocked end, seats), for its page
    (never who booked)."""
    now = now or timezone.now()
    return list(
        Booking.objects.filter(instrument=instrument, status__in=ACTIVE_STATUSES, blocked_end__gt=now)
        .order_by("blocked_start")
        .values_list("blocked_start", "blocked_end", "seats")[:limit]
    )
