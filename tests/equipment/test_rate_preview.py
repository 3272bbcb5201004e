"""The hourly-rate preview of the instrument editor: the rate the cost model gives for the values typed,
before anything is published; computed by the same arithmetic that prices bookings; never saved."""

import re
from decimal import Decimal

import pytest

from equipment.models import InstrumentPage
from equipment.rates import compute_hourly_rate, tier_rate

pytestmark = pytest.mark.django_db
URL = "/admin/instrument-rate-preview/"

VALUES = {
    "currency": "CNY",
    "purchase_price": "1000000",
    "service_life_years": "10",
    "annual_maintenance": "50000",
    "annual_staff_share": "30000",
    "planned_hours_per_year": "1000",
    "consumables_per_hour": "20",
    "utilities_per_hour": "5.5",
    "operator_per_hour": "40",
    "booking_mode": "assisted",
    "internal_subsidy_percent": "50",
    "academic_subsidy_percent": "20",
    "enterprise_subsidy_percent": "0",
}


def amounts(html):
    return [Decimal(a.replace(",", "")) for a in re.findall(r"¥\s?([\d,]+\.\d\d)", html)]


def test_the_preview_shows_the_rate_the_values_give_in_both_languages(client, facility_manager):
    client.force_login(facility_manager)
    client.cookies["language"] = "en"
    html = client.post(URL, VALUES).content.decode()
    # (1,000,000 / 10 + 50,000 + 30,000) / 1,000 + 20 + 5.50 + 40 (operator, assisted use) = 245.50
    assert "Full-cost rate" in html
    assert re.search(r"data-rate>¥\s?245\.50<", html)
    assert re.search(r'data-tier="internal">¥\s?122\.75<', html)  # 50 % subsidy
    assert re.search(r'data-tier="academic">¥\s?196\.40<', html)
    client.cookies["language"] = "zh-hans"
    html = client.post(URL, VALUES).content.decode()
    assert "全成本费用" in html and "补贴 50%" in html and "Full-cost" not in html
    assert re.search(r"data-rate>¥\s?245\.50<", html)


def test_the_preview_uses_the_booking_arithmetic(client, facility_manager):
    client.force_login(facility_manager)
    values = {**VALUES, "booking_mode": "self_service", "purchase_price": "777777.77", "planned_hours_per_year": "1234"}
    html = client.post(URL, values).content.decode()
    page = InstrumentPage(
        purchase_price=Decimal("777777.77"), service_life_years=10, annual_maintenance=Decimal("50000"),
        annual_staff_share=Decimal("30000"), planned_hours_per_year=1234, consumables_per_hour=Decimal("20"),
        utilities_per_hour=Decimal("5.5"), operator_per_hour=Decimal("40"), booking_mode="self_service",
        internal_subsidy_percent=Decimal("50"), academic_subsidy_percent=Decimal("20"),
        enterprise_subsidy_percent=Decimal("0"), currency="CNY",
    )  # fmt: skip
    assert re.search(rf"data-rate>¥\s?{compute_hourly_rate(page).rate}<", html)
    assert re.search(rf'data-tier="internal">¥\s?{tier_rate(page, "internal")}<', html)
    assert "Operator" not in html and "操作人员" not in html  # self-service use has no operator line


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("purchase_price", "lots"),
        ("purchase_price", "-5"),
        ("planned_hours_per_year", "0"),
        ("planned_hours_per_year", ""),
        ("service_life_years", "1e9"),
        ("internal_subsidy_percent", "150"),
        ("utilities_per_hour", "1" * 40),
    ],
)
def test_values_that_give_no_rate_are_named_and_nothing_is_saved(client, facility_manager, instrument, field, value):
    client.force_login(facility_manager)
    client.cookies["language"] = "en"
    before = InstrumentPage.objects.values().get(pk=instrument.pk)
    response = client.post(URL, {**VALUES, field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot be computed" in html and "data-rate" not in html
    assert InstrumentPage.objects.values().get(pk=instrument.pk) == before


def test_the_editor_shows_the_saved_rate_in_the_cost_tab(client, facility_manager, instrument):
    client.force_login(facility_manager)
    client.cookies["language"] = "en"
    html = client.get(f"/admin/pages/{instrument.pk}/edit/").content.decode()
    assert "Hourly rate preview" in html and "data-rate-preview" in html
    assert f"{compute_hourly_rate(instrument).rate:,}" in html


def test_only_people_who_edit_pages_may_ask(client, buyer, facility_manager):
    assert client.post(URL, VALUES).status_code == 302  # to the sign-in page
    client.force_login(buyer)
    assert client.post(URL, VALUES).status_code in (302, 403)
    client.force_login(facility_manager)
    assert client.get(URL).status_code == 405
