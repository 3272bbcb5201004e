"""CSV and XLSX exports: the annual transfer report (count and value by mode) and instrument usage.

Headers follow the active language; numbers stay numbers (Decimal → XLSX numeric cells); text cells go
through marketplace.core.safe_export, so a name starting with "=" is never read as a formula.
"""

import csv
import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from marketplace.core.safe_export import append_xlsx_row, write_csv_row

from .selectors import figures, instruments


def annual_report_table(scope, period):
    """(headers, rows) in the layout of the annual transfer report, with a total row."""
    rows = figures.deals_by_mode(scope, period)
    total = figures.deals_total(rows)
    headers = [_("Mode of transfer"), _("Number of contracts"), _("Contract value (CNY)")]
    body = [[str(r["label"]), r["count"], r["value"]] for r in rows]
    body.append([_("Total"), total["count"], total["value"]])
    return headers, body


def instrument_usage_table(scope, period):
    rows = instruments.instrument_usage(scope, period)
    totals = instruments.instrument_totals(rows)
    headers = [
        _("Instrument"),
        _("Completed bookings"),
        _("Booked hours"),
        _("Used hours"),
        _("Available hours"),
        _("Utilisation (%)"),
        _("Income (CNY)"),
        _("Cost (CNY)"),
        _("Surplus or deficit (CNY)"),
    ]

    def pct(value):
        return (value * 100).quantize(Decimal("0.1")) if value is not None else ""

    def q(value):  # two places whatever the database returned
        return Decimal(value).quantize(Decimal("0.01"))

    body = [
        [
            r.title,
            r.bookings,
            q(r.booked_hours),
            q(r.used_hours),
            q(r.available_hours),
            pct(r.utilisation),
            q(r.income),
            q(r.cost),
            q(r.surplus),
        ]
        for r in rows
    ]
    body.append(
        [
            _("Total"),
            totals["bookings"],
            q(totals["booked_hours"]),
            q(totals["used_hours"]),
            q(totals["available_hours"]),
            pct(totals["utilisation"]),
            q(totals["income"]),
            q(totals["cost"]),
            q(totals["surplus"]),
        ]
    )
    return headers, body


def heading_lines(institute, period):
    who = institute.display_name if institute is not None else _("All institutes")
    return [[_("Institute"), who], [_("Period"), f"{period.first_day:%Y-%m-%d} – {period.last_day:%Y-%m-%d}"]]


def to_csv(headers, rows, preamble=()) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in preamble:
        write_csv_row(writer, line)
    if preamble:
        writer.writerow([])
    write_csv_row(writer, headers)
    for row in rows:
        write_csv_row(writer, row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(title, headers, rows, preamble=()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    append_xlsx_row(sheet, [title])
    sheet["A1"].font = Font(bold=True, size=13)
    for line in preamble:
        append_xlsx_row(sheet, line)
    sheet.append([])
    for cell in append_xlsx_row(sheet, headers):
        cell.font = Font(bold=True)
    last = []
    for row in rows:
        last = append_xlsx_row(sheet, row)
    for cell in last:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=len(preamble) + 3):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    sheet.column_dimensions["A"].width = 36
    for letter in "BCDEFGHI":
        sheet.column_dimensions[letter].width = 16
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
