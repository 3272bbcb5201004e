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

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import Organization, Role
from marketplace.core.money import quantize

from .models import ListingView, TransferEvent

K = TransferEvent.Kind
M = TransferEvent.DealMode
ZERO = Decimal("0")
MONEY = DecimalField(max_digits=16, decimal_places=2)
HOURS = DecimalField(max_digits=12, decimal_places=2)
BOOKING_SUBJECT = "equipment.booking:"
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
        .filter(subject__startswith=BOOKING_SUBJECT)
        .filter(Exists(_completed()))
    )


IS_AGREEMENT_PAYMENT = Q(subject__contains="agreement")


def _ratio(part, whole):
    return (Decimal(part) / Decimal(whole)) if whole else None


# --- the figures ---------------------------------------------------------------------------------


def ledger_totals(scope, period) -> dict:
    """Every ledger figure of the period, in one conditional aggregate query."""
    qs = events(scope, period)
    totals = qs.aggregate(
        listings_published=Count("pk", filter=Q(kind=K.LISTING_PUBLISHED)),
        inquiries=Count("pk", filter=Q(kind=K.INQUIRY_OPENED)),
        agreements=Count("pk", filter=Q(kind=K.AGREEMENT_SIGNED)),
        contract_value=_money_sum("amount", Q(kind=K.AGREEMENT_SIGNED)),
        licences_executed=Count("pk", filter=Q(kind=K.AGREEMENT_SIGNED, deal_mode__in=(*LICENCE_MODES, M.OPTION))),
        payments=Count("pk", filter=Q(kind=K.PAYMENT_RECEIVED)),
        received=_money_sum("amount", Q(kind=K.PAYMENT_RECEIVED)),
        refunded=_money_sum("amount", Q(kind=K.PAYMENT_REFUNDED)),
        licence_received=_money_sum("amount", Q(kind=K.PAYMENT_RECEIVED) & IS_AGREEMENT_PAYMENT),
        licence_refunded=_money_sum("amount", Q(kind=K.PAYMENT_REFUNDED) & IS_AGREEMENT_PAYMENT),
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
        events(scope, period, K.PAYMENT_RECEIVED).filter(IS_AGREEMENT_PAYMENT).exclude(Exists(_refunded())).count()
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


def _instrument_model():
    from equipment.models import InstrumentPage

    return InstrumentPage


def _fixed_annual_cost():
    return ExpressionWrapper(
        F("purchase_price") / F("service_life_years") + F("annual_maintenance") + F("annual_staff_share"),
        output_field=DecimalField(max_digits=20, decimal_places=6),
    )


def _variable_rate(instrument):
    rate = Decimal(instrument["consumables_per_hour"]) + Decimal(instrument["utilities_per_hour"])
    if instrument["booking_mode"] in ("assisted", "sample"):
        rate += Decimal(instrument["operator_per_hour"])
    return rate


def instrument_usage(scope, period, *, limit=None) -> list[InstrumentFigures]:
    """Per instrument: completed bookings, booked and used hours, income, available hours,
    utilisation and cost. Instruments of the scope published before the period's end are listed,
    busiest first; with `limit`, only that many."""
    InstrumentPage = _instrument_model()
    usage = {
        row["listing_id"]: row
        for row in events(scope, period, K.BOOKING_COMPLETED, K.USAGE_RECORDED)
        .filter(listing_id__isnull=False)
        .values("listing_id")
        .annotate(
            bookings=Count("pk", filter=Q(kind=K.BOOKING_COMPLETED)),
            booked_hours=_hours_sum(Q(kind=K.BOOKING_COMPLETED)),
            used_hours=_hours_sum(Q(kind=K.USAGE_RECORDED)),
            income=_money_sum("amount", Q(kind=K.BOOKING_COMPLETED)),
        )
        .order_by()
    }
    refunds = dict(
        booking_refunds(scope, period)
        .filter(listing_id__isnull=False)
        .values_list("listing_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    instruments = InstrumentPage.objects.filter(
        Q(pk__in=list(usage)) | Q(first_published_at__lt=period.end, first_published_at__isnull=False)
    )
    if scope is not None:
        instruments = instruments.filter(institute_id__in=scope)
    instruments = instruments.annotate(fixed_cost=_fixed_annual_cost()).values(
        "pk",
        "title",
        "title_en",
        "first_published_at",
        "planned_hours_per_year",
        "fixed_cost",
        "consumables_per_hour",
        "utilities_per_hour",
        "operator_per_hour",
        "booking_mode",
        "currency",
    )
    english = _english()
    tz = timezone.get_default_timezone()
    rows = []
    for instrument in instruments:
        used = usage.get(instrument["pk"], {})
        published = instrument["first_published_at"]
        fraction = period.year_fraction(since=published.astimezone(tz).date()) if published else ZERO
        figures = InstrumentFigures(
            pk=instrument["pk"],
            title=(instrument["title_en"] if english and instrument["title_en"] else instrument["title"]),
            bookings=used.get("bookings", 0),
            booked_hours=used.get("booked_hours", ZERO),
            used_hours=used.get("used_hours", ZERO),
            income=used.get("income", ZERO) - refunds.get(instrument["pk"], ZERO),
            available_hours=(Decimal(instrument["planned_hours_per_year"]) * fraction).quantize(Decimal("0.01")),
        )
        figures.cost = quantize(
            Decimal(instrument["fixed_cost"] or 0) * fraction + _variable_rate(instrument) * figures.booked_hours
        )
        rows.append(figures)
    rows.sort(key=lambda r: (-r.booked_hours, -r.used_hours, r.title))
    return rows[:limit] if limit else rows


def instrument_totals(rows) -> dict:
    booked = sum((r.booked_hours for r in rows), ZERO)
    available = sum((r.available_hours for r in rows), ZERO)
    income = sum((r.income for r in rows), ZERO)
    cost = sum((r.cost for r in rows), ZERO)
    return {
        "instruments": len(rows),
        "bookings": sum(r.bookings for r in rows),
        "booked_hours": booked,
        "used_hours": sum((r.used_hours for r in rows), ZERO),
        "available_hours": available,
        "utilisation": _ratio(booked, available),
        "income": quantize(income),
        "cost": quantize(cost),
        "surplus": quantize(income - cost),
        "has_surplus": income - cost > 0,
    }


def _english():
    from django.utils.translation import get_language

    return (get_language() or "").startswith("en")


# --- everything one dashboard shows -----------------------------------------------------------------


# The dashboard lists this many instruments, busiest first (the totals cover all; the export lists all).
DASHBOARD_INSTRUMENTS = 50


def dashboard(scope, period) -> dict:
    totals = ledger_totals(scope, period)
    deals = deals_by_mode(scope, period)
    instruments = instrument_usage(scope, period)
    served = enterprises_served(scope, period)
    return {
        "totals": totals,
        "funnel": funnel(scope, period, totals),
        "deals": deals,
        "deals_total": deals_total(deals),
        "instruments": instruments[:DASHBOARD_INSTRUMENTS],
        "instrument_totals": instrument_totals(instruments),
        "enterprises": served,
        "enterprises_total": sum(r["count"] for r in served),
        "trends": monthly_trends(scope, period),
    }


def public_figures(period) -> dict:
    """Platform-wide aggregates only: no institute, enterprise or instrument names."""
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
