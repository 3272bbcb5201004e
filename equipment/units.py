"""Resources that are not booked by the hour: the unit decides the length, the blocked time and the price.

- hour: the week calendar and the hourly rules (availability.py); unchanged.
- day: a campaign of whole calendar days, from midnight of the first day to midnight after the last (local
  time). It keeps the resource from others also `setup_buffer_hours` before and `cleanup_buffer_hours`
  after (set-up and cleaning): the blocked range, which no other active campaign may overlap.
- month: a lease from a start date for N months (the end is the same day N months later; a day missing in
  that month becomes the month's last day).
- access: a data set or compute allocation for a period of days, holding `seats` of the resource's seats;
  bookings are not exclusive, but at no moment may the seats held exceed the resource's seats.

Price, kept at cost with the same breakdown as the hourly rate (rates.py): a booking is billed as hours at
the booker's tier rate, price = hours × tier rate (rates.price_for), so statements, the ledger and the
cost-recovery figures read it like any booking.

- day: hours = days × hours per day, where hours per day is the resource's longest opening day (24 when
  it publishes no opening hours: it runs round the clock);
- month: hours = months × planned bookable hours per year / 12 (twelve months of lease recover a year);
- access: hours = days × seats × hours per day.
"""

import calendar
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import availability
from .models import BookingUnit

HOURS_QUANTUM = Decimal("0.01")
FULL_DAY = Decimal("24")
# Longer ranges are cut to this before the rules refuse them (no date arithmetic on absurd input).
MAX_RANGE_UNITS = 1000


def _aware_midnight(day: date):
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where that day does not exist)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def hours_per_day(opening_hours) -> Decimal:
    """The longest opening day of the resource in hours (24 without published opening hours)."""
    by_day = {}
    for period in opening_hours:
        # A period closing at 23:59 runs to midnight (as in the week calendar).
        minutes = period.minutes + (1 if period.closes == time(23, 59) else 0)
        by_day[period.weekday] = by_day.get(period.weekday, 0) + minutes
    if not by_day:
        return FULL_DAY
    return min(FULL_DAY, Decimal(max(by_day.values())) / Decimal(60))


def hours_per_month(instrument) -> Decimal:
    return Decimal(instrument.planned_hours_per_year) / Decimal(12)


def period(instrument, first_day: date, *, last_day: date | None = None, months: int | None = None):
    """(start, end, length in units) of a range booking: days for day and access, months for a lease."""
    start = _aware_midnight(first_day)
    if instrument.booking_unit == BookingUnit.MONTH:
        return start, _aware_midnight(add_months(first_day, months)), months
    return start, _aware_midnight(last_day + timedelta(days=1)), (last_day - first_day).days + 1


def blocked_range(instrument, start, end):
    """The time a booking keeps the resource from others: with the day unit's set-up and cleaning buffers."""
    if instrument.booking_unit != BookingUnit.DAY:
        return start, end
    return (
        start - timedelta(hours=instrument.setup_buffer_hours),
        end + timedelta(hours=instrument.cleanup_buffer_hours),
    )


def billed_hours(instrument, length: int, *, seats: int = 1, opening_hours=()) -> Decimal:
    """The hours a range booking is billed as (see the module's note)."""
    unit = instrument.booking_unit
    if unit == BookingUnit.MONTH:
        hours = hours_per_month(instrument) * length
    elif unit == BookingUnit.ACCESS:
        hours = hours_per_day(opening_hours) * length * seats
    else:
        hours = hours_per_day(opening_hours) * length
    return hours.quantize(HOURS_QUANTUM)


def unit_price(instrument, rate: Decimal, *, opening_hours=()) -> Decimal:
    """The price of one unit (a day, a month, a seat-day) at `rate` per hour, for the booking page."""
    from .rates import price_for

    return price_for(rate, billed_hours(instrument, 1, opening_hours=opening_hours))


def peak_seats(bookings, start, end) -> int:
    """The most seats that `bookings` ((start, end, seats) triples) hold at one moment of [start, end)."""
    events = []
    for s, e, seats in bookings:
        if availability.overlaps(start, end, s, e):
            events.append((max(s, start), seats))
            events.append((min(e, end), -seats))
    peak = held = 0
    # At equal times an end comes before a start: [s, e) ranges that only touch do not share a moment.
    for _moment, change in sorted(events, key=lambda item: (item[0], item[1])):
        held += change
        peak = max(peak, held)
    return peak


def range_rule_errors(instrument, start, end, length, *, seats, now, blackouts, busy):
    """Every rule a range booking breaks, as clear messages (empty when it may be booked).

    `blackouts`: rows with start/end; `busy`: (blocked_start, blocked_end, seats) of the other active
    bookings of the resource."""
    errors = []
    if start < now:
        errors.append(_("That date is in the past."))
    elif start < now + timedelta(hours=instrument.min_notice_hours):
        errors.append(
            ngettext(
                "Bookings need at least %(n)d hour of notice.",
                "Bookings need at least %(n)d hours of notice.",
                instrument.min_notice_hours,
            )
            % {"n": instrument.min_notice_hours}
        )
    if start > now + timedelta(days=instrument.horizon_days):
        errors.append(
            ngettext(
                "Bookings open at most %(n)d day ahead.",
                "Bookings open at most %(n)d days ahead.",
                instrument.horizon_days,
            )
            % {"n": instrument.horizon_days}
        )
    months = instrument.booking_unit == BookingUnit.MONTH
    if length < instrument.min_units:
        errors.append(
            (
                ngettext(
                    "The shortest lease is %(n)d month.", "The shortest lease is %(n)d months.", instrument.min_units
                )
                if months
                else ngettext(
                    "The shortest booking is %(n)d day.", "The shortest booking is %(n)d days.", instrument.min_units
                )
            )
            % {"n": instrument.min_units}
        )
    if length > instrument.max_units:
        errors.append(
            (
                ngettext(
                    "The longest lease is %(n)d month.", "The longest lease is %(n)d months.", instrument.max_units
                )
                if months
                else ngettext(
                    "The longest booking is %(n)d day.", "The longest booking is %(n)d days.", instrument.max_units
                )
            )
            % {"n": instrument.max_units}
        )
    blocked_start, blocked_end = blocked_range(instrument, start, end)
    if any(availability.overlaps(blocked_start, blocked_end, b.start, b.end) for b in blackouts):
        errors.append(_("The resource is unavailable then (maintenance or holiday)."))
    if instrument.is_shared:
        if seats < 1:
            errors.append(_("Book at least one seat."))
        elif seats > instrument.seats:
            errors.append(
                ngettext("This resource has %(n)d seat.", "This resource has %(n)d seats.", instrument.seats)
                % {"n": instrument.seats}
            )
        else:
            free = instrument.seats - peak_seats(busy, start, end)
            if seats > free:
                errors.append(
                    (
                        ngettext(
                            "Only %(n)d seat is free for the whole period.",
                            "Only %(n)d seats are free for the whole period.",
                            free,
                        )
                        % {"n": free}
                    )
                    if free > 0
                    else _("No seat is free for the whole period. Choose other dates.")
                )
    elif any(availability.overlaps(blocked_start, blocked_end, s, e) for s, e, _seats in busy):
        if instrument.setup_buffer_hours or instrument.cleanup_buffer_hours:
            errors.append(
                _(
                    "Those dates, with %(setup)d hours of set-up before and %(cleanup)d hours of cleaning after, "
                    "overlap another booking. Choose other dates."
                )
                % {"setup": instrument.setup_buffer_hours, "cleanup": instrument.cleanup_buffer_hours}
            )
        else:
            errors.append(_("Those dates overlap another booking. Choose other dates."))
    return errors


def describe_when(booking) -> str:
    """A booking's time as people read it (Booking.when)."""
    if booking.unit == BookingUnit.HOUR:
        start, end = availability.local(booking.start), availability.local(booking.end)
        if start.date() == end.date():
            return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"
    first, last = booking.first_day, booking.last_day
    if booking.unit == BookingUnit.MONTH:
        months = _months_between(first, availability.local(booking.end).date())
        length = ngettext("%(n)d month", "%(n)d months", months) % {"n": months}
    else:
        days = (last - first).days + 1
        length = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    text = f"{first:%Y-%m-%d} – {last:%Y-%m-%d} ({length})"
    if booking.unit == BookingUnit.ACCESS:
        text += ", " + ngettext("%(n)d seat", "%(n)d seats", booking.seats) % {"n": booking.seats}
    return text


def _months_between(first: date, end: date) -> int:
    months = (end.year - first.year) * 12 + end.month - first.month
    return max(months, 1)
