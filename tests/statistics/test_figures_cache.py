"""The dashboard's figures are cached, and a cached copy is never served once the data changed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from marketplace.statistics import figures_cache, freshness
from marketplace.statistics.models import TransferEvent
from marketplace.statistics.periods import Period
from marketplace.statistics.selectors import dashboards
from marketplace.statistics.services import count_listing_view

from .conftest import K, at, event, make_instrument

pytestmark = pytest.mark.django_db
DASHBOARD = "/admin/transfer-statistics/"
YEAR = Period.year(2025)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def computed(monkeypatch):
    """How many times the dashboard's figures were computed (not read from the cache)."""
    calls = []
    compute = dashboards._dashboard_figures

    def counting(scope, period):
        calls.append((scope, period))
        return compute(scope, period)

    monkeypatch.setattr(dashboards, "_dashboard_figures", counting)
    return calls


def render(client, **query):
    response = client.get(DASHBOARD, {"year": 2025, **query})
    assert response.status_code == 200
    return response.content.decode()


def test_a_new_ledger_row_changes_the_next_dashboard_render(client, staff_user, known_year, computed):
    client.force_login(staff_user)
    assert "¥1,662,777.00" in render(client, institute="all")
    assert "¥1,662,777.00" in render(client, institute="all")
    assert len(computed) == 1  # the second render read the cached figures
    event(K.AGREEMENT_SIGNED, known_year, at(2025, 8, 8), deal_mode="assignment", amount=Decimal("1"))
    html = render(client, institute="all")
    assert "¥1,662,778.00" in html and "¥1,662,777.00" not in html
    assert len(computed) == 2


def test_a_row_written_by_another_process_shows_too(client, staff_user, known_year, computed):
    # bulk_create sends no signal, as for a row written by another process: the newest ledger id does it.
    client.force_login(staff_user)
    render(client, institute="all")
    TransferEvent.objects.bulk_create(
        [
            TransferEvent(
                kind=K.AGREEMENT_SIGNED,
                institute=known_year,
                occurred_at=at(2025, 8, 8),
                deal_mode="assignment",
                amount=Decimal("1"),
                source_type="test.bulk",
                source_id="1",
            )
        ]
    )
    assert "¥1,662,778.00" in render(client, institute="all")
    assert len(computed) == 2


def test_a_row_committed_after_a_newer_one_shows_too(client, staff_user, known_year, computed):
    # A row whose id is below the newest one, committed later by another process (no signal here).
    late = event(K.AGREEMENT_SIGNED, known_year, at(2025, 8, 8), deal_mode="assignment", amount=Decimal("1"))
    event(K.INQUIRY_OPENED, known_year, at(2025, 8, 9))
    TransferEvent.objects.filter(pk=late.pk).delete()  # not yet committed, as far as readers know
    client.force_login(staff_user)
    assert "¥1,662,777.00" in render(client, institute="all")
    TransferEvent.objects.bulk_create([late])
    assert "¥1,662,778.00" in render(client, institute="all")
    assert len(computed) == 2


def test_an_instrument_published_through_wagtail_changes_the_next_render(
    client, staff_user, institute, computed, monkeypatch
):
    # No version bump from signals here: the page log entry Wagtail writes on publishing is enough.
    monkeypatch.setattr(freshness.FIGURES, "current", lambda: 1)
    page = make_instrument(institute, "Laser", published=at(2024, 1, 1))
    page.save_revision().publish()  # the first publication is a ledger row; later ones are not
    client.force_login(staff_user)
    assert "¥200,000.00" in render(client, institute=institute.pk)  # 1 000 000 / 10 + 50 000 + 50 000
    page.purchase_price = Decimal("2000000")
    page.save_revision().publish()
    assert "¥300,000.00" in render(client, institute=institute.pk)
    assert len(computed) == 2


def test_an_instrument_changed_in_code_changes_the_next_render(client, staff_user, institute, computed):
    page = make_instrument(institute, "Laser", published=at(2024, 1, 1))
    client.force_login(staff_user)
    assert "¥200,000.00" in render(client, institute=institute.pk)
    page.annual_staff_share = Decimal("150000")
    page.save()
    assert "¥300,000.00" in render(client, institute=institute.pk)


def test_an_enterprise_changing_size_class_changes_the_next_render(tto, known_year, enterprise):
    counts = {r["key"]: r["count"] for r in dashboards.dashboard([known_year.pk], YEAR)["enterprises"]}
    assert counts["small"] == 1
    enterprise.size_class = "micro"
    enterprise.save()
    counts = {r["key"]: r["count"] for r in dashboards.dashboard([known_year.pk], YEAR)["enterprises"]}
    assert (counts["small"], counts["micro"]) == (0, 1)


def test_listing_views_are_counted_afresh_on_every_render(known_year, instrument, computed):
    assert dashboards.dashboard([known_year.pk], YEAR)["funnel"][0]["value"] == 0
    count_listing_view(page_id=instrument.pk, institute_id=known_year.pk, day=dt.date(2025, 3, 1))
    funnel = dashboards.dashboard([known_year.pk], YEAR)["funnel"]
    assert [(r["key"], r["value"]) for r in funnel][:2] == [("views", 1), ("inquiries", 3)]
    assert funnel[1]["rate"] == Decimal(3)
    assert len(computed) == 1


def test_each_language_scope_and_period_has_its_own_copy(institute, other_institute, computed):
    make_instrument(institute, "Electron microscope")
    with translation.override("en"):
        dashboards.dashboard([institute.pk], YEAR)
        dashboards.dashboard([institute.pk], YEAR)
    with translation.override("zh-hans"):
        dashboards.dashboard([institute.pk], YEAR)
    dashboards.dashboard([other_institute.pk], YEAR)
    dashboards.dashboard(None, YEAR)
    dashboards.dashboard([institute.pk], Period.year(2024))
    assert len(computed) == 5


def test_the_cached_figures_equal_the_computed_ones(known_year):
    first = dashboards.dashboard(None, YEAR)
    assert dashboards.dashboard(None, YEAR) == first == dashboards.dashboard(None, YEAR, cached=False)


def test_public_figures_are_cached_until_the_ledger_changes(known_year):
    assert dashboards.public_figures(YEAR)["deals_total"]["value"] == Decimal("1662777.00")
    event(K.AGREEMENT_SIGNED, known_year, at(2025, 8, 8), deal_mode="assignment", amount=Decimal("1"))
    assert dashboards.public_figures(YEAR)["deals_total"]["value"] == Decimal("1662778.00")


def test_the_cache_key_costs_one_query(known_year):
    freshness.FIGURES.current()
    with CaptureQueriesContext(figures_cache.connection) as queries:
        figures_cache.key("dashboard", None, YEAR)
    assert len(queries) == 1


def test_the_cache_can_be_turned_off(settings, known_year, computed):
    settings.STATISTICS_CACHE_SECONDS = 0
    dashboards.dashboard(None, YEAR)
    dashboards.dashboard(None, YEAR)
    assert len(computed) == 2
