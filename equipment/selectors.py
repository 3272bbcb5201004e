"""Read queries of the equipment app: who may see and manage what, browse, availability, schedules."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Membership, Organization, Role

from . import availability
from .models import (
    ACTIVE_STATUSES,
    Blackout,
    Booking,
    BookingStatus,
    InstrumentPage,
    OpeningHours,
    Qualification,
    TrainingRequest,
    WaitlistEntry,
)
from .rates import compute_hourly_rate, tier_rates

MANAGER_ROLES = [Role.FACILITY_MANAGER, Role.TTO_OFFICER]
# Who books for an organisation (the tier then follows the organisation, `rates.tier_for`): buyers for
# their enterprise; researchers and facility staff for the instrument's own institute (internal tier);
# researchers for another institute (academic tier).
ENTERPRISE_BOOKER_ROLES = [Role.BUYER]
INTERNAL_BOOKER_ROLES = [Role.RESEARCHER, Role.FACILITY_MANAGER]
ACADEMIC_BOOKER_ROLES = [Role.RESEARCHER]


# --- rights ------------------------------------------------------------------------------------------


def can_manage(user, institute) -> bool:
    """Platform staff, or a facility manager / TTO officer of the institute."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return account_selectors.has_role(user, institute, MANAGER_ROLES)


def managed_institutes(user):
    if not user.is_authenticated:
        return Organization.objects.none()
    if user.is_staff:
        return Organization.objects.filter(kind=Organization.Kind.INSTITUTE, is_active=True)
    return account_selectors.institutes_of(user, roles=MANAGER_ROLES)


def is_manager(user) -> bool:
    return user.is_authenticated and (user.is_staff or managed_institutes(user).exists())


def booking_organizations(user, instrument):
    """The organisations `user` may book `instrument` for, enterprises first, then by name: the
    enterprises they buy for, the instrument's own institute if they are a researcher or facility
    manager there, other institutes where they are a researcher. The booker chooses among them; the tier
    follows the organisation chosen, never a form field."""
    if user is None or not user.is_authenticated:
        return Organization.objects.none()
    memberships = Membership.objects.filter(user=user).filter(
        Q(organization__kind=Organization.Kind.ENTERPRISE, role__in=ENTERPRISE_BOOKER_ROLES)
        | Q(organization__kind=Organization.Kind.INSTITUTE, organization_id=instrument.institute_id,
            role__in=INTERNAL_BOOKER_ROLES)
        | (Q(organization__kind=Organization.Kind.INSTITUTE, role__in=ACADEMIC_BOOKER_ROLES)
           & ~Q(organization_id=instrument.institute_id))
    )  # fmt: skip
    return Organization.objects.filter(is_active=True, pk__in=memberships.values("organization_id")).order_by(
        "kind", "name", "pk"
    )


def may_book_for(user, organization, instrument) -> bool:
    return organization is not None and booking_organizations(user, instrument).filter(pk=organization.pk).exists()


def live_instruments():
    return InstrumentPage.objects.live().public().filter(institute__isnull=False)


def instrument_for_booking_or_404(pk):
    return live_instruments().select_related("institute", "category").filter(pk=pk).first() or _raise404()


def instrument_for_manager_or_404(user, pk):
    instrument = InstrumentPage.objects.select_related("institute").filter(pk=pk).first()
    if instrument is None or not can_manage(user, instrument.institute_id):
        raise Http404
    return instrument


def _raise404():
    raise Http404


def bookings_of_buyer(user):
    """Bookings of every enterprise the user buys for (never another enterprise's), and the user's own
    bookings as an institute user (internal charge)."""
    return (
        Booking.objects.filter(
            Q(enterprise__in=account_selectors.enterprises_of(user)) | Q(enterprise__isnull=True, user=user)
        )
        .select_related("instrument", "institute", "enterprise", "organization", "user")
        .order_by("-start")
    )


def booking_for_buyer_or_404(user, pk):
    booking = bookings_of_buyer(user).filter(pk=pk).first()
    if booking is None:
        raise Http404
    return booking


def booking_for_buyer_or_manager_or_404(user, pk):
    """A booking the user bought or manages."""
    booking = (bookings_of_buyer(user) | bookings_managed_by(user)).filter(pk=pk).first()
    if booking is None:
        raise Http404
    return booking


def bookings_managed_by(user):
    qs = Booking.objects.select_related("instrument", "institute", "enterprise", "organization", "user")
    if user.is_staff:
        return qs
    return qs.filter(institute__in=managed_institutes(user))


def booking_for_manager_or_404(user, pk):
    booking = bookings_managed_by(user).filter(pk=pk).first()
    if booking is None:
        raise Http404
    return booking


def approval_queue(user):
    return bookings_managed_by(user).filter(status=BookingStatus.REQUESTED).order_by("start")


def awaiting_confirmation(user):
    return bookings_managed_by(user).filter(status=BookingStatus.APPROVED).order_by("start")


def awaiting_usage(user, now=None):
    now = now or timezone.now()
    return bookings_managed_by(user).filter(status=BookingStatus.CONFIRMED, start__lte=now).order_by("start")


def schedule_for_day(user, day: date):
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return (
        bookings_managed_by(user)
        .filter(status__in=ACTIVE_STATUSES, start__lt=start + timedelta(days=1), end__gt=start)
        .order_by("start", "instrument__title")
    )


def internal_charges(institute, start: date, end: date):
    """Completed bookings of the institute's instruments by institute users (internal and academic
    tiers), whose usage was recorded from `start` to `end` (dates, end excluded): what the institute
    charges under their project codes, at the booking's frozen price."""
    return (
        Booking.objects.filter(
            institute=institute,
            status=BookingStatus.COMPLETED,
            enterprise__isnull=True,
            usage__recorded_at__date__gte=start,
            usage__recorded_at__date__lt=end,
        )
        .select_related("instrument", "organization", "user", "usage", "overrun")
        .order_by("usage__recorded_at", "pk")
    )


# --- availability in bulk ----------------------------------------------------------------------------


def availability_data(instrument_ids, start, end):
    """Opening hours, blackouts and busy intervals of many instruments in three queries."""
    hours, blackouts, busy = defaultdict(list), defaultdict(list), defaultdict(list)
    ids = list(instrument_ids)
    if not ids:
        return hours, blackouts, busy
    for period in OpeningHours.objects.filter(instrument_id__in=ids).order_by("weekday", "opens"):
        hours[period.instrument_id].append(period)
    for blackout in Blackout.objects.filter(instrument_id__in=ids, start__lt=end, end__gt=start):
        blackouts[blackout.instrument_id].append(blackout)
    for instrument_id, s, e in Booking.objects.filter(
        instrument_id__in=ids, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
    ).values_list("instrument_id", "start", "end"):
        busy[instrument_id].append((s, e))
    return hours, blackouts, busy


def attach_next_free_slots(instruments, now=None):
    """Set `.next_free_slot` on each instrument of a page of results; three queries in all."""
    now = now or timezone.now()
    instruments = list(instruments)
    if not instruments:
        return instruments
    horizon = max(i.horizon_days for i in instruments)
    hours, blackouts, busy = availability_data([i.pk for i in instruments], now, now + timedelta(days=horizon + 1))
    for instrument in instruments:
        instrument.next_free_slot = availability.next_free_slot(
            instrument,
            now=now,
            opening_hours=hours[instrument.pk],
            blackouts=blackouts[instrument.pk],
            busy=busy[instrument.pk],
        )
    return instruments


def free_on_date_filter(day: date):
    """Q for instruments with some opening time on `day` that is neither blacked out for the whole day
    nor fully occupied: a booking of the instrument's minimum length still fits between that day's
    bookings and blackouts. Only instruments with a booking or a blackout on that day are examined in
    Python (a day's worth of bookings); the rest is decided in SQL."""
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    end = start + timedelta(days=1)
    open_that_day = OpeningHours.objects.filter(weekday=day.weekday()).values("instrument_id")
    closed_all_day = Blackout.objects.filter(start__lte=start, end__gte=end).values("instrument_id")
    return Q(pk__in=open_that_day) & ~Q(pk__in=closed_all_day) & ~Q(pk__in=fully_occupied_on(day, start, end))


def fully_occupied_on(day, start, end):
    """Ids of the instruments whose bookings and blackouts leave no free slot on `day` ([start, end))."""
    occupied = set(
        Booking.objects.filter(status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start).values_list(
            "instrument_id", flat=True
        )
    ) | set(Blackout.objects.filter(start__lt=end, end__gt=start).values_list("instrument_id", flat=True))
    if not occupied:
        return []
    hours, blackouts, busy = availability_data(occupied, start, end)
    instruments = InstrumentPage.objects.filter(pk__in=occupied).only("pk", "min_booking_minutes", "slot_minutes")
    full = []
    for instrument in instruments:
        blocked = sorted([(b.start, b.end) for b in blackouts[instrument.pk]] + busy[instrument.pk])
        free = availability.first_free_on_day(
            instrument, day, earliest=start, latest=end, opening_hours=hours[instrument.pk], blocked=blocked
        )
        if free is None:
            full.append(instrument.pk)
    return sorted(full)


def qualified_until_for(user, instrument):
    """The last day of `user`'s unrevoked qualification on `instrument` (None: none)."""
    days = Qualification.objects.filter(instrument=instrument, user=user, revoked_at__isnull=True).values_list(
        "valid_until", flat=True
    )
    return max(days, default=None)


def availability_for(instrument, user, start, end, *, now=None, held=True, split_mine=False, qualification=True):
    """What `availability.booking_errors` needs for `user` booking `instrument` between `start` and
    `end` (aware): opening hours, blackouts, the busy (start, end) of active bookings, the user's
    qualification (`qualification=False`: not checked) and the slots offered to someone else on the
    waitlist (`held=False`: none; the service claims offers itself). `split_mine`: the user's own
    bookings apart, as `mine`, not in `busy`."""
    now = now or timezone.now()
    bookings = Booking.objects.filter(instrument=instrument, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start)
    busy, mine = [], []
    for user_id, s, e in bookings.values_list("user_id", "start", "end"):
        (mine if split_mine and user is not None and user_id == user.pk else busy).append((s, e))
    data = {
        "opening_hours": list(OpeningHours.objects.filter(instrument_id=instrument.pk)),
        "blackouts": list(Blackout.objects.filter(instrument_id=instrument.pk, start__lt=end, end__gt=start)),
        "busy": busy,
        "qualified_until": qualified_until_for(user, instrument) if qualification else availability.NOT_CHECKED,
        "held": [],
    }
    if held:
        offers = WaitlistEntry.objects.filter(
            instrument_id=instrument.pk,
            status=WaitlistEntry.Status.OFFERED,
            offer_expires_at__gt=now,
            start__lt=end,
            end__gt=start,
        )
        if user is not None:
            offers = offers.exclude(user_id=user.pk)
        data["held"] = list(offers.values_list("start", "end"))
    if split_mine:
        data["mine"] = mine
    return data


def _calendar_data(instrument, user, start, end, now):
    """availability_for as the calendar shows it to `user` (anyone): their own bookings apart, their
    qualification checked only when they may book at all."""
    organizations = list(booking_organizations(user, instrument)) if user is not None else []
    may_book = bool(organizations)
    data = availability_for(
        instrument,
        user if may_book else None,
        start,
        end,
        now=now,
        split_mine=may_book,
        qualification=may_book,
    )
    limit = settings.BOOKING_MAX_OPEN_REQUESTS_PER_INSTRUMENT
    if may_book and limit and all(_open_requests(instrument, org, user, now) >= limit for org in organizations):
        data["refusal"] = ngettext(
            "You already have %(n)d open request for this instrument: wait until it is confirmed, or cancel it.",
            "You already have %(n)d open requests for this instrument: wait until one is confirmed, or cancel one.",
            limit,
        ) % {"n": limit}
    return may_book, data


def _open_requests(instrument, organization, user, now):
    """As services.open_requests_count: requested or approved, not yet ended; an enterprise's all, an
    institute user's own."""
    mine = {"enterprise": organization} if organization.is_enterprise else {"organization": organization, "user": user}
    return Booking.objects.filter(
        instrument=instrument,
        status__in=(BookingStatus.REQUESTED, BookingStatus.APPROVED),
        end__gt=now,
        **mine,
    ).count()


def _midnight(day):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def week_calendar(instrument, week_start: date, now=None, user=None):
    """(days, rows, may_book) of the week calendar for `user`: rows of (time, [Cell]); a free cell is one
    where `user` may start a booking now (availability.booking_errors)."""
    now = now or timezone.now()
    start = _midnight(week_start)
    may_book, data = _calendar_data(instrument, user, start, start + timedelta(days=8), now)
    days, rows = availability.week_grid(instrument, week_start, now=now, **data)
    return days, [(t, [_week_cell(cell) for cell in cells]) for t, cells in rows], may_book


def month_calendar(instrument, month_start: date, now=None, user=None):
    """(weeks, may_book) of the month calendar: weeks (Monday first) of day dicts, each saying whether any
    booking may start that day for `user` now (`first`: the first such cell)."""
    now = now or timezone.now()
    grid_start = month_start - timedelta(days=month_start.weekday())
    next_month = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    grid_end = next_month + timedelta(days=(7 - next_month.weekday()) % 7)
    may_book, data = _calendar_data(instrument, user, _midnight(grid_start), _midnight(grid_end), now)
    weeks, day = [], grid_start
    while day < grid_end:
        week = []
        for _i in range(7):
            in_month = day.month == month_start.month
            first = availability.first_bookable_start(instrument, day, now=now, **data) if in_month else None
            opens = bool(availability.day_starts(day, data["opening_hours"], instrument.slot_minutes))
            week.append({"day": day, "in_month": in_month, "first": first, "open": opens,
                         "week": day - timedelta(days=day.weekday())})  # fmt: skip
            day += timedelta(days=1)
        weeks.append(week)
    return weeks, may_book


def valid_ends(instrument, user, day: date, start_time, now=None):
    """The end times (local) a booking by `user` starting at `start_time` on `day` may have now, shortest
    first (the booking form's end choices): every whole step from the minimum to the maximum length that
    availability.booking_errors accepts."""
    now = now or timezone.now()
    start = timezone.make_aware(datetime.combine(day, start_time))
    step = timedelta(minutes=instrument.slot_minutes)
    longest = start + timedelta(minutes=instrument.max_booking_minutes)
    data = availability_for(instrument, user, start, longest, now=now)
    ends, end = [], start + timedelta(minutes=availability.min_length(instrument))
    while end <= longest:
        if not availability.booking_errors(instrument, start, end, now=now, **data):
            ends.append(availability.local(end))
        end += step
    return ends


# What a cell of the week calendar shows, by its state.
SLOT_LABELS = {
    "free": gettext_lazy("free"),
    "busy": gettext_lazy("busy"),
    "mine": gettext_lazy("yours"),
    "unavailable": gettext_lazy("not bookable"),
    "blackout": gettext_lazy("closed"),
    "past": "–",
    "closed": "",
}


def _week_cell(cell):
    """A cell of the week calendar: its state (a CSS class), its label, why it is not bookable, and
    whether it links to booking (start and shortest end pre-filled)."""
    return {
        "day": cell.day,
        "start": availability.local(cell.start),
        "end": availability.local(cell.end) if cell.end else None,
        "state": cell.state,
        "label": SLOT_LABELS[cell.state],
        "reason": cell.reason,
        "bookable": cell.bookable,
    }


def _week_start(request):
    today = timezone.localdate()
    raw = request.GET.get("week", "") if request is not None else ""
    try:
        chosen = date.fromisoformat(raw) if raw else today
    except ValueError:
        chosen = today
    # Keep the calendar between this week and a year ahead.
    chosen = min(max(chosen, today), today + timedelta(days=366))
    return chosen - timedelta(days=chosen.weekday())


def _month_start(request):
    today = timezone.localdate()
    raw = request.GET.get("month", "") if request is not None else ""
    try:
        chosen = date.fromisoformat(raw + "-01") if raw else today
    except ValueError:
        chosen = today
    chosen = min(max(chosen, today.replace(day=1)), today + timedelta(days=366))
    return chosen.replace(day=1)


def _add_month(day, months):
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def instrument_page_context(instrument, request):
    user = getattr(request, "user", None)
    today = timezone.localdate()
    view = "month" if request is not None and request.GET.get("view") == "month" else "week"
    context = {"calendar_view": view}
    if view == "month":
        month_start = _month_start(request)
        weeks, may_book = month_calendar(instrument, month_start, user=user)
        context.update(
            {
                "month_start": month_start,
                "month_weeks": weeks,
                "previous_month": _add_month(month_start, -1) if month_start > today.replace(day=1) else None,
                "next_month": _add_month(month_start, 1),
                "week_start": month_start - timedelta(days=month_start.weekday()),
            }
        )
    else:
        week_start = _week_start(request)
        days, rows, may_book = week_calendar(instrument, week_start, user=user)
        this_week = today - timedelta(days=today.weekday())
        context.update(
            {
                "week_days": days,
                "week_rows": rows,
                "week_start": week_start,
                "month_start": week_start.replace(day=1) if week_start >= today.replace(day=1) else today,
                "previous_week": week_start - timedelta(days=7) if week_start > this_week else None,
                "next_week": week_start + timedelta(days=7),
            }
        )
    context.update(
        {
            "breakdown": compute_hourly_rate(instrument),
            "tier_rates": tier_rates(instrument),
            "opening_hours": list(instrument.opening_hours.all().order_by("weekday", "opens")),
            "upcoming_blackouts": list(instrument.blackouts.filter(end__gt=timezone.now())[:5]),
            "can_book": may_book,
            "can_manage": bool(user and can_manage(user, instrument.institute_id)),
            "can_request_training": bool(user and may_request_training(user, instrument)),
        }
    )
    return context


# --- training and waitlist ---------------------------------------------------------------------------


def may_request_training(user, instrument, on=None) -> bool:
    """A signed-in buyer without a valid qualification on a self-service instrument, with no open request."""
    if not (user.is_authenticated and instrument.needs_qualification):
        return False
    if not account_selectors.enterprises_of(user).exists():
        return False
    qualified = Qualification.objects.filter(
        instrument=instrument, user=user, revoked_at__isnull=True, valid_until__gte=on or timezone.localdate()
    )
    if qualified.exists():
        return False
    return not TrainingRequest.objects.filter(
        instrument=instrument, user=user, status__in=[TrainingRequest.Status.OPEN, TrainingRequest.Status.SCHEDULED]
    ).exists()


def training_requests_managed_by(user):
    """Open and scheduled training requests of the instruments the user manages, oldest first."""
    return (
        TrainingRequest.objects.filter(
            instrument__institute__in=managed_institutes(user),
            status__in=[TrainingRequest.Status.OPEN, TrainingRequest.Status.SCHEDULED],
        )
        .select_related("instrument", "user", "enterprise", "session")
        .order_by("created_at", "pk")
    )


def training_request_for_manager_or_404(user, pk):
    request = (
        TrainingRequest.objects.select_related("instrument", "user", "enterprise", "session").filter(pk=pk).first()
    )
    if request is None or not can_manage(user, request.instrument.institute_id):
        raise Http404
    return request


def training_requests_of(user):
    return TrainingRequest.objects.filter(user=user).select_related("instrument", "session").order_by("-created_at")


def waitlist_of(user):
    """The user's live waitlist entries (waiting or offered), soonest slot first."""
    return (
        WaitlistEntry.objects.filter(user=user, status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED])
        .select_related("instrument")
        .order_by("start", "pk")
    )


def slot_is_taken(instrument, start, end) -> bool:
    """Whether an active booking holds part of `start`–`end` (the booking form then offers the waitlist)."""
    return Booking.objects.filter(
        instrument=instrument, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
    ).exists()


# --- sections on shared pages (home page, institute page; registered in navigation.py) ------------------


def featured_instruments(limit=6):
    """A few recently published instruments for the home page."""
    return list(
        live_instruments().select_related("institute", "category", "main_photo").order_by("-first_published_at")[:limit]
    )


def instruments_of(organization, limit=12):
    """Live instruments of one institute, cheapest first (for its institute page)."""
    if organization is None:
        return []
    return list(
        live_instruments()
        .filter(institute=organization)
        .select_related("institute", "category", "main_photo")
        .order_by("enterprise_rate")[:limit]
    )
