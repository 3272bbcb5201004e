"""Accessibility and phones: axe-core (from the npm registry, `make test-e2e` installs it) finds no serious
or critical violation on the main pages in either language, and the statistics pages fit a phone's width
with their charts titled."""

from pathlib import Path

import pytest

from tests.e2e.conftest import sign_in, text
from tests.e2e.test_tto_exports import this_year  # noqa: F401 - fixture: a licence and a booking this year

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 812}


def serious_violations(page, context=None):
    """axe-core's serious and critical violations on the page as it is now: (rule, [targets])."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async (context) => (await axe.run(context || document, {resultTypes: ['violations']})).violations
             .filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => [v.id, v.nodes.map(n => n.target.join(' '))])""",
        context,
    )
    return violations


@pytest.fixture
def axe_page(browser, live_server, language):
    """A browser context that lets the test inject axe-core despite the site's Content-Security-Policy."""
    context = browser.new_context(bypass_csp=True, locale="zh-CN" if language == "zh-hans" else "en-US")
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies([{"name": "language", "value": language, "domain": host, "path": "/"}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


def test_main_pages_have_no_serious_accessibility_violations(axe_page, language, this_year):  # noqa: F811
    page = axe_page
    from ip_listings.models import ResultPage

    instrument_url = this_year.instrument.url
    result_url = ResultPage.objects.live().first().url
    for path in ["/", "/instruments/", instrument_url, "/results/", result_url, "/stats/", "/accounts/login/",
                 "/accounts/signup/"]:  # fmt: skip
        page.goto(page.base_url + path)
        assert serious_violations(page) == [], (language, path)


def test_the_tto_dashboard_has_no_serious_accessibility_violations_in_its_content(axe_page, language, tto, this_year):  # noqa: F811, E501
    page = axe_page
    sign_in(page, language, tto.email)
    page.goto(page.base_url + "/admin/transfer-statistics/")
    page.get_by_role("heading", name=text(language, "趋势", "Trends")).wait_for()
    assert serious_violations(page, "main") == [], language


@pytest.mark.parametrize("who", ["public", "tto"])
def test_statistics_fit_a_phone_and_every_chart_has_a_title(browser, live_server, language, tto, this_year, who):  # noqa: F811, E501
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies([{"name": "language", "value": language, "domain": host, "path": "/"}])
    page = context.new_page()
    page.base_url = live_server.url
    try:
        if who == "tto":
            sign_in(page, language, tto.email)
            page.goto(live_server.url + "/admin/transfer-statistics/")
        else:
            page.goto(live_server.url + "/stats/")
        page.get_by_role("heading", name=text(language, "趋势", "Trends")).first.wait_for()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than the phone"
        charts = page.locator("figure.chart-figure")
        assert charts.count() >= 4
        for i in range(charts.count()):
            caption = charts.nth(i).locator("figcaption")
            assert caption.inner_text().strip()
            box = charts.nth(i).locator("svg").bounding_box()
            assert box["width"] <= PHONE["width"]
        unit = text(language, "（元）", "(CNY)")
        hours = text(language, "机时", "hours")
        captions = " ".join(charts.locator("figcaption").all_inner_texts())
        assert unit in captions or "(元)" in captions, captions
        assert hours in captions
    finally:
        context.close()
