"""The TTO dashboard, the exports and the public impact page."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from marketplace.statistics.periods import Period
from marketplace.statistics.selectors import dashboards, instruments

from .conftest import K, at, event

pytestmark = pytest.mark.django_db
DASHBOARD = "/admin/transfer-statistics/"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def test_tto_sees_their_institutes_figures_and_charts(client, tto, known_year):
    client.force_login(tto)
    response = client.get(DASHBOARD, {"year": 2025})
    assert response.status_code == 200
    html = response.content.decode()
    assert "East Test Institute" in html
    assert "¥885,000.00" in html  # contract value
    assert "<svg" in html and 'class="bar"' in html and 'class="line"' in html
    assert "777,777" not in html  # the other institute's deal
    assert "North Test Institute" not in html


def test_tto_cannot_open_another_institute(client, tto, other_institute, known_year):
    client.force_login(tto)
    assert client.get(DASHBOARD, {"institute": other_institute.pk, "year": 2025}).status_code == 404
    assert client.get(DASHBOARD, {"institute": "all", "year": 2025}).status_code == 404
    export = reverse("statistics_export", args=["annual", "csv"])
    assert client.get(export, {"institute": other_institute.pk, "year": 2025}).status_code == 404


def test_people_without_a_tto_role_are_refused(client, researcher, buyer, known_year):
    for user in (researcher, buyer):
        client.force_login(user)
        assert client.get(DASHBOARD).status_code in (302, 403)


def test_the_menu_item_shows_for_a_tto_only(client, tto, researcher):
    client.force_login(tto)
    assert "Transfer statistics" in client.get("/admin/").content.decode()
    client.force_login(researcher)
    assert "Transfer statistics" not in client.get("/admin/").content.decode()


def test_staff_see_every_institute_and_the_total(client, staff_user, known_year, other_institute):
    client.force_login(staff_user)
    html = client.get(DASHBOARD, {"institute": "all", "year": 2025}).content.decode()
    assert "All institutes" in html
    assert "¥1,662,777.00" in html  # 885 000 + 777 777
    html = client.get(DASHBOARD, {"institute": other_institute.pk, "year": 2025}).content.decode()
    assert "¥777,777.00" in html


def test_dashboard_lists_the_busiest_instruments_and_totals_all(client, staff_user, known_year, monkeypatch):

    monkeypatch.setattr(dashboards, "DASHBOARD_INSTRUMENTS", 1)
    client.force_login(staff_user)
    response = client.get(DASHBOARD, {"institute": "all", "year": 2025})
    figures = response.context["figures"]
    busiest = instruments.instrument_usage(None, Period.year(2025))[0]
    assert [row.pk for row in figures["instruments"]] == [busiest.pk]
    assert figures["instrument_totals"]["instruments"] == 2
    assert "The 1 busiest of 2 instruments are listed" in response.content.decode()


def test_dashboard_period_from_and_to_dates(client, tto, known_year):
    client.force_login(tto)
    html = client.get(DASHBOARD, {"date_from": "2025-01-01", "date_to": "2025-03-31"}).content.decode()
    assert "¥400,000.00" in html  # assignment 100 000 + exclusive 300 000
    html = client.get(DASHBOARD, {"date_from": "2025-03-31", "date_to": "2025-01-01"}).content.decode()
    assert "The last day cannot be before the first day." in html


def test_dashboard_in_chinese(client, tto, known_year):
    client.force_login(tto)
    client.cookies["language"] = "zh-hans"
    html = client.get(DASHBOARD, {"year": 2025}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "转移转化统计" in html
    assert "作价投资" in html


def test_annual_xlsx_has_the_report_layout(client, tto, known_year):
    client.force_login(tto)
    response = client.get(reverse("statistics_export", args=["annual", "xlsx"]), {"year": 2025})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="annual-east-test-2025.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows.index(["Mode of transfer", "Number of contracts", "Contract value (CNY)"])
    table = {r[0]: (r[1], Decimal(str(r[2]))) for r in rows[header + 1 :]}
    assert table["Assignment (转让)"] == (1, Decimal("100000"))
    assert table["Licence (许可)"] == (3, Decimal("375000"))
    assert table["— non-exclusive (普通)"] == (2, Decimal("75000"))
    assert table["Equity investment (作价投资)"] == (1, Decimal("400000"))
    assert table["Other (其他)"] == (1, Decimal("10000"))
    assert table["Total"] == (6, Decimal("885000"))


def test_annual_csv_headers_follow_the_language(client, tto, known_year):
    client.force_login(tto)
    client.cookies["language"] = "zh-hans"
    response = client.get(reverse("statistics_export", args=["annual", "csv"]), {"year": 2025})
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["转化方式", "合同数", "合同金额（元）"] in rows
    assert rows[-1] == ["合计", "6", "885000.00"]


def test_instrument_usage_csv(client, tto, known_year, instrument):
    client.force_login(tto)
    response = client.get(reverse("statistics_export", args=["instruments", "csv"]), {"year": 2025})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    line = next(r for r in rows if r and r[0] == "Electron microscope")
    assert line == [
        "Electron microscope",
        "2",
        "10.00",
        "9.50",
        "1000.00",
        "1.0",
        "4500.00",
        "200150.00",
        "-195650.00",
    ]


def test_public_page_shows_platform_totals_in_both_languages(client, known_year):
    response = client.get("/stats/", {"year": 2025})
    html = response.content.decode()
    assert response.status_code == 200
    assert "¥1,662,777.00" in html
    assert "<svg" in html
    assert "East Test Institute" not in html and "Test Enterprise" not in html  # aggregates only
    client.cookies["language"] = "zh-hans"
    html = client.get("/stats/", {"year": 2025}).content.decode()
    assert "平台成效" in html


def test_public_figures_are_cached_briefly(client, known_year, django_assert_max_num_queries):
    client.get("/stats/", {"year": 2025})
    event(K.AGREEMENT_SIGNED, known_year, at(2025, 8, 8), deal_mode="assignment", amount=Decimal("1"))
    assert "¥1,662,777.00" in client.get("/stats/", {"year": 2025}).content.decode()
