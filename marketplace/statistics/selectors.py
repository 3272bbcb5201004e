"""The figures of the transfer statistics, each computed by aggregate queries in the database.

Every figure takes a `scope` (a list of institute ids, or None for the whole platform) and a
`Period` (half-open [start, end) in the site time zone). Figures come from the ledger
(`TransferEvent`), the daily listing view counter and the instruments' cost model; never typed in.

Rules:
- Instrument figures count completed bookings only: cancelled, rejected and no-show bookings never
  reach the ledger as completed. Booked hours are the completed bookings' hours, used hours the
  recorded actual hours.
- Instrument income is the price of completed bookings, less refunds of payments for those bookings.
  Net receipts are payments received less payments refunded, in the period each happened.
- Available hours are each instrument's planned bookable hours per year, pro-rated day by day to the
  part of the period after the instrument's first publication. Utilisation = booked / available.
- Cost is the period's share of the annual fixed cost (depreciation + maintenance contract + staff
  share), pro-rated like available hours, plus consumables and utilities (and operator time for
  operator-assisted or sample service) per booked hour. Income above cost is a surplus, which the
  non-profit principle asks to flag.
- Enterprises served are distinct enterprises with a completed booking or a signed agreement.
"""

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import NotSupportedError, connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Collate, Round, TruncDate, TruncMonth
from django.db.models.lookups import LessThan, LessThanOrEqual
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import Organization, Role
from marketplace.core.money import quantize

from . import figures_cache, registry
from .models import ListingView, TransferEvent
from .periods import days_in_year

K = TransferEvent.Kind
M = TransferEvent.DealMode
ZERO = Decimal("0")
MONEY = DecimalField(max_digits=16, decimal_places=2)
HOURS = DecimalField(max_digits=12, decimal_places=2)
LICENCE_MODES = (M.EXCLUSIVE, M.SOLE, M.NON_EXCLUSIVE)

# Rows of the annual transfer report: (key, label, deal modes).
REPORT_ROWS = [
    ("assignment", _("Assignment (转让)"), (M.ASSIGNMENT,)),
    ("licence", _("Licence (许可)"), LICENCE_MODES),
    ("exclusive", _("— exclusive (独占)"), (M.EXCLUSIVE,)),
    ("sole", _("— sole (排他)"), (M.SOLE,)),
    ("non_exclusive", _("— non-exclusive (普通)"), (M.NON_EXCLUSIVE,)),
    ("equity", _("Equity investment (作价投资)"), (M.EQUITY,)),
    ("other", _("Other (其他)"), None),
]
KNOWN_MODES = (M.ASSIGNMENT, *LICENCE_MODES, M.EQUITY)


# --- who sees what -------------------------------------------------------------------------------


def dashboard_institutes(user):
    """Institutes whose figures the user may see: every institute for platform staff, the user's own
    institutes where they are a TTO officer otherwise."""
    qs = Organization.objects.filter(kind=Organization.Kind.INSTITUTE, is_active=True)
    if not user.is_authenticated:
        return qs.none()
    if user.is_staff:
        return qs.order_by("name")
    return qs.filter(memberships__user=user, memberships__role=Role.TTO_OFFICER).distinct().order_by("name")


def can_view_dashboard(user) -> bool:
    return user.is_authenticated and (user.is_staff or dashboard_institutes(user).exists())


def resolve_scope(user, institute_param):
    """(scope, institute) for the requested institute id or "all"; 404 for anything not visible.

    Staff default to the whole platform (scope None); a TTO officer defaults to their first institute.
    """
    visible = dashboard_institutes(user)
    if institute_param in (None, ""):
        if user.is_staff:
            return None, None
        institute = visible.first()
        if institute is None:
            raise Http404
        return [institute.pk], institute
    if institute_param == "all":
        if not user.is_staff:
            raise Http404
        return None, None
    try:
        institute = visible.get(pk=int(institute_param))
    except (ValueError, TypeError, Organization.DoesNotExist):
        raise Http404 from None
    return [institute.pk], institute


# --- building blocks ---------------------------------------------------------------------------


def events(scope, period, *kinds):
    qs = TransferEvent.objects.filter(occurred_at__gte=period.start, occurred_at__lt=period.end)
    if scope is not None:
        qs = qs.filter(institute_id__in=scope)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs


def _money_sum(expr, q):
    return Coalesce(Sum(expr, filter=q), ZERO, output_field=MONEY)


def _hours_sum(q):
    return Coalesce(Sum("hours", filter=q), ZERO, output_field=HOURS)


def _completed():
    return TransferEvent.objects.filter(kind=K.BOOKING_COMPLETED, subject=OuterRef("subject"))


def _refunded():
    return TransferEvent.objects.filter(kind=K.PAYMENT_REFUNDED, subject=OuterRef("subject"))


def booking_refunds(scope, period):
    """Refunds in the period of payments for bookings that were completed (a cancelled booking's
    refund does not subtract: its income never counted). Refunds are few; each is matched by index."""
    return (
        events(scope, period, K.PAYMENT_REFUNDED)
        .filter(subject__startswith=registry.instruments().subject_prefix)
        .filter(Exists(_completed()))
    )


def _is_deal_payment():
    """A payment (or refund) for a transfer deal (a licence agreement), as the domain registered them."""
    return registry.deal_subjects_q()


def _ratio(part, whole):
    return (Decimal(part) / Decimal(whole)) if whole else None


# --- the figures ---------------------------------------------------------------------------------


def ledger_totals(scope, period) -> dict:
    """Every ledger figure of the period, in one conditional aggregate query."""
    qs = events(scope, period)
    deal_payment = _is_deal_payment()
    totals = qs.aggregate(
        listings_published=Count("pk", filter=Q(kind=K.LISTING_PUBLISHED)),
        inquiries=Count("pk", filter=Q(kind=K.INQUIRY_OPENED)),
        agreements=Count("pk", filter=Q(kind=K.AGREEMENT_SIGNED)),
        contract_value=_money_sum("amount", Q(kind=K.AGREEMENT_SIGNED)),
        licences_executed=Count("pk", filter=Q(kind=K.AGREEMENT_SIGNED, deal_mode__in=(*LICENCE_MODES, M.OPTION))),
        payments=Count("pk", filter=Q(kind=K.PAYMENT_RECEIVED)),
        received=_money_sum("amount", Q(kind=K.PAYMENT_RECEIVED)),
        refunded=_money_sum("amount", Q(kind=K.PAYMENT_REFUNDED)),
        licence_received=_money_sum("amount", Q(kind=K.PAYMENT_RECEIVED) & deal_payment),
        licence_refunded=_money_sum("amount", Q(kind=K.PAYMENT_REFUNDED) & deal_payment),
        impact_reports=Count("pk", filter=Q(kind=K.IMPACT_REPORTED)),
        jobs=Coalesce(Sum("jobs", filter=Q(kind=K.IMPACT_REPORTED)), 0),
        impact_revenue=_money_sum("amount", Q(kind=K.IMPACT_REPORTED)),
        startups=Count("pk", filter=Q(kind=K.IMPACT_REPORTED, startup_formed=True)),
        bookings=Count("pk", filter=Q(kind=K.BOOKING_COMPLETED)),
        booked_hours=_hours_sum(Q(kind=K.BOOKING_COMPLETED)),
        used_hours=_hours_sum(Q(kind=K.USAGE_RECORDED)),
        booking_income=_money_sum("amount", Q(kind=K.BOOKING_COMPLETED)),
    )
    totals["booking_refunds"] = booking_refunds(scope, period).aggregate(
        total=Coalesce(Sum("amount"), ZERO, output_field=MONEY)
    )["total"]
    # A paid agreement whose payment was refunded is not a paid agreement.
    totals["agreement_payments"] = (
        events(scope, period, K.PAYMENT_RECEIVED).filter(deal_payment).exclude(Exists(_refunded())).count()
    )
    totals["net_receipts"] = totals["received"] - totals["refunded"]
    totals["licence_income"] = totals["licence_received"] - totals["licence_refunded"]
    totals["instrument_income"] = totals["booking_income"] - totals["booking_refunds"]
    return totals


def listing_views(scope, period) -> int:
    qs = ListingView.objects.filter(date__gte=period.first_day, date__lt=period.end_day)
    if scope is not None:
        qs = qs.filter(institute_id__in=scope)
    return qs.aggregate(total=Coalesce(Sum("count"), 0))["total"]


def funnel(scope, period, totals=None) -> list[dict]:
    """Listing views → inquiries → agreements → paid agreements → impact reports, with the
    conversion from each stage to the next."""
    totals = totals or ledger_totals(scope, period)
    stages = [
        ("views", _("Listing views"), listing_views(scope, period)),
        ("inquiries", _("Inquiries"), totals["inquiries"]),
        ("agreements", _("Agreements signed"), totals["agreements"]),
        ("payments", _("Agreements paid"), totals["agreement_payments"]),
        ("impact", _("Impact reports"), totals["impact_reports"]),
    ]
    rows, previous = [], None
    for key, label, value in stages:
        rows.append({"key": key, "label": label, "value": value, "rate": _ratio(value, previous) if previous else None})
        previous = value
    return rows


def deals_by_mode(scope, period) -> list[dict]:
    """Count and contract value of signed agreements per row of the annual transfer report."""
    by_mode = {
        row["deal_mode"]: row
        for row in events(scope, period, K.AGREEMENT_SIGNED)
        .values("deal_mode")
        .annotate(count=Count("pk"), value=Coalesce(Sum("amount"), ZERO, output_field=MONEY))
        .order_by()
    }
    rows = []
    for key, label, modes in REPORT_ROWS:
        if modes is None:
            picked = [row for mode, row in by_mode.items() if mode not in KNOWN_MODES]
        else:
            picked = [by_mode[mode] for mode in modes if mode in by_mode]
        rows.append(
            {
                "key": key,
                "label": label,
                "count": sum(r["count"] for r in picked),
                "value": quantize(sum((r["value"] for r in picked), ZERO)),
                "indent": key in ("exclusive", "sole", "non_exclusive"),
            }
        )
    return rows


def deals_total(rows) -> dict:
    top = [r for r in rows if not r["indent"]]
    return {"count": sum(r["count"] for r in top), "value": quantize(sum((r["value"] for r in top), ZERO))}


def enterprises_served(scope, period) -> list[dict]:
    """Distinct enterprises with a completed booking or a signed agreement, by size class."""
    served = (
        events(scope, period, K.BOOKING_COMPLETED, K.AGREEMENT_SIGNED)
        .filter(enterprise_id__isnull=False)
        .values("enterprise_id")
    )
    counts = dict(
        Organization.objects.filter(pk__in=served).values_list("size_class").annotate(n=Count("pk")).order_by()
    )
    return [
        {"key": value, "label": label, "count": counts.get(value, 0)} for value, label in Organization.SizeClass.choices
    ]


def monthly_trends(scope, period) -> list[dict]:
    """One row per month of the period (local months): agreements, contract value, hours, instrument
    income, jobs; one grouped query."""
    kinds = (K.AGREEMENT_SIGNED, K.USAGE_RECORDED, K.BOOKING_COMPLETED, K.IMPACT_REPORTED)
    rows = {
        _as_date(row["month"]): row
        for row in events(scope, period, *kinds)
        .annotate(month=TruncMonth("occurred_at", tzinfo=timezone.get_default_timezone()))
        .values("month")
        .annotate(
            agreements=Count("pk", filter=Q(kind=K.AGREEMENT_SIGNED)),
            contract_value=_money_sum("amount", Q(kind=K.AGREEMENT_SIGNED)),
            used_hours=_hours_sum(Q(kind=K.USAGE_RECORDED)),
            booking_income=_money_sum("amount", Q(kind=K.BOOKING_COMPLETED)),
            jobs=Coalesce(Sum("jobs", filter=Q(kind=K.IMPACT_REPORTED)), 0),
        )
        .order_by("month")
    }
    empty = {"agreements": 0, "contract_value": ZERO, "used_hours": ZERO, "booking_income": ZERO, "jobs": 0}
    return [{"month": month, **{k: rows.get(month, empty)[k] for k in empty}} for month in period.months()]


def _as_date(value):
    if hasattr(value, "astimezone"):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


# --- instruments: usage, utilisation, income and cost ----------------------------------------------
#
# One grouped query gives every instrument of the scope its figures: the instrument pages joined to
# their completed bookings and usage in the period, available hours and cost computed in SQL. The
# dashboard reads the busiest rows and the totals of all rows in one go (`busiest_instruments`); only
# the export reads every row (`instrument_usage`).
#
# Each instrument's available hours and cost are rounded once, as the rules say, inside the query and in
# whole numbers (hundredths of an hour, fen), so that PostgreSQL (numeric) and SQLite (floating point)
# agree to the cent and the totals are exact sums of the rows:
#   available = planned hours per year × year fraction, to the nearest 0.01 h;
#   cost = annual fixed cost × year fraction + variable rate × booked hours, half up to the fen;
# the year fraction being `Period.year_fraction` from the local day of first publication (`YearWeights`).


@dataclass
class InstrumentFigures:
    pk: int
    title: str
    bookings: int = 0
    booked_hours: Decimal = ZERO
    used_hours: Decimal = ZERO
    income: Decimal = ZERO
    available_hours: Decimal = ZERO
    cost: Decimal = ZERO
    extra: dict = field(default_factory=dict)

    @property
    def utilisation(self):
        return _ratio(self.booked_hours, self.available_hours)

    @property
    def surplus(self):
        return self.income - self.cost


EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


class DayNumber(Func):
    """Days from 1970-01-01 to a date expression, an integer (`day_number` in SQL; PostgreSQL, SQLite)."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, template=None, **extra):
        if template is None:
            raise NotSupportedError("DayNumber is written for PostgreSQL and SQLite.")
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


@dataclass(frozen=True)
class YearWeights:
    """`Period.year_fraction(since=day)` as a ratio of whole numbers, `weight(day) / unit`.

    A day of a 365-day year weighs `unit / 365`, a day of a leap year `unit / 366` (`unit` is 365, 366
    or 365 × 366, whichever makes both whole); the weight of a day is the sum over the period's days
    from that day on. The period is cut into segments where the weight of one day changes."""

    unit: int
    segments: tuple  # (first day number, end day number (excluded), weight of each day), in order

    @classmethod
    def of(cls, period) -> "YearWeights":
        years, day = [], period.first_day
        while day < period.end_day:
            upto = min(period.end_day, dt.date(day.year + 1, 1, 1))
            years.append((day_number(day), day_number(upto), days_in_year(day.year)))
            day = upto
        unit = math.lcm(*{length for _first, _end, length in years})
        segments = []
        for first, end, length in years:
            if segments and segments[-1][2] == unit // length:
                segments[-1] = (segments[-1][0], end, unit // length)
            else:
                segments.append((first, end, unit // length))
        return cls(unit, tuple(segments))

    def weight(self, day: dt.date) -> int:
        n = day_number(day)
        return sum(w * max(0, end - max(first, n)) for first, end, w in self.segments)

    def weight_expression(self, day):
        """`weight` of a day-number expression, as one flat SQL CASE: a day n of segment (first, end, w)
        weighs w × (end − n) plus the whole weight of the segments after it."""
        after = [sum(w * (end - first) for first, end, w in self.segments[i + 1 :]) for i in range(len(self.segments))]
        first, end, w = self.segments[0]
        return Case(
            When(LessThanOrEqual(day, Value(first)), then=Value(w * (end - first) + after[0])),
            *[
                When(LessThan(day, Value(end)), then=Value(w * end + rest) - Value(w) * day)
                for (_first, end, w), rest in zip(self.segments, after, strict=True)
            ],
            default=Value(0),
        )


def _hundredths(expression):
    """A decimal expression (hours, money) as a whole number of hundredths."""
    return Cast(Round(ExpressionWrapper(expression * Value(100), output_field=MONEY)), BigIntegerField())


def _from_hundredths(value) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


def _whole(expression):
    return Cast(expression, BigIntegerField())


def _display_title(english):
    """The title the person reads: the English one in English where there is one."""
    return Case(When(~Q(title_en=""), then=F("title_en")), default=F("title")) if english else F("title")


def _by_code_point(expression):
    """Text ordered by code point as Python orders strings (SQLite does; PostgreSQL needs "C")."""
    return Collate(expression, "C") if connection.vendor == "postgresql" else expression


def instrument_rows(scope, period):
    """Instruments of the scope published before the period's end or with completed bookings or usage
    in it, one row each (a `values()` queryset to order, slice or aggregate): `pk`, `sort_title` (the
    title in the active language), `sort_path`, `completed_bookings`, `booked_hours`, `used_hours`,
    `income` (before refunds) and, in hundredths (of an hour, a yuan), `available_c`, `cost_c`,
    `booked_c`, `used_c`, `income_c`."""
    in_period = Q(
        transfer_events__kind__in=(K.BOOKING_COMPLETED, K.USAGE_RECORDED),
        transfer_events__occurred_at__gte=period.start,
        transfer_events__occurred_at__lt=period.end,
    )
    if scope is not None:
        in_period &= Q(transfer_events__institute_id__in=scope)
    instruments = registry.instruments().model.objects.annotate(
        usage=FilteredRelation("transfer_events", condition=in_period)
    )
    if scope is not None:
        instruments = instruments.filter(institute_id__in=scope)

    # Grouped by the instrument alone; its own columns are read through Min() (the same value on each
    # of its joined ledger rows), so that the database groups by nothing else.
    completed = Q(usage__kind=K.BOOKING_COMPLETED)
    local_day = DayNumber(TruncDate("first_published_at", tzinfo=timezone.get_default_timezone()))
    rows = (
        instruments.values("pk")
        .annotate(
            usage_events=Count("usage"),
            completed_bookings=Count("usage", filter=completed),
            booked_hours=Coalesce(Sum("usage__hours", filter=completed), ZERO, output_field=HOURS),
            used_hours=Coalesce(Sum("usage__hours", filter=Q(usage__kind=K.USAGE_RECORDED)), ZERO, output_field=HOURS),
            income=Coalesce(Sum("usage__amount", filter=completed), ZERO, output_field=MONEY),
            published=Min("first_published_at"),
            published_day=Min(local_day),
        )
        .filter(Q(usage_events__gt=0) | Q(published__lt=period.end))
    )

    # The year fraction is weight / unit.
    weights = YearWeights.of(period)
    unit = weights.unit
    weight = Case(
        When(published_day__isnull=True, then=Value(0)), default=weights.weight_expression(F("published_day"))
    )
    # Available: planned × weight / unit to the nearest hundredth; never half-way (unit is odd or twice an
    # odd number, planned × weight × 200 a multiple of 4).
    available_c = (_whole(Min("planned_hours_per_year")) * weight * 200 + unit) / (2 * unit)
    # Cost in fen: fixed × weight / (life × unit) + variable rate × booked hours, half up, where fixed =
    # purchase + (maintenance + staff) × life is the annual fixed cost times the life, in fen. Whole parts
    # and remainders are kept apart, so that no product outgrows 64 bits.
    life = _whole(F("service_life_years"))
    fixed = Min(
        _hundredths(F("purchase_price")) + _hundredths(F("annual_maintenance") + F("annual_staff_share")) * life
    )
    share, denominator = fixed * weight, Min(life) * unit
    share_fen = share / denominator
    share_rest = share - share_fen * denominator  # in 1/denominator fen
    variable_rate = registry.instruments().variable_rate()
    variable = Min(_hundredths(variable_rate)) * _hundredths(F("booked_hours"))  # in 1/100 fen
    variable_fen = variable / 100
    variable_rest = variable - variable_fen * 100  # in 1/100 fen
    half_up = (share_rest * 100 + variable_rest * denominator + denominator * 50) / (denominator * 100)
    return rows.annotate(
        sort_title=_by_code_point(Min(_display_title(_english()))),
        sort_path=Min("path"),
        available_c=available_c,
        cost_c=share_fen + variable_fen + half_up,
        booked_c=_hundredths(F("booked_hours")),
        used_c=_hundredths(F("used_hours")),
        income_c=_hundredths(F("income")),
    )


BUSIEST_FIRST = ("-booked_hours", "-used_hours", "sort_title", "sort_path")
ROW_FIELDS = ("pk", "sort_title", "completed_bookings", "booked_hours", "used_hours", "income", "available_c", "cost_c")
TOTALLED = ("completed_bookings", "booked_c", "used_c", "available_c", "income_c", "cost_c")


def _instrument_refunds(scope, period) -> dict:
    """Refunds in the period of completed bookings, per instrument (few rows)."""
    return dict(
        booking_refunds(scope, period)
        .filter(listing_id__isnull=False)
        .values_list("listing_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )


def _figures(row, refunds) -> InstrumentFigures:
    return InstrumentFigures(
        pk=row["pk"],
        title=row["sort_title"],
        bookings=row["completed_bookings"],
        booked_hours=row["booked_hours"],
        used_hours=row["used_hours"],
        income=row["income"] - refunds.get(row["pk"], ZERO),
        available_hours=_from_hundredths(row["available_c"]),
        cost=_from_hundredths(row["cost_c"]),
    )


def instrument_usage(scope, period, *, limit=None) -> list[InstrumentFigures]:
    """Per instrument: completed bookings, booked and used hours, income, available hours,
    utilisation and cost. Instruments of the scope published before the period's end are listed,
    busiest first (booked hours, then used hours, then title); with `limit`, only that many."""
    rows = instrument_rows(scope, period).order_by(*BUSIEST_FIRST).values(*ROW_FIELDS)
    if limit:
        rows = rows[:limit]
    refunds = _instrument_refunds(scope, period)
    return [_figures(row, refunds) for row in rows]


class OverAll(Func):
    """An aggregate of all the rows of a query on each of its rows, before any LIMIT: `SUM(x) OVER ()`."""

    template = "%(function)s(%(expressions)s) OVER ()"
    contains_over_clause = True

    def get_group_by_cols(self):
        return []  # computed over the grouped rows


def busiest_instruments(scope, period, *, limit) -> tuple[list[InstrumentFigures], dict]:
    """`instrument_usage(scope, period, limit=limit)` and the totals of all instruments (those
    `instrument_totals(instrument_usage(scope, period))` gives), in one query: the totals are sums over
    every row, returned with each of the first rows."""
    totals = {f"all_{name}": OverAll(F(name), function="SUM", output_field=BigIntegerField()) for name in TOTALLED}
    totals["all_instruments"] = OverAll(F("pk"), function="COUNT", output_field=BigIntegerField())
    rows = list(
        instrument_rows(scope, period).annotate(**totals).order_by(*BUSIEST_FIRST).values(*ROW_FIELDS, *totals)[:limit]
    )
    refunds = _instrument_refunds(scope, period)
    if not rows:
        return [], _totals(0, 0, ZERO, ZERO, ZERO, ZERO, ZERO)
    # Refunds subtract from the income of listed instruments only: look up the few refunded ones.
    listed = instrument_rows(scope, period).filter(pk__in=list(refunds)).values_list("pk", flat=True)
    sums = rows[0]
    return [_figures(row, refunds) for row in rows], _totals(
        sums["all_instruments"],
        sums["all_completed_bookings"],
        _from_hundredths(sums["all_booked_c"]),
        _from_hundredths(sums["all_used_c"]),
        _from_hundredths(sums["all_available_c"]),
        _from_hundredths(sums["all_income_c"]) - sum((refunds[pk] for pk in listed), ZERO),
        _from_hundredths(sums["all_cost_c"]),
    )


def _totals(instruments, bookings, booked, used, available, income, cost) -> dict:
    return {
        "instruments": instruments,
        "bookings": bookings,
        "booked_hours": booked,
        "used_hours": used,
        "available_hours": available,
        "utilisation": _ratio(booked, available),
        "income": quantize(income),
        "cost": quantize(cost),
        "surplus": quantize(income - cost),
        "has_surplus": income - cost > 0,
    }


def instrument_totals(rows) -> dict:
    """Totals of a list of `InstrumentFigures` (the export's total line)."""
    return _totals(
        len(rows),
        sum(r.bookings for r in rows),
        sum((r.booked_hours for r in rows), ZERO),
        sum((r.used_hours for r in rows), ZERO),
        sum((r.available_hours for r in rows), ZERO),
        sum((r.income for r in rows), ZERO),
        sum((r.cost for r in rows), ZERO),
    )


def _english():
    from django.utils.translation import get_language

    return (get_language() or "").startswith("en")


# --- everything one dashboard shows -----------------------------------------------------------------


# The dashboard lists this many instruments, busiest first (the totals cover all; the export lists all).
DASHBOARD_INSTRUMENTS = 50


def dashboard(scope, period, *, cached=True) -> dict:
    """Everything one dashboard shows, cached (`figures_cache`; `cached=False` computes it afresh)
    except the funnel's listing views: a counter updated in place on every page view, so read anew
    each time (one indexed sum)."""
    compute = functools.partial(_dashboard_figures, scope, period)
    figures = figures_cache.cached("dashboard", scope, period, compute) if cached else compute()
    return {**figures, "funnel": funnel(scope, period, figures["totals"])}


def _dashboard_figures(scope, period) -> dict:
    totals = ledger_totals(scope, period)
    deals = deals_by_mode(scope, period)
    served = enterprises_served(scope, period)
    instruments, instrument_totals = busiest_instruments(scope, period, limit=DASHBOARD_INSTRUMENTS)
    return {
        "totals": totals,
        "deals": deals,
        "deals_total": deals_total(deals),
        "instruments": instruments,
        "instrument_totals": instrument_totals,
        "enterprises": served,
        "enterprises_total": sum(r["count"] for r in served),
        "trends": monthly_trends(scope, period),
    }


def public_figures(period, *, cached=True) -> dict:
    """Platform-wide aggregates only: no institute, enterprise or instrument names. Cached like the
    dashboard."""
    compute = functools.partial(_public_figures, period)
    return figures_cache.cached("public", None, period, compute) if cached else compute()


def _public_figures(period) -> dict:
    totals = ledger_totals(None, period)
    deals = deals_by_mode(None, period)
    served = enterprises_served(None, period)
    return {
        "totals": totals,
        "deals": deals,
        "deals_total": deals_total(deals),
        "enterprises_total": sum(r["count"] for r in served),
        "trends": monthly_trends(None, period),
    }
