"""Each figure against a hand count of the known data set (tests/statistics/conftest.py)."""

import datetime as dt
from decimal import Decimal

import pytest

from marketplace.statistics.models import TransferEvent
from marketplace.statistics.periods import Period
from marketplace.statistics.selectors import access, figures, instruments
from marketplace.statistics.services import count_listing_view

from .conftest import K, at, event, make_instrument

pytestmark = pytest.mark.django_db
YEAR = Period.year(2025)


def scope(institute):
    return [institute.pk]


def test_deals_by_mode_follow_the_annual_report_rows(known_year):
    rows = {r["key"]: (r["count"], r["value"]) for r in figures.deals_by_mode(scope(known_year), YEAR)}
    assert rows == {
        "assignment": (1, Decimal("100000.00")),
        "licence": (3, Decimal("375000.00")),
        "exclusive": (1, Decimal("300000.00")),
        "sole": (0, Decimal("0.00")),
        "non_exclusive": (2, Decimal("75000.00")),
        "equity": (1, Decimal("400000.00")),
        "other": (1, Decimal("10000.00")),
    }
    assert figures.deals_total(figures.deals_by_mode(scope(known_year), YEAR)) == {
        "count": 6,
        "value": Decimal("885000.00"),
    }


def test_ledger_totals_of_the_known_year(known_year):
    t = figures.ledger_totals(scope(known_year), YEAR)
    assert t["agreements"] == 6
    assert t["contract_value"] == Decimal("885000")
    assert t["licences_executed"] == 4
    assert t["inquiries"] == 3
    assert t["impact_reports"] == 2
    assert t["jobs"] == 12
    assert t["startups"] == 1
    assert t["impact_revenue"] == Decimal("2000000")
    assert t["bookings"] == 2
    assert t["booked_hours"] == Decimal("10")
    assert t["used_hours"] == Decimal("9.5")


def test_refunds_subtract_from_income_and_receipts(known_year):
    t = figures.ledger_totals(scope(known_year), YEAR)
    assert t["received"] == Decimal("153000")
    assert t["refunded"] == Decimal("50500")
    assert t["net_receipts"] == Decimal("102500")
    assert t["licence_income"] == Decimal("100000")
    assert t["booking_income"] == Decimal("5000")
    assert t["instrument_income"] == Decimal("4500")


def test_a_refunded_agreement_payment_is_not_a_paid_agreement_in_the_funnel(known_year):
    assert figures.ledger_totals(scope(known_year), YEAR)["agreement_payments"] == 1


def test_a_cancelled_booking_never_counts(known_year, instrument, enterprise):
    # Confirmed (and paid) then cancelled and refunded: it adds no booking, hour or instrument income.
    event(
        K.BOOKING_CONFIRMED,
        known_year,
        at(2025, 8, 1),
        hours=Decimal("5"),
        amount=Decimal("900"),
        subject="equipment.booking:900",
        listing_id=instrument.pk,
        enterprise=enterprise,
    )
    event(
        K.PAYMENT_RECEIVED,
        known_year,
        at(2025, 8, 1),
        amount=Decimal("900"),
        subject="equipment.booking:900",
        source_type="payments.payment",
        source_id=900,
    )
    event(
        K.PAYMENT_REFUNDED,
        known_year,
        at(2025, 8, 2),
        amount=Decimal("900"),
        subject="equipment.booking:900",
        source_type="payments.payment",
        source_id=900,
    )
    t = figures.ledger_totals(scope(known_year), YEAR)
    assert (t["bookings"], t["booked_hours"], t["instrument_income"]) == (2, Decimal("10"), Decimal("4500"))
    assert t["net_receipts"] == Decimal("102500")
    [row] = instruments.instrument_usage(scope(known_year), YEAR)
    assert (row.bookings, row.booked_hours, row.income) == (2, Decimal("10"), Decimal("4500"))


def test_enterprises_served_by_size_class(known_year):
    counts = {r["key"]: r["count"] for r in figures.enterprises_served(scope(known_year), YEAR)}
    assert counts == {"micro": 0, "small": 1, "medium": 1, "large": 0}


def test_instrument_usage_utilisation_income_and_cost(known_year, instrument):
    [row] = instruments.instrument_usage(scope(known_year), YEAR)
    assert row.pk == instrument.pk
    assert row.bookings == 2
    assert row.booked_hours == Decimal("10")
    assert row.used_hours == Decimal("9.5")
    assert row.available_hours == Decimal("1000.00")
    assert row.utilisation == Decimal("0.01")
    assert row.income == Decimal("4500")
    # 1 000 000 / 10 + 50 000 + 50 000 for the year, plus (10 + 5) per booked hour × 10 h.
    assert row.cost == Decimal("200150.00")
    assert row.surplus == Decimal("-195650.00")
    totals = instruments.instrument_totals([row])
    assert totals["has_surplus"] is False


def test_operator_time_is_a_cost_of_assisted_instruments_and_a_surplus_is_flagged(institute):
    page = make_instrument(
        institute,
        "Assisted NMR",
        purchase_price=Decimal("0"),
        annual_maintenance=Decimal("0"),
        annual_staff_share=Decimal("0"),
        booking_mode="assisted",
    )
    event(
        K.BOOKING_COMPLETED,
        institute,
        at(2025, 2, 1),
        hours=Decimal("2"),
        amount=Decimal("200"),
        listing_id=page.pk,
        subject="equipment.booking:1",
    )
    [row] = instruments.instrument_usage([institute.pk], YEAR)
    assert row.cost == Decimal("70.00")  # (10 + 5 + 20) × 2 h
    totals = instruments.instrument_totals([row])
    assert totals["surplus"] == Decimal("130.00")
    assert totals["has_surplus"] is True


def test_available_hours_are_pro_rated_from_first_publication(institute):
    make_instrument(institute, "New laser", published=at(2025, 7, 2, 10))  # 183 of 365 days of 2025 remain
    [row] = instruments.instrument_usage([institute.pk], YEAR)
    assert row.available_hours == Decimal("501.37")
    assert row.cost == Decimal("100273.97")  # 200 000 × 183 / 365
    assert instruments.instrument_usage([institute.pk], Period.year(2024)) == []


def test_period_boundaries_are_half_open_in_shanghai_time(institute):
    event(K.INQUIRY_OPENED, institute, at(2025, 1, 1))  # start instant: inside
    event(K.INQUIRY_OPENED, institute, at(2025, 1, 31, 23, 59, 59))  # inside
    event(K.INQUIRY_OPENED, institute, at(2025, 2, 1))  # end instant: outside
    # 2025-01-31 16:30 UTC is already 1 February in Shanghai: outside.
    event(K.INQUIRY_OPENED, institute, dt.datetime(2025, 1, 31, 16, 30, tzinfo=dt.UTC))
    january = Period.between(dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert figures.ledger_totals([institute.pk], january)["inquiries"] == 2


def test_another_institutes_rows_never_enter_the_figures(known_year, other_institute):
    t = figures.ledger_totals([other_institute.pk], YEAR)
    assert (t["agreements"], t["contract_value"], t["jobs"], t["bookings"]) == (1, Decimal("777777"), 40, 1)
    everything = figures.ledger_totals(None, YEAR)
    assert (everything["agreements"], everything["jobs"], everything["startups"]) == (7, 52, 2)


def test_funnel_counts_each_stage_and_its_conversion(known_year, instrument):
    count_listing_view(page_id=instrument.pk, institute_id=known_year.pk, day=dt.date(2025, 3, 1))
    count_listing_view(page_id=instrument.pk, institute_id=known_year.pk, day=dt.date(2025, 3, 1))
    for _ in range(4):
        count_listing_view(page_id=instrument.pk, institute_id=known_year.pk, day=dt.date(2025, 12, 31))
    count_listing_view(page_id=instrument.pk, institute_id=known_year.pk, day=dt.date(2026, 1, 1))
    rows = figures.funnel([known_year.pk], YEAR)
    assert [(r["key"], r["value"]) for r in rows] == [
        ("views", 6),
        ("inquiries", 3),
        ("agreements", 6),
        ("payments", 1),
        ("impact", 2),
    ]
    assert rows[0]["rate"] is None
    assert rows[1]["rate"] == Decimal("0.5")


def test_monthly_trends_group_by_local_month(known_year):
    trends = figures.monthly_trends([known_year.pk], YEAR)
    assert len(trends) == 12
    by_month = {r["month"].month: r for r in trends}
    assert by_month[1]["agreements"] == 1
    assert by_month[12]["agreements"] == 1  # 31 Dec 23:59:59 Shanghai is still December
    assert by_month[12]["contract_value"] == Decimal("10000")
    assert by_month[5]["used_hours"] == Decimal("9.5")
    assert by_month[5]["booking_income"] == Decimal("5000")
    assert by_month[9]["jobs"] == 7
    assert by_month[2]["agreements"] == 0


def test_dashboard_scope_of_a_tto_is_their_own_institute(tto, institute, other_institute, staff_user):
    assert access.resolve_scope(tto, None) == ([institute.pk], institute)
    assert access.resolve_scope(tto, str(institute.pk)) == ([institute.pk], institute)
    for forbidden in (str(other_institute.pk), "all", "x", "999999"):
        with pytest.raises(Exception) as raised:
            access.resolve_scope(tto, forbidden)
        assert raised.type.__name__ == "Http404"
    assert access.resolve_scope(staff_user, "all") == (None, None)
    assert access.resolve_scope(staff_user, str(other_institute.pk)) == ([other_institute.pk], other_institute)


def test_ledger_rows_stay_append_only(known_year):
    row = TransferEvent.objects.first()
    with pytest.raises(ValueError):
        row.save()
    with pytest.raises(ValueError):
        row.delete()
