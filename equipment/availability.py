"""Pure availability rules: opening hours, blackouts, granularity, lengths, notice, horizon, overlap.

These functions take already-loaded rows (opening periods, blackouts, busy intervals) so that both the
booking service (one instrument, under a lock) and the browse page (many instruments, loaded in bulk)
can use them without extra queries.
"""

import math
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def local(dt):
    return timezone.localtime(dt)


def _minute_of_day(t):
    return t.hour * 60 + t.minute


def overlaps(a_start, a_end, b_start, b_end):
    """Half-open intervals [a_start, a_end) and [b_start, b_end) share some time."""
    return a_start < b_end and b_start < a_end


def rule_errors(instrument, start, end, *, now, opening_hours, blackouts, busy):
    """Every booking rule `start`–`end` breaks, as clear messages (empty when it may be booked).

    `opening_hours` are OpeningHours rows, `blackouts` rows with start/end, `busy` (start, end) pairs of
    other active bookings.
    """
    if start is None or end is None:
        return [_("Give a start and an end.")]
    if end <= start:
        return [_("The end must be after the start.")]
    errors = []
    if start < now:
        errors.append(_("That time is in the past."))
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
    minutes = (end - start).total_seconds() / 60
    if minutes < instrument.min_booking_minutes:
        errors.append(_("The shortest booking is %(n)d minutes.") % {"n": instrument.min_booking_minutes})
    if minutes > instrument.max_booking_minutes:
        errors.append(_("The longest booking is %(n)d minutes.") % {"n": instrument.max_booking_minutes})
    ls, le = local(start), local(end)
    slot = instrument.slot_minutes
    if not on_slot_grid(ls, le, slot):
        errors.append(_("Bookings start and end on %(n)d-minute steps.") % {"n": slot})
    if not within_opening_hours(ls, le, opening_hours):
        errors.append(_("That time is outside the opening hours."))
    if any(overlaps(start, end, b.start, b.end) for b in blackouts):
        errors.append(_("The instrument is unavailable then (maintenance or holiday)."))
    if any(overlaps(start, end, s, e) for s, e in busy):
        errors.append(slot_taken_message())
    return errors


def on_slot_grid(local_start, local_end, slot):
    minutes = (local_end - local_start).total_seconds() / 60
    return not (
        local_start.second
        or local_start.microsecond
        or local_end.second
        or local_end.microsecond
        or _minute_of_day(local_start) % slot
        or minutes % slot
    )


def breaks_rules(instrument, booking, *, opening_hours, qualified_until=None):
    """Whether an existing booking would be refused under the instrument's (proposed) rules: opening
    hours, slot steps, lengths, the notice and horizon measured from when it was requested, and for
    self-service use the booker's qualification (`qualified_until`: user id → last valid day).

    Overlaps and blackouts are not rules of the page: a blackout is refused while bookings fall in it."""
    start, end = booking.start, booking.end
    requested_at = booking.created_at or start
    minutes = (end - start).total_seconds() / 60
    ls, le = local(start), local(end)
    return (
        start < requested_at + timedelta(hours=instrument.min_notice_hours)
        or start > requested_at + timedelta(days=instrument.horizon_days)
        or minutes < instrument.min_booking_minutes
        or minutes > instrument.max_booking_minutes
        or not on_slot_grid(ls, le, instrument.slot_minutes)
        or not within_opening_hours(ls, le, opening_hours)
        or (
            instrument.booking_mode == "self_service"
            and qualified_until is not None
            and not (qualified_until.get(booking.user_id) and qualified_until[booking.user_id] >= ls.date())
        )
    )


def bookings_breaking_rules(instrument, bookings, *, opening_hours, qualified_until=None):
    """The bookings (active, not yet ended) that the instrument's proposed rules would leave outside."""
    return [
        b for b in bookings if breaks_rules(instrument, b, opening_hours=opening_hours, qualified_until=qualified_until)
    ]


def booking_rule_errors(instrument) -> dict:
    """Field → message for booking rules that contradict each other (empty when they are sound)."""
    errors = {}
    notice, horizon = instrument.min_notice_hours, instrument.horizon_days
    if notice is not None and horizon and notice >= horizon * 24:
        errors["min_notice_hours"] = _("The minimum notice must be shorter than the booking horizon.")
    return errors


def slot_taken_message():
    return _("That slot is already taken. Choose another time.")


def within_opening_hours(local_start, local_end, opening_hours):
    if local_start.date() != local_end.date():
        return False
    weekday = local_start.weekday()
    for period in opening_hours:
        if period.weekday == weekday and period.opens <= local_start.time() and local_end.time() <= period.closes:
            return True
    return False


def _aware(day, t):
    return timezone.make_aware(datetime.combine(day, t), timezone.get_current_timezone())


def earliest_start(instrument, now):
    return now + timedelta(hours=instrument.min_notice_hours)


def next_free_slot(instrument, *, now, opening_hours, blackouts, busy, max_days=60):
    """The first start time (aware) at which a minimum-length booking fits, or None within the horizon."""
    earliest = earliest_start(instrument, now)
    latest = now + timedelta(days=instrument.horizon_days)
    blocked = sorted([(b.start, b.end) for b in blackouts] + list(busy))
    day = local(earliest).date()
    for _offset in range(min(instrument.horizon_days, max_days) + 1):
        found = first_free_on_day(instrument, day, earliest=earliest, latest=latest, opening_hours=opening_hours,
                                  blocked=blocked)  # fmt: skip
        if found:
            return found
        day += timedelta(days=1)
    return None


def first_free_on_day(instrument, day, *, earliest, latest, opening_hours, blocked):
    """The first start (aware) on `day`, not before `earliest` nor after `latest`, at which a booking of
    the instrument's minimum length fits the opening hours and clashes with no `blocked` (start, end)."""
    length = timedelta(minutes=instrument.min_booking_minutes)
    step = instrument.slot_minutes
    periods = sorted((p for p in opening_hours if p.weekday == day.weekday()), key=lambda p: p.opens)
    for period in periods:
        open_at, close_at = _aware(day, period.opens), _aware(day, period.closes)
        candidate = open_at
        if candidate < earliest:
            minutes = math.ceil((earliest - open_at).total_seconds() / 60 / step) * step
            candidate = open_at + timedelta(minutes=minutes)
        # Align to the slot grid of the day.
        offset = _minute_of_day(local(candidate)) % step
        if offset:
            candidate += timedelta(minutes=step - offset)
        while candidate + length <= close_at and candidate <= latest:
            clash = next((e for s, e in blocked if overlaps(candidate, candidate + length, s, e)), None)
            if clash is None:
                return candidate
            # Jump past the clash, back onto the grid.
            minutes = math.ceil((clash - open_at).total_seconds() / 60 / step) * step
            candidate = max(candidate + timedelta(minutes=step), open_at + timedelta(minutes=minutes))
    return None


def week_grid(instrument, week_start, *, now, opening_hours, blackouts, busy):
    """Rows of (time, [(day, state) per day]) for a week, in slot steps over the opening range.

    States: "closed", "past", "blackout", "busy", "free". Never says who booked.
    """
    days = [week_start + timedelta(days=i) for i in range(7)]
    if not opening_hours:
        return days, []
    first = min(_minute_of_day(p.opens) for p in opening_hours)
    last = max(_minute_of_day(p.closes) for p in opening_hours)
    step = max(instrument.slot_minutes, 30)
    rows = []
    for minute in range(first, last, step):
        t = time(minute // 60, minute % 60)
        cells = []
        for day in days:
            start = _aware(day, t)
            end = start + timedelta(minutes=step)
            le = local(end)
            open_ = any(
                p.weekday == day.weekday() and p.opens <= t and (le.time() <= p.closes or le.date() > day)
                for p in opening_hours
                if le.date() == day or p.closes == time(23, 59)
            )
            if not open_:
                state = "closed"
            elif any(overlaps(start, end, s, e) for s, e in busy):
                state = "busy"
            elif any(overlaps(start, end, b.start, b.end) for b in blackouts):
                state = "blackout"
            elif start < now:
                state = "past"
            else:
                state = "free"
            cells.append((day, state))
        rows.append((t, cells))
    return days, rows
