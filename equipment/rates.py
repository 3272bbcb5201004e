"""Cost-based hourly rates (notice 001, section 五: cost compensation, non-profit).

hourly rate = (purchase price / service life + annual maintenance + annual staff share) / planned hours
              + consumables per hour + utilities per hour (+ operator per hour for assisted use and
              sample service)

Everything is Decimal and rounded once, half up, to the fen. A tier rate applies the tier's documented
subsidy percentage to the exact (unrounded) full-cost rate and is also rounded once. No tier adds a margin.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from marketplace.core.money import quantize

from .models import RateTier

HUNDRED = Decimal("100")
COST_FIELDS = [
    "purchase_price",
    "annual_maintenance",
    "annual_staff_share",
    "consumables_per_hour",
    "utilities_per_hour",
    "operator_per_hour",
]


@dataclass(frozen=True)
class RateBreakdown:
    """Each line per hour (rounded for display) and the rate, rounded once from the exact sum."""

    depreciation: Decimal
    maintenance: Decimal
    staff: Decimal
    consumables: Decimal
    utilities: Decimal
    operator: Decimal
    exact: Decimal
    rate: Decimal
    currency: str

    def as_rows(self):
        rows = [
            (_("Depreciation"), self.depreciation),
            (_("Maintenance contract"), self.maintenance),
            (_("Staff"), self.staff),
            (_("Consumables"), self.consumables),
            (_("Utilities"), self.utilities),
        ]
        if self.operator:
            rows.append((_("Operator"), self.operator))
        return rows


def _dec(value):
    return Decimal(value if value is not None else 0)


def cost_model_errors(instrument) -> dict:
    """Field → message for a cost model that cannot produce a rate (empty when it is sound)."""
    errors = {}
    for name in COST_FIELDS:
        value = getattr(instrument, name)
        if value is not None and _dec(value) < 0:
            errors[name] = _("A cost cannot be negative.")
    if not instrument.planned_hours_per_year or instrument.planned_hours_per_year <= 0:
        errors["planned_hours_per_year"] = _("Planned bookable hours per year must be more than zero.")
    if not instrument.service_life_years or instrument.service_life_years <= 0:
        errors["service_life_years"] = _("Service life must be at least one year.")
    any_subsidy = False
    for tier in RateTier.values:
        name = f"{tier}_subsidy_percent"
        value = getattr(instrument, name)
        if value is None or not (0 <= _dec(value) <= HUNDRED):
            errors[name] = _("A subsidy is a percentage between 0 and 100.")
        elif _dec(value) > 0:
            any_subsidy = True
    if any_subsidy and not (instrument.subsidy_basis or "").strip():
        errors["subsidy_basis"] = _("Say which programme or decision funds the subsidy.")
    if (
        instrument.min_booking_minutes
        and instrument.max_booking_minutes
        and instrument.max_booking_minutes < instrument.min_booking_minutes
    ):
        errors["max_booking_minutes"] = _("The maximum booking length cannot be shorter than the minimum.")
    if (
        instrument.slot_minutes
        and instrument.min_booking_minutes
        and instrument.min_booking_minutes % instrument.slot_minutes
    ):
        errors["min_booking_minutes"] = _("The minimum booking length must be a whole number of slots.")
    return errors


def compute_hourly_rate(instrument) -> RateBreakdown:
    errors = cost_model_errors(instrument)
    for key in ("planned_hours_per_year", "service_life_years"):
        if key in errors:
            raise ValueError(errors[key])
    hours = Decimal(instrument.planned_hours_per_year)
    depreciation = _dec(instrument.purchase_price) / Decimal(instrument.service_life_years) / hours
    maintenance = _dec(instrument.annual_maintenance) / hours
    staff = _dec(instrument.annual_staff_share) / hours
    consumables = _dec(instrument.consumables_per_hour)
    utilities = _dec(instrument.utilities_per_hour)
    operator = _dec(instrument.operator_per_hour) if instrument.uses_operator else Decimal("0")
    exact = depreciation + maintenance + staff + consumables + utilities + operator
    return RateBreakdown(
        depreciation=quantize(depreciation),
        maintenance=quantize(maintenance),
        staff=quantize(staff),
        consumables=quantize(consumables),
        utilities=quantize(utilities),
        operator=quantize(operator),
        exact=exact,
        rate=quantize(exact),
        currency=instrument.currency,
    )


def tier_rate(instrument, tier) -> Decimal:
    """The hourly rate of one tier: the full-cost rate less the tier's documented subsidy, rounded once."""
    exact = compute_hourly_rate(instrument).exact
    subsidy = _dec(instrument.subsidy_percent(tier))
    return quantize(exact * (HUNDRED - subsidy) / HUNDRED)


def tier_rates(instrument):
    """[(tier value, label, subsidy percent, rate)] for every tier."""
    return [
        (tier.value, tier.label, instrument.subsidy_percent(tier), tier_rate(instrument, tier)) for tier in RateTier
    ]


def tier_for(organization, instrument) -> str:
    """Which tier an organisation books at: enterprises at the enterprise tier; the instrument's own
    institute at the internal tier; any other institute or university at the academic tier."""
    if organization.is_enterprise:
        return RateTier.ENTERPRISE
    if instrument.institute_id and organization.pk == instrument.institute_id:
        return RateTier.INTERNAL
    return RateTier.ACADEMIC


def price_for(rate: Decimal, hours: Decimal) -> Decimal:
    """A booking's price: its frozen tier rate times its hours, rounded to the fen."""
    return quantize(rate * hours)
