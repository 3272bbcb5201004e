"""The instrument figures: usage, utilisation, income and cost, per instrument and in total.

Rules:
- Instrument figures count completed bookings only: cancelled, rejected and no-show bookings never
  reach the ledger as completed. Booked hours are the completed bookings' hours, used hours the
  recorded actual hours.
- Instrument income is the price of completed bookings, less refunds of payments for those bookings.
- Available hours are each instrument's planned bookable hours per year, pro-rated day by day to the
  part of the period after the instrument's first publication. Utilisation = booked / available.
- Cost is the period's share of the annual fixed cost (depreciation + maintenance contract + staff
  share), pro-rated like available hours, plus the variable cost per booked hour the instruments' app
  registered (`registry.register_instruments`). Income above cost is a surplus, which the non-profit
  principle asks to flag.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BigIntegerField, Case, Count, F, FilteredRelation, Min, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import get_language

from marketplace.core.money import quantize

from .. import registry
from ..models import TransferEvent
from .figures import booking_refunds
from .sql import (
    HOURS,
    MONEY,
    ZERO,
    DayNumber,
    OverAll,
    YearWeights,
    by_code_point,
    from_hundredths,
    hundredths,
    ratio,
    whole,
)

K = TransferEvent.Kind

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
        return ratio(self.booked_hours, self.available_hours)

    @property
    def surplus(self):
        return self.income - self.cost

    @property
    def has_surplus(self):
        return self.surplus > 0


def _display_title(english):
    """The title the person reads: the English one in English where there is one."""
    return Case(When(~Q(title_en=""), then=F("title_en")), default=F("title")) if english else F("title")


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
    available_c = (whole(Min("planned_hours_per_year")) * weight * 200 + unit) / (2 * unit)
    # Cost in fen: fixed × weight / (life × unit) + variable rate × booked hours, half up, where fixed =
    # purchase + (maintenance + staff) × life is the annual fixed cost times the life, in fen. Whole parts
    # and remainders are kept apart, so that no product outgrows 64 bits.
    life = whole(F("service_life_years"))
    fixed = Min(hundredths(F("purchase_price")) + hundredths(F("annual_maintenance") + F("annual_staff_share")) * life)
    share, denominator = fixed * weight, Min(life) * unit
    share_fen = share / denominator
    share_rest = share - share_fen * denominator  # in 1/denominator fen
    variable_rate = registry.instruments().variable_rate()
    variable = Min(hundredths(variable_rate)) * hundredths(F("booked_hours"))  # in 1/100 fen
    variable_fen = variable / 100
    variable_rest = variable - variable_fen * 100  # in 1/100 fen
    half_up = (share_rest * 100 + variable_rest * denominator + denominator * 50) / (denominator * 100)
    return rows.annotate(
        sort_title=by_code_point(Min(_display_title(_english()))),
        sort_path=Min("path"),
        available_c=available_c,
        cost_c=share_fen + variable_fen + half_up,
        booked_c=hundredths(F("booked_hours")),
        used_c=hundredths(F("used_hours")),
        income_c=hundredths(F("income")),
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
        available_hours=from_hundredths(row["available_c"]),
        cost=from_hundredths(row["cost_c"]),
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
        from_hundredths(sums["all_booked_c"]),
        from_hundredths(sums["all_used_c"]),
        from_hundredths(sums["all_available_c"]),
        from_hundredths(sums["all_income_c"]) - sum((refunds[pk] for pk in listed), ZERO),
        from_hundredths(sums["all_cost_c"]),
    )


def _totals(instruments, bookings, booked, used, available, income, cost) -> dict:
    return {
        "instruments": instruments,
        "bookings": bookings,
        "booked_hours": booked,
        "used_hours": used,
        "available_hours": available,
        "utilisation": ratio(booked, available),
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
    return (get_language() or "").startswith("en")
