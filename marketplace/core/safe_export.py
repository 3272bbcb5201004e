"""Spreadsheet exports that are safe to open (CSV and XLSX formula injection, OWASP).

Text a person typed (an institute, enterprise or instrument name) that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return would be run as a formula by Excel, LibreOffice or Google Sheets.
Every export writer goes through this module:

- CSV: such a text cell is prefixed with a single quote, so the spreadsheet shows it as text;
- XLSX: every text cell is written as a string cell (openpyxl data type ``s``), never as a formula,
  and such a text is marked with Excel's quote prefix so that editing the cell keeps it text.

Numbers (``int``, ``Decimal``, ``float``) stay numbers, negative ones included; dates stay dates in XLSX.
"""

import datetime as dt
from decimal import Decimal

from openpyxl.cell.cell import Cell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_NUMBERS = (int, float, Decimal)


def is_number(value) -> bool:
    return isinstance(value, _NUMBERS) and not isinstance(value, bool)


def neutralise(text: str) -> str:
    """The text as it must appear in a CSV cell: a leading quote if a spreadsheet would read a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_cell(value):
    """One CSV cell: None → empty, numbers unchanged, dates in ISO form, any text neutralised."""
    if value is None:
        return ""
    if is_number(value):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return neutralise(str(value))


def csv_row(values) -> list:
    return [csv_cell(v) for v in values]


def write_csv_row(writer, values) -> None:
    """Write one row through a ``csv.writer`` with every cell made safe."""
    writer.writerow(csv_row(values))


def xlsx_cell(value):
    """The value to give openpyxl: numbers and dates unchanged, anything else as its text."""
    if value is None or is_number(value) or isinstance(value, (bool, dt.date, dt.datetime, dt.time)):
        return value
    return str(value)


def append_xlsx_row(sheet, values) -> list:
    """Append one row to an openpyxl worksheet; text cells are string cells whatever they start with."""
    cells = []
    for value in values:
        value = xlsx_cell(value)
        cell = Cell(sheet, value=value)
        if isinstance(value, str):
            # openpyxl takes a string starting with "=" for a formula; force the plain string type.
            cell.data_type = "s"
            if value.startswith(FORMULA_PREFIXES):
                cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
        cells.append(cell)
    sheet.append(cells)
    return cells
