"""The ledger figures of the transfer statistics, each computed by aggregate queries in the database.

Every figure takes a `scope` (a list of institute ids, or None for the whole platform) and a
`Period` (half-open [start, end) in the site time zone). Figures come from the ledger
(`TransferEvent`) and the daily listing view counter; never typed in.

Rules:
- Net receipts are payments received less payments refunded, in the period each happened.
- Instrument income is the price of completed bookings, less refunds of payments for those bookings
  (`booking_refunds`); a payment is licence income when its subject is a deal the domain registered.
- Enterprises served are distinct enterprises with a completed booking or a signed agreement.
- Instrument hours and income count every user; used hours are also split into enterprise use (rows with
  an enterprise: opening to society) and institute use by tier (internal, academic).
"""

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import Organization
from marketplace.core.money import quantize

from .. import registry
from ..models import ListingView, TransferEvent
from .sql import MONEY, ZERO, hours_sum, money_sum, ratio

K = TransferEvent.Kind
M = TransferEvent.DealMode
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
# The rate tiers of institute users, as a booking's ledger rows carry them (`data["tier"]`). Enterprise use
# (what the policy reports as opening to society) is use by a row's enterprise.
INTERNAL_TIER, ACADEMIC_TIER = "internal", "academic"


def events(scope, period, *kinds):
    qs = TransferEvent.objects.filter(occurred_at__gte=period.start, occurred_at__lt=period.end)
    if scope is not None:
        qs = qs.filter(institute_id__in=scope)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs


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


def ledger_totals(scope, period) -> dict:
    """Every ledger figure of the period, in one conditional aggregate query."""
    qs = events(scope, period)
    deal_payment = _is_deal_payment()
    totals = qs.aggregate(
        listings_published=Count("pk", filter=Q(kind=K.LISTING_PUBLISHED)),
        inquiries=Count("pk", filter=Q(kind=K.INQUIRY_OPENED)),
        agreements=Count("pk", filter=Q(kind=K.AGREEMENT_SIGNED)),
        contract_value=money_sum("amount", Q(kind=K.AGREEMENT_SIGNED)),
        licences_executed=Count("pk", filter=Q(kind=K.AGREEMENT_SIGNED, deal_mode__in=(*LICENCE_MODES, M.OPTION))),
        payments=Count("pk", filter=Q(kind=K.PAYMENT_RECEIVED)),
        received=money_sum("amount", Q(kind=K.PAYMENT_RECEIVED)),
        refunded=money_sum("amount", Q(kind=K.PAYMENT_REFUNDED)),
        licence_received=money_sum("amount", Q(kind=K.PAYMENT_RECEIVED) & deal_payment),
        licence_refunded=money_sum("amount", Q(kind=K.PAYMENT_REFUNDED) & deal_payment),
        impact_reports=Count("pk", filter=Q(kind=K.IMPACT_REPORTED)),
        jobs=Coalesce(Sum("jobs", filter=Q(kind=K.IMPACT_REPORTED)), 0),
        impact_revenue=money_sum("amount", Q(kind=K.IMPACT_REPORTED)),
        startups=Count("pk", filter=Q(kind=K.IMPACT_REPORTED, startup_formed=True)),
        bookings=Count("pk", filter=Q(kind=K.BOOKING_COMPLETED)),
        booked_hours=hours_sum(Q(kind=K.BOOKING_COMPLETED)),
        used_hours=hours_sum(Q(kind=K.USAGE_RECORDED)),
        enterprise_used_hours=hours_sum(Q(kind=K.USAGE_RECORDED, enterprise_id__isnull=False)),
        internal_used_hours=hours_sum(Q(kind=K.USAGE_RECORDED, enterprise_id__isnull=True, data__tier=INTERNAL_TIER)),
        academic_used_hours=hours_sum(Q(kind=K.USAGE_RECORDED, enterprise_id__isnull=True, data__tier=ACADEMIC_TIER)),
        booking_income=money_sum("amount", Q(kind=K.BOOKING_COMPLETED)),
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
        rows.append({"key": key, "label": label, "value": value, "rate": ratio(value, previous) if previous else None})
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
            contract_value=money_sum("amount", Q(kind=K.AGREEMENT_SIGNED)),
            used_hours=hours_sum(Q(kind=K.USAGE_RECORDED)),
            booking_income=money_sum("amount", Q(kind=K.BOOKING_COMPLETED)),
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
