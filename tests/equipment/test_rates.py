from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from equipment.models import BookingMode, InstrumentPage, RateTier
from equipment.rates import compute_hourly_rate, price_for, tier_for, tier_rate, tier_rates
from tests.equipment.conftest import make_instrument

pytestmark = pytest.mark.django_db


def test_hourly_rate_from_known_figures_for_assisted_use(instrument):
    # (3,000,000 / 10 + 120,000 + 80,000) / 2,000 = 250.00; + 35.50 + 12.25 + operator 60.00
    breakdown = compute_hourly_rate(instrument)
    assert breakdown.depreciation == Decimal("150.00")
    assert breakdown.maintenance == Decimal("60.00")
    assert breakdown.staff == Decimal("40.00")
    assert breakdown.operator == Decimal("60.00")
    assert breakdown.rate == Decimal("357.75")
    assert instrument.hourly_rate == Decimal("357.75")


def test_self_service_rate_leaves_out_the_operator(institute):
    page = make_instrument(institute, booking_mode=BookingMode.SELF_SERVICE)
    assert page.hourly_rate == Decimal("297.75")
    assert compute_hourly_rate(page).operator == Decimal("0")


def test_sample_service_includes_the_operator(institute):
    assert make_instrument(institute, booking_mode=BookingMode.SAMPLE).hourly_rate == Decimal("357.75")


def test_rate_is_rounded_once_not_per_line(institute):
    # 100/1/3 + 100/3 = 66.666… → 66.67 (rounding each line first would give 66.66)
    page = make_instrument(
        institute,
        purchase_price=Decimal("100"),
        service_life_years=1,
        annual_maintenance=Decimal("0"),
        annual_staff_share=Decimal("100"),
        planned_hours_per_year=3,
        consumables_per_hour=Decimal("0"),
        utilities_per_hour=Decimal("0"),
        operator_per_hour=Decimal("0"),
    )
    assert page.hourly_rate == Decimal("66.67")
    assert isinstance(page.hourly_rate, Decimal)


def test_tiers_differ_only_by_documented_subsidy(institute):
    page = make_instrument(
        institute,
        internal_subsidy_percent=Decimal("50"),
        academic_subsidy_percent=Decimal("30"),
        enterprise_subsidy_percent=Decimal("20"),
        subsidy_basis="市科委大型仪器开放共享补贴",
    )
    assert tier_rate(page, RateTier.INTERNAL) == Decimal("178.88")  # 357.75 × 0.5 = 178.875 → 178.88
    assert tier_rate(page, RateTier.ACADEMIC) == Decimal("250.43")  # 250.425 → 250.43
    assert tier_rate(page, RateTier.ENTERPRISE) == Decimal("286.20")
    assert page.enterprise_rate == Decimal("286.20")
    assert all(rate <= page.hourly_rate for _, _, _, rate in tier_rates(page))


def test_no_tier_exceeds_full_cost_without_subsidy(instrument):
    assert {rate for *_, rate in tier_rates(instrument)} == {Decimal("357.75")}


def test_tier_mapping(instrument, enterprise, institute, other_institute):
    assert tier_for(enterprise, instrument) == RateTier.ENTERPRISE
    assert tier_for(institute, instrument) == RateTier.INTERNAL
    assert tier_for(other_institute, instrument) == RateTier.ACADEMIC


def test_price_is_rate_times_hours_rounded_to_the_fen():
    assert price_for(Decimal("357.75"), Decimal("1.5")) == Decimal("536.63")
    assert price_for(Decimal("100.00"), Decimal("3")) == Decimal("300.00")


@pytest.mark.parametrize(
    "field",
    [
        "purchase_price",
        "annual_maintenance",
        "annual_staff_share",
        "consumables_per_hour",
        "utilities_per_hour",
        "operator_per_hour",
    ],
)
def test_negative_cost_is_refused_with_a_clear_message(instrument, field):
    setattr(instrument, field, Decimal("-1"))
    with pytest.raises(ValidationError) as info:
        instrument.full_clean()
    assert "A cost cannot be negative." in info.value.message_dict[field]


def test_zero_planned_hours_is_refused_with_a_clear_message(instrument):
    instrument.planned_hours_per_year = 0
    with pytest.raises(ValidationError) as info:
        instrument.full_clean()
    assert info.value.message_dict["planned_hours_per_year"] == [
        "Planned bookable hours per year must be more than zero."
    ]


def test_subsidy_needs_a_documented_basis(instrument):
    instrument.enterprise_subsidy_percent = Decimal("10")
    with pytest.raises(ValidationError) as info:
        instrument.full_clean()
    assert "subsidy_basis" in info.value.message_dict


def test_subsidy_above_100_percent_is_refused(instrument):
    instrument.academic_subsidy_percent = Decimal("101")
    instrument.subsidy_basis = "x"
    with pytest.raises(ValidationError) as info:
        instrument.full_clean()
    assert "academic_subsidy_percent" in info.value.message_dict


def test_database_refuses_negative_costs_even_past_the_form(instrument):
    with pytest.raises(IntegrityError):
        InstrumentPage.objects.filter(pk=instrument.pk).update(consumables_per_hour=Decimal("-5"))


def test_database_refuses_zero_planned_hours(instrument):
    with pytest.raises(IntegrityError):
        InstrumentPage.objects.filter(pk=instrument.pk).update(planned_hours_per_year=0)


def test_a_typed_rate_is_overwritten_by_the_cost_model(instrument):
    instrument.hourly_rate = Decimal("9999.00")
    instrument.save()
    instrument.refresh_from_db()
    assert instrument.hourly_rate == Decimal("357.75")
    assert not InstrumentPage._meta.get_field("hourly_rate").editable


def test_institute_is_denormalised_from_the_ancestor(instrument, institute):
    assert instrument.institute == institute
