"""Pure availability rules: opening hours, blackouts, granularity, lengths, notice, horizon, overlap.

These functions take already-loaded rows (opening periods, blackouts, busy intervals) so that both the
booking service (one instrument, under a lock) and the browse page (many instruments, loaded in bulk)
can use them without extra queries.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

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


# `booking_errors(..., qualified_until=NOT_CHECKED)`: the qualification is not looked at (someone who
# cannot book at all is shown when the instrument is free, not that they lack training).
NOT_CHECKED = object()


def booking_errors(
    instrument, start, end, *, now, opening_hours, blackouts, busy, qualified_until=NOT_CHECKED, held=()
):
    """THE check of a booking `start`–`end`, used by the booking service and by the calendar: every reason
    it is refused, as clear messages (empty when it may be booked).

    `opening_hours` are OpeningHours rows, `blackouts` rows with start/end, `busy` (start, end) pairs of
    other active bookings, `held` (start, end) pairs offered to someone else on the waitlist;
    `qualified_until` the last day of the booker's qualification (None: none), checked on self-service
    instruments.
    """
    if start is None or end is None:
        return [_("Give a start and an end.")]
    if end <= start:
        return [_("The end must be after the start.")]
    errors = []
    if start < now:
        errors.append(_("That time is in the past."))
    elif start < now + timedelta(hours=instrument.min_notice_hours):
        errors.append(notice_message(instrument))
    if start > now + timedelta(days=instrument.horizon_days):
        errors.append(horizon_message(instrument))
    minutes = (end - start).total_seconds() / 60
    if minutes < instrument.min_booking_minutes:
        errors.append(_("The shortest booking is %(n)d minutes.") % {"n": instrument.min_booking_minutes})
    if minutes > instrument.max_booking_minutes:
        errors.append(_("The longest booking is %(n)d minutes.") % {"n": instrument.max_booking_minutes})
    ls, le = local(start), local(end)
    slot = instrument.slot_minutes
    if not within_opening_hours(ls, le, opening_hours):
        errors.append(_("That time is outside the opening hours."))
    elif not on_slot_grid(ls, le, slot, opening_hours):
        errors.append(
            _("Bookings start on %(n)d-minute steps counted from the opening time and last whole steps.") % {"n": slot}
        )
    if any(overlaps(start, end, b.start, b.end) for b in blackouts):
        errors.append(_("The instrument is unavailable then (maintenance or holiday)."))
    if any(overlaps(start, end, s, e) for s, e in busy):
        errors.append(slot_taken_message())
    if any(overlaps(start, end, s, e) for s, e in held):
        errors.append(_("This slot is offered to someone on the waitlist."))
    if (
        qualified_until is not NOT_CHECKED
        and instrument.needs_qualification
        and not (qualified_until and qualified_until >= ls.date())
    ):
        errors.append(qualification_message())
    return errors


def notice_message(instrument):
    return ngettext(
        "Bookings need at least %(n)d hour of notice.",
        "Bookings need at least %(n)d hours of notice.",
        instrument.min_notice_hours,
    ) % {"n": instrument.min_notice_hours}


def horizon_message(instrument):
    return ngettext(
        "Bookings open at most %(n)d day ahead.",
        "Bookings open at most %(n)d days ahead.",
        instrument.horizon_days,
    ) % {"n": instrument.horizon_days}


def qualification_message():
    return _("Self-service use needs a valid qualification on this instrument. Ask the facility for training.")


def on_slot_grid(local_start, local_end, slot, opening_hours):
    """Whether `local_start` lies on the slot grid of an opening period that holds the whole booking (the
    steps count from the period's opening time: opening 08:30 with 60-minute steps gives 08:30, 09:30…)
    and the booking lasts whole steps."""
    if local_start.second or local_start.microsecond or local_end.second or local_end.microsecond:
        return False
    if ((local_end - local_start).total_seconds() / 60) % slot:
        return False
    return any(
        (_minute_of_day(local_start) - _minute_of_day(period.opens)) % slot == 0
        for period in _periods_holding(local_start, local_end, opening_hours)
    )


def _periods_holding(local_start, local_end, opening_hours):
    if local_start.date() != local_end.date():
        return []
    weekday, s, e = local_start.weekday(), local_start.time(), local_end.time()
    return [p for p in opening_hours if p.weekday == weekday and p.opens <= s and e <= p.closes]


def min_length(instrument):
    """The shortest bookable length in minutes: the minimum rounded up to whole steps."""
    step = instrument.slot_minutes
    return math.ceil(instrument.min_booking_minutes / step) * step


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
        or not within_opening_hours(ls, le, opening_hours)
        or not on_slot_grid(ls, le, instrument.slot_minutes, opening_hours)
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
    return bool(_periods_holding(local_start, local_end, opening_hours))


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
    length = timedelta(minutes=min_length(instrument))
    if length > timedelta(minutes=instrument.max_booking_minutes):
        return None
    step = instrument.slot_minutes
    periods = sorted((p for p in opening_hours if p.weekday == day.weekday()), key=lambda p: p.opens)
    for period in periods:
        open_at, close_at = _aware(day, period.opens), _aware(day, period.closes)
        candidate = open_at
        if candidate < earliest:
            minutes = math.ceil((earliest - open_at).total_seconds() / 60 / step) * step
            candidate = open_at + timedelta(minutes=minutes)
        while candidate + length <= close_at and candidate <= latest:
            clash = next((e for s, e in blocked if overlaps(candidate, candidate + length, s, e)), None)
            if clash is None:
                return candidate
            # Jump past the clash, back onto the grid.
            minutes = math.ceil((clash - open_at).total_seconds() / 60 / step) * step
            candidate = max(candidate + timedelta(minutes=step), open_at + timedelta(minutes=minutes))
    return None


@dataclass
class Cell:
    """A cell of the calendar: a start on the slot grid of its day (or a closed time), its state, why it
    cannot be booked (`reason`), and the end of the shortest booking from there (`end`)."""

    day: date
    start: datetime
    state: str
    reason: str = ""
    end: datetime | None = None

    @property
    def bookable(self):
        return self.state == "free"


def day_starts(day, opening_hours, step):
    """The local start times (minutes of the day) of the slot grid on `day`: every `step` minutes from
    each opening time, as long as one step fits before closing."""
    minutes = set()
    for period in opening_hours:
        if period.weekday != day.weekday():
            continue
        opens, closes = _minute_of_day(period.opens), _minute_of_day(period.closes)
        minutes.update(range(opens, closes - step + 1, step))
    return minutes


def cell_for(instrument, day, minute, *, now, opening_hours, blackouts, busy, mine=(), qualified_until=NOT_CHECKED,
             held=(), refusal=""):  # fmt: skip
    """The state of the grid cell starting at `minute` of `day` (on the day's slot grid) for one user:
    past, blackout, mine (the user's own booking), busy, unavailable (booking_errors for the shortest
    booking from there is not empty: `reason` says why) or free (a booking may start there now)."""
    start = _aware(day, time(minute // 60, minute % 60))
    step_end = start + timedelta(minutes=instrument.slot_minutes)
    end = start + timedelta(minutes=min_length(instrument))
    if start < now:
        return Cell(day, start, "past", _("That time is in the past."))
    if any(overlaps(start, step_end, b.start, b.end) for b in blackouts):
        return Cell(day, start, "blackout", _("The instrument is unavailable then (maintenance or holiday)."))
    if any(overlaps(start, step_end, s, e) for s, e in mine):
        return Cell(day, start, "mine", _("Your booking."))
    if any(overlaps(start, step_end, s, e) for s, e in busy):
        return Cell(day, start, "busy", slot_taken_message(), end)
    errors = booking_errors(
        instrument, start, end, now=now, opening_hours=opening_hours, blackouts=blackouts,
        busy=list(busy) + list(mine), qualified_until=qualified_until, held=held,
    )  # fmt: skip
    if instrument.max_booking_minutes < min_length(instrument):
        errors.append(_("No booking length fits the slot steps."))
    if refusal:  # a reason that holds whenever the user books (too many open requests)
        errors.append(refusal)
    if errors:
        return Cell(day, start, "unavailable", " ".join(str(e) for e in errors), end)
    return Cell(day, start, "free", "", end)


def week_grid(instrument, week_start, *, now, opening_hours, blackouts, busy, mine=(), qualified_until=NOT_CHECKED,
              held=(), refusal=""):  # fmt: skip
    """(days, rows) of a week: rows of (time, [Cell per day]), one row for every start on the slot grid
    of some day of the week (steps counted from each opening time), "closed" where that day has no such
    start. Never says who booked; `mine` are the (start, end) of the viewer's own bookings."""
    days = [week_start + timedelta(days=i) for i in range(7)]
    step = instrument.slot_minutes
    starts = {day: day_starts(day, opening_hours, step) for day in days}
    rows = []
    for minute in sorted(set().union(*starts.values())):
        t = time(minute // 60, minute % 60)
        cells = []
        for day in days:
            if minute not in starts[day]:
                cells.append(Cell(day, _aware(day, t), "closed", _("Closed")))
                continue
            cells.append(
                cell_for(
                    instrument,
                    day,
                    minute,
                    now=now,
                    opening_hours=opening_hours,
                    blackouts=blackouts,
                    busy=busy,
                    mine=mine,
                    qualified_until=qualified_until,
                    held=held,
                    refusal=refusal,
                )  # fmt: skip
            )
        rows.append((t, cells))
    return days, rows


def first_bookable_start(instrument, day, **data):
    """The first free cell of `day` (a Cell), or None: whether any booking may start that day."""
    for minute in sorted(day_starts(day, data["opening_hours"], instrument.slot_minutes)):
        cell = cell_for(instrument, day, minute, **data)
        if cell.bookable:
            return cell
    return None
