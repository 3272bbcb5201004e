"""Instrument figures computed in the database, checked row by row against the rule computed in Python.

The rule (module docstring of `selectors`): available hours = planned hours per year × the year fraction
from the local day of first publication, to 0.01 h; cost = annual fixed cost × that fraction + variable
rate × booked hours, half up to the fen; both per instrument, rounded once. The data vary everything the
SQL has to get right: leap years, periods over several years, publication around local midnight, prices
with odd fen, service lives that do not divide the price, every booking mode, refunds, instruments
with usage but unpublished or published later, another institute.
"""

import datetime as dt
import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db.models import Value
from django.utils import timezone, translation

from equipment.models import InstrumentPage
from marketplace.accounts.models import Organization
from marketplace.core.money import quantize
from marketplace.statistics.periods import Period, days_in_year
from marketplace.statistics.selectors import figures, instruments, sql

from .conftest import K, at, event, make_instrument

pytestmark = pytest.mark.django_db

PERIODS = [
    Period.year(2024),  # a leap year
    Period.year(2025),
    Period.between(dt.date(2023, 7, 1), dt.date(2025, 6, 30)),  # three calendar years, one of them leap
    Period.between(dt.date(2024, 12, 31), dt.date(2025, 1, 1)),  # two days, two years
    Period.between(dt.date(2024, 2, 28), dt.date(2024, 3, 1)),
]


def exact_year_fraction(period, since):
    """`Period.year_fraction` in exact fractions."""
    first = max(period.first_day, since) if since else period.first_day
    total = Fraction(0)
    while first < period.end_day:
        upto = min(period.end_day, dt.date(first.year + 1, 1, 1))
        total += Fraction((upto - first).days, days_in_year(first.year))
        first = upto
    return total


def expected_rows(scope, period):
    """Each instrument's figures by the rule, in Python (exact fractions), from the models and the
    ledger rows, busiest first; checked on the way against the Decimal arithmetic used before."""
    usage, refunds = {}, {}
    for row in figures.events(scope, period, K.BOOKING_COMPLETED, K.USAGE_RECORDED).filter(listing_id__isnull=False):
        u = usage.setdefault(row.listing_id, {"bookings": 0, "booked": Decimal(0), "used": Decimal(0), "income": 0})
        if row.kind == K.BOOKING_COMPLETED:
            u["bookings"] += 1
            u["booked"] += row.hours
            u["income"] += row.amount
        else:
            u["used"] += row.hours
    for row in figures.booking_refunds(scope, period).filter(listing_id__isnull=False):
        refunds[row.listing_id] = refunds.get(row.listing_id, 0) + row.amount
    pages = InstrumentPage.objects.all()
    if scope is not None:
        pages = pages.filter(institute_id__in=scope)
    rows = []
    for page in pages:
        published = page.first_published_at
        if page.pk not in usage and (published is None or published >= period.end):
            continue
        u = usage.get(page.pk, {"bookings": 0, "booked": Decimal(0), "used": Decimal(0), "income": Decimal(0)})
        since = timezone.localtime(published).date() if published else None
        fraction = exact_year_fraction(period, since) if published else Fraction(0)
        fixed = Fraction(page.purchase_price) / page.service_life_years
        fixed += Fraction(page.annual_maintenance) + Fraction(page.annual_staff_share)
        rate = page.consumables_per_hour + page.utilities_per_hour
        if page.booking_mode in ("assisted", "sample"):
            rate += page.operator_per_hour
        cost_fen = (fixed * fraction + Fraction(rate) * Fraction(u["booked"])) * 100
        available = Decimal(round(page.planned_hours_per_year * fraction * 100)) / 100
        cost = Decimal(math.floor(cost_fen + Fraction(1, 2))) / 100
        # The same as the Decimal arithmetic the figures were computed with before (in Python, per row).
        decimal_fraction = period.year_fraction(since=since) if published else Decimal(0)
        assert available == (page.planned_hours_per_year * decimal_fraction).quantize(Decimal("0.01"))
        decimal_fixed = page.purchase_price / page.service_life_years + page.annual_maintenance
        decimal_fixed += page.annual_staff_share
        assert cost == quantize(decimal_fixed * decimal_fraction + rate * u["booked"])
        english = (translation.get_language() or "").startswith("en")
        title = page.title_en if english and page.title_en else page.title
        rows.append(
            {
                "pk": page.pk,
                "title": title,
                "bookings": u["bookings"],
                "booked_hours": u["booked"],
                "used_hours": u["used"],
                "income": u["income"] - refunds.get(page.pk, 0),
                "available_hours": available,
                "cost": cost,
                "sort": (-u["booked"], -u["used"], title, page.path),
            }
        )
    rows.sort(key=lambda r: r.pop("sort"))
    return rows


def as_dicts(rows):
    fields = ("pk", "title", "bookings", "booked_hours", "used_hours", "income", "available_hours", "cost")
    return [{f: getattr(r, f) for f in fields} for r in rows]


@pytest.fixture
def varied(institute, other_institute, enterprise):
    """About thirty instruments in two institutes and two hundred ledger rows (seeded)."""
    rng = random.Random(20260501)
    tz = timezone.get_default_timezone()
    published = [
        at(2020, 1, 1),
        at(2024, 7, 2),  # exactly half of 2024 remains
        at(2024, 11, 1, 9),
        at(2024, 12, 29, 23, 59, 59),
        dt.datetime(2024, 6, 30, 16, 0, tzinfo=dt.UTC),  # 1 July in Shanghai
        dt.datetime(2024, 6, 30, 15, 59, 59, tzinfo=dt.UTC),  # still 30 June in Shanghai
        at(2025, 1, 1),
        at(2025, 3, 1, 12),
        at(2025, 12, 31, 23, 59),
        at(2026, 2, 1),  # after every period: listed only with usage
        None,  # never published: listed only with usage
    ]
    titles = ["Zeta", "alpha", "Alpha", "beta", "Ångström", "电镜", "质谱仪", "b", "B", "", "a b", "a-b"]
    pages = []
    for n in range(30):
        owner = institute if n % 5 else other_institute
        title = titles[n % len(titles)] or f"仪器{n}"
        page = make_instrument(
            owner,
            f"{title} {n // len(titles)}",
            published=published[n % len(published)] or at(2020, 1, 1),
            purchase_price=Decimal(rng.choice(["0", "1000005", "2999999.99", "123456.78", "850000.01"])),
            service_life_years=rng.choice([1, 3, 7, 10, 12]),
            annual_maintenance=Decimal(rng.choice(["0", "0.01", "33333.33", "50000"])),
            annual_staff_share=Decimal(rng.choice(["0", "60000", "12345.67"])),
            planned_hours_per_year=rng.choice([1, 7, 800, 1000, 1234, 2000, 8760]),
            consumables_per_hour=Decimal(rng.choice(["0", "10.55", "20"])),
            utilities_per_hour=Decimal(rng.choice(["0", "5", "8.33"])),
            operator_per_hour=Decimal(rng.choice(["0", "20", "61.01"])),
            booking_mode=rng.choice(["self_service", "assisted", "sample"]),
        )
        InstrumentPage.objects.filter(pk=page.pk).update(title_en=f"EN {title}" if n % 3 else "")
        if published[n % len(published)] is None:
            InstrumentPage.objects.filter(pk=page.pk).update(first_published_at=None)
        pages.append(page)
    start = dt.datetime(2023, 6, 1, tzinfo=tz)
    for n in range(200):
        page = rng.choice(pages[:25])  # the last five have no usage at all
        when = start + dt.timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
        hours = Decimal(rng.randrange(1, 64)) / 4
        booking = f"equipment.booking:{n}"
        common = {"listing_id": page.pk, "subject": booking}
        if rng.random() < 0.1:  # a booking of one institute's instrument recorded for the other
            owner = other_institute if page.institute_id == institute.pk else institute
        else:
            owner = page.institute
        event(K.BOOKING_COMPLETED, owner, when, hours=hours, amount=hours * 300, enterprise=enterprise, **common)
        event(K.USAGE_RECORDED, owner, when, hours=hours - Decimal("0.25"), **common)
        if rng.random() < 0.15:
            event(K.PAYMENT_REFUNDED, owner, when + dt.timedelta(days=3), amount=Decimal("99.99"), **common)
    # A refund of a booking that never completed does not count.
    event(K.PAYMENT_REFUNDED, institute, at(2025, 5, 5), amount=Decimal("7"), listing_id=pages[1].pk, subject="x:1")
    return institute


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.slug)
def test_every_instrument_row_follows_the_rule(varied, other_institute, period):
    for scope in (None, [varied.pk], [other_institute.pk]):
        expected = expected_rows(scope, period)
        rows = instruments.instrument_usage(scope, period)
        assert as_dicts(rows) == expected
        busiest, totals = instruments.busiest_instruments(scope, period, limit=7)
        assert as_dicts(busiest) == expected[:7]
        assert totals == instruments.instrument_totals(rows)


def test_titles_follow_the_language_and_sort_by_code_point(varied):
    period = Period.year(2025)
    with translation.override("en"):
        expected = expected_rows(None, period)
        english = {row["title"].startswith("EN ") for row in expected}
        assert english == {True, False}  # English titles where there are some, Chinese otherwise
        assert as_dicts(instruments.instrument_usage(None, period)) == expected
    with translation.override("zh-hans"):
        expected = expected_rows(None, period)
        assert as_dicts(instruments.instrument_usage(None, period)) == expected


def test_half_a_fen_rounds_up_once(institute):
    # 0.01 of fixed cost a year over exactly half of 2024: ¥0.005, rounded up once.
    make_instrument(
        institute,
        "Half",
        published=at(2024, 7, 2),
        purchase_price=Decimal("0"),
        annual_maintenance=Decimal("0.01"),
        annual_staff_share=Decimal("0"),
        service_life_years=1,
    )
    [row] = instruments.instrument_usage([institute.pk], Period.year(2024))
    assert row.cost == Decimal("0.01")
    assert row.available_hours == Decimal("500.00")
    assert instruments.busiest_instruments([institute.pk], Period.year(2024), limit=1)[1]["cost"] == Decimal("0.01")


def test_a_service_life_that_does_not_divide_the_price(institute):
    # 1 000 005 / 7 = 142 857.857…: the fixed cost is not truncated to whole yuan on any database.
    make_instrument(
        institute,
        "Seven years",
        purchase_price=Decimal("1000005"),
        service_life_years=7,
        annual_maintenance=Decimal("0"),
        annual_staff_share=Decimal("0"),
    )
    [row] = instruments.instrument_usage([institute.pk], Period.year(2025))
    assert row.cost == quantize(Decimal("1000005") / 7) == Decimal("142857.86")


def test_year_weights_are_the_year_fraction_in_python_and_in_sql(institute):
    days = [dt.date(2019, 12, 31) + dt.timedelta(days=n) for n in range(0, 7 * 366, 5)]
    periods = [*PERIODS, Period.between(dt.date(2020, 1, 1), dt.date(2024, 12, 31))]
    for period in periods:
        weights = sql.YearWeights.of(period)
        in_sql = Organization.objects.filter(pk=institute.pk).values(
            **{f"d{n}": weights.weight_expression(Value(sql.day_number(day))) for n, day in enumerate(days)}
        )[0]
        for n, day in enumerate(days):
            exact = exact_year_fraction(period, day)
            assert Fraction(weights.weight(day), weights.unit) == exact
            assert in_sql[f"d{n}"] == weights.weight(day)
            decimal = Decimal(exact.numerator) / exact.denominator
            assert abs(decimal - period.year_fraction(since=day)) < Decimal("1e-25")


def test_the_dashboard_reads_a_fixed_number_of_queries_for_instruments(varied, django_assert_max_num_queries):
    # The busiest rows with the totals of all, the refunds, and which refunded instruments are listed.
    with django_assert_max_num_queries(3):
        rows, totals = instruments.busiest_instruments(None, Period.year(2025), limit=5)
    assert len(rows) == 5 and totals["instruments"] > 5


def test_no_instruments_no_rows_and_zero_totals(institute):
    rows, totals = instruments.busiest_instruments([institute.pk], Period.year(2025), limit=50)
    assert rows == []
    assert totals == instruments.instrument_totals([])
