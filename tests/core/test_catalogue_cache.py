"""Cached catalogue figures and cached anonymous pages never show a stale catalogue.

Counts, city choices and search answers are cached per catalogue version; whole public pages are cached
for anonymous visitors per language and per catalogue and availability version. Every change a visitor
could see must reach the very next request.
"""

import re

import pytest
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import override

from equipment import services as equipment_services
from marketplace.core import catalogue_cache, pagecache
from marketplace.statistics.models import ListingView
from tests.equipment.conftest import make_instrument, slot
from tests.factories import make_institute
from tests.ip_listings.conftest import make_result

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0"}


def found(response):
    """The "N instruments found" / "N results found" figure of a browse page."""
    match = re.search(r"(\d+) (?:instruments?|results?) found", response.content.decode())
    assert match, "no count on the page"
    return int(match.group(1))


@pytest.fixture
def instrument(institute):
    return make_instrument(institute)


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 60
    return settings


# --- counts, facet choices and search answers -----------------------------------------------------------


@pytest.mark.django_db
def test_instrument_count_follows_publication_and_unpublication(client, institute):
    make_instrument(institute)
    assert found(client.get("/instruments/")) == 1
    second = make_instrument(institute, title="质谱仪", title_en="Mass spectrometer")
    assert found(client.get("/instruments/")) == 2
    second.unpublish()
    assert found(client.get("/instruments/")) == 1


@pytest.mark.django_db
def test_result_count_follows_publication_and_deletion(client, institute):
    make_result(institute)
    assert found(client.get("/results/")) == 1
    other = make_result(institute, title="固态电池", title_en="Solid-state battery")
    assert found(client.get("/results/")) == 2
    other.delete()
    assert found(client.get("/results/")) == 1


@pytest.mark.django_db
def test_a_repeated_browse_page_does_not_count_again(client, institute, django_assert_max_num_queries):
    make_instrument(institute)

    with CaptureQueriesContext(connection) as first:
        client.get("/instruments/")
    with CaptureQueriesContext(connection) as second:
        client.get("/instruments/")
    counts = [q["sql"] for q in second.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert counts == []
    assert len(second) < len(first)


@pytest.mark.django_db
def test_city_choices_follow_a_new_institute_with_instruments(client, institute):
    institute.city = "合肥"
    institute.save()
    make_instrument(institute)
    assert "合肥" in client.get("/instruments/").content.decode()
    north = make_institute("北方测试研究所", "North Test Institute", slug="north-test", city="长春")
    assert "长春" not in client.get("/instruments/").content.decode()  # no instrument yet
    make_instrument(north, title="质谱仪", title_en="Mass spectrometer")
    assert "长春" in client.get("/instruments/").content.decode()


@pytest.mark.django_db
def test_search_answer_follows_publication(client, institute):
    make_instrument(institute)
    assert found(client.get("/instruments/", {"q": "质谱"})) == 0
    make_instrument(institute, title="高分辨质谱仪", title_en="High-resolution mass spectrometer")
    assert found(client.get("/instruments/", {"q": "质谱"})) == 1


@pytest.mark.django_db
def test_cached_figures_are_off_when_configured(settings, institute):
    settings.CATALOGUE_CACHE_SECONDS = 0
    calls = []
    for _ in range(2):
        catalogue_cache.cached("probe", lambda: calls.append(1) or len(calls))
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_version_bump_makes_the_next_answer_fresh(institute):
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert catalogue_cache.cached("probe", compute) == 1
    assert catalogue_cache.cached("probe", compute) == 1
    catalogue_cache.bump()
    assert catalogue_cache.cached("probe", compute) == 2


# --- whole pages for anonymous visitors ------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_browse_page_is_served_from_the_cache(client, page_cache, institute):
    make_instrument(institute)
    first = client.get("/instruments/")
    second = client.get("/instruments/")
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert "Cookie" in second["Vary"]


@pytest.mark.django_db
def test_a_publication_reaches_the_next_anonymous_visitor(client, page_cache, institute):
    make_instrument(institute)
    assert found(client.get("/instruments/")) == 1
    assert client.get("/instruments/")["X-Page-Cache"] == "hit"
    make_instrument(institute, title="质谱仪", title_en="Mass spectrometer")
    response = client.get("/instruments/")
    assert response["X-Page-Cache"] == "miss"
    assert found(response) == 2


@pytest.mark.django_db
def test_a_booking_reaches_the_next_anonymous_view_of_the_week(client, page_cache, instrument, buyer, enterprise):
    start, end = slot(days_ahead=3, hour=10)
    url = instrument.url + f"?week={start.date().isoformat()}"
    before = client.get(url, **BROWSER)
    assert client.get(url, **BROWSER)["X-Page-Cache"] == "hit"
    equipment_services.request_booking(instrument=instrument, user=buyer, enterprise=enterprise, start=start, end=end)
    after = client.get(url, **BROWSER)
    assert after["X-Page-Cache"] == "miss"
    assert after.content != before.content


@pytest.mark.django_db
def test_each_language_has_its_own_cached_page(client, page_cache, institute):
    make_instrument(institute)
    client.cookies["language"] = "en"
    english = client.get("/instruments/")
    client.cookies["language"] = "zh-hans"
    chinese = client.get("/instruments/")
    assert chinese["X-Page-Cache"] == "miss"
    assert "Scanning electron microscope" in english.content.decode()
    assert "扫描电子显微镜" in chinese.content.decode()
    assert "instruments found" not in chinese.content.decode()


@pytest.mark.django_db
def test_signed_in_people_always_get_a_fresh_page(client, page_cache, institute, buyer):
    make_instrument(institute)
    client.get("/instruments/")  # an anonymous visitor fills the cache
    client.force_login(buyer)
    response = client.get("/instruments/")
    assert "X-Page-Cache" not in response
    assert "Sign out" in response.content.decode()


@pytest.mark.django_db
def test_a_visitor_with_waiting_messages_gets_a_fresh_page(client, page_cache, institute):
    make_instrument(institute)
    client.get("/instruments/")
    client.cookies["messages"] = "anything"
    assert "X-Page-Cache" not in client.get("/instruments/")


@pytest.mark.django_db
def test_listing_views_are_counted_on_cached_pages(client, page_cache, instrument):
    for _ in range(3):
        client.get(instrument.url, **BROWSER)
    assert ListingView.objects.get(page_id=instrument.pk).count == 3


@pytest.mark.django_db
def test_views_after_a_bot_filled_the_cache_still_count(client, page_cache, instrument):
    client.get(instrument.url, HTTP_USER_AGENT="Googlebot/2.1")
    assert not ListingView.objects.filter(page_id=instrument.pk).exists()
    client.get(instrument.url, **BROWSER)
    client.get(instrument.url, HTTP_USER_AGENT="curl/8.0")
    client.get(instrument.url, **BROWSER)
    assert ListingView.objects.get(page_id=instrument.pk).count == 2


@pytest.mark.django_db
def test_a_cached_listing_page_costs_only_its_view_count(client, page_cache, instrument, django_assert_num_queries):
    client.get(instrument.url, **BROWSER)
    with django_assert_num_queries(1):  # the listing view counter's UPDATE; no page lookup
        assert client.get(instrument.url, **BROWSER)["X-Page-Cache"] == "hit"


@pytest.mark.django_db
def test_an_unpublished_listing_page_is_gone_at_once(client, page_cache, instrument):
    assert client.get(instrument.url, **BROWSER).status_code == 200
    url = instrument.url
    instrument.unpublish()
    assert client.get(url, **BROWSER).status_code == 404


@pytest.mark.django_db
def test_a_page_that_used_a_csrf_token_is_never_stored(page_cache, institute):
    request = RequestFactory().get("/somewhere/")
    request.COOKIES = {}

    def render():
        return HttpResponse(f"token {get_token(request)}")

    with override("en"):
        response = pagecache.serve_cached(request, render)
    assert "X-Page-Cache" not in response
    again = RequestFactory().get("/somewhere/")
    again.COOKIES = {}
    with override("en"):
        fresh = pagecache.serve_cached(again, lambda: HttpResponse("fresh"))
    assert fresh["X-Page-Cache"] == "miss"
    assert fresh.content == b"fresh"


@pytest.mark.django_db
def test_error_pages_are_not_stored(client, page_cache):
    client.get("/instruments/", {"page": "x"})  # a bad page number still answers 200 (first page)
    assert client.get("/no-such-page/").status_code == 404
    assert "X-Page-Cache" not in client.get("/no-such-page/")


# --- the language links ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_link_sets_the_cookie_and_returns(client):
    response = client.get(reverse("switch_language", args=["en"]), {"next": "/instruments/?kind=pilot"})
    assert response.status_code == 302
    assert response["Location"] == "/instruments/?kind=pilot"
    assert response.cookies["language"].value == "en"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_language_link_never_sends_elsewhere(client):
    response = client.get(reverse("switch_language", args=["zh-hans"]), {"next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_an_unknown_language_is_refused(client):
    response = client.get(reverse("switch_language", args=["xx"]))
    assert response.status_code == 404
    assert "language" not in response.cookies


@pytest.mark.django_db
def test_pages_offer_the_other_language_as_a_link(client):
    client.cookies["language"] = "en"
    body = client.get("/").content.decode()
    assert 'href="/language/zh-hans/?next=/"' in body
    assert "csrfmiddlewaretoken" not in body


# --- indexes the browse pages rely on -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_browse_sort_and_search_indexes_exist():
    """The page title (sort by name) is indexed everywhere; on PostgreSQL, the search index's
    `title || body` expression has its GIN index (SQLite searches its own full-text tables)."""
    with connection.cursor() as cursor:
        page_indexes = connection.introspection.get_constraints(cursor, "wagtailcore_page")
        search_indexes = connection.introspection.get_constraints(cursor, "wagtailsearch_indexentry")
    assert "cms_page_title_idx" in page_indexes
    assert ("core_search_title_body_gin" in search_indexes) == (connection.vendor == "postgresql")
