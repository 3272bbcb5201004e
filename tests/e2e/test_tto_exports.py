"""A TTO officer opens the transfer statistics in the admin and downloads the annual report and the
instrument usage; the files hold this year's licence and booking, in the officer's language."""

import csv
import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from equipment import services as equipment
from ip_listings import services as ip_listings
from ip_listings.models import DealMode, Territory
from tests.e2e.conftest import sign_in, text
from tests.equipment.conftest import make_instrument
from tests.ip_listings.conftest import make_result, offer

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def this_year(institute, enterprise, buyer, facility_manager, tto):
    """Through the domain services: an express non-exclusive licence paid by invoice (¥80,000) and a
    one-hour booking of today 00:00 completed with 1.5 hours of use."""
    result = make_result(
        institute,
        offers=[
            offer(DealMode.NON_EXCLUSIVE, express=True, upfront_fee=Decimal("80000"), territory=Territory.WORLDWIDE)
        ],
    )
    agreement = ip_listings.accept_express_offer(
        result.offers.get(), buyer=buyer, enterprise=enterprise, accept_terms=True
    )
    ip_listings.confirm_agreement_payment(agreement, actor=tto, reference="INV-2026-001")

    instrument = make_instrument(institute, hours=[(d, time(0), time(23, 59)) for d in range(7)])
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time(0)))
    booking = equipment.request_booking(
        instrument=instrument,
        user=buyer,
        enterprise=enterprise,
        start=start,
        end=start + timedelta(hours=1),
        now=start - timedelta(days=2),
    )
    equipment.approve_booking(booking, actor=facility_manager)
    equipment.confirm_booking(booking, actor=facility_manager, reference="INV-2026-002")
    equipment.complete_booking(booking, actor=facility_manager, hours="1.5")
    booking.refresh_from_db()
    return booking


def _download(page, link_name):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    with open(download.path(), "rb") as f:
        return download.suggested_filename, f.read()


def test_tto_downloads_the_annual_report_and_instrument_usage(browser_page, language, institute, tto, this_year):
    page = browser_page
    year = timezone.localdate().year
    sign_in(page, language, tto.email)
    page.goto(page.base_url + "/admin/")
    page.get_by_role("link", name=text(language, "转移转化统计", "Transfer statistics")).click()
    page.get_by_role("heading", name=text(language, "转移转化统计", "Transfer statistics")).first.wait_for()

    # The annual report, as a workbook.
    name, content = _download(page, text(language, "年度转化报告（XLSX）", "Annual transfer report (XLSX)"))
    assert name == f"annual-{institute.slug}-{year}.xlsx"
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == text(language, "年度转化报告", "Annual transfer report")
    by_label = {row[0]: row[1:3] for row in rows if row and row[0]}
    assert by_label[text(language, "转化方式", "Mode of transfer")] == (
        text(language, "合同数", "Number of contracts"),
        text(language, "合同金额（元）", "Contract value (CNY)"),
    )
    assert by_label[text(language, "— 普通许可", "— non-exclusive (普通)")] == (1, 80000)
    assert by_label[text(language, "许可", "Licence (许可)")] == (1, 80000)
    assert by_label[text(language, "合计", "Total")] == (1, 80000)

    # Instrument usage, as CSV.
    name, content = _download(page, text(language, "仪器使用情况（CSV）", "Instrument usage (CSV)"))
    assert name == f"instruments-{institute.slug}-{year}.csv"
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    head = [row[:1] for row in table].index([text(language, "仪器", "Instrument")])
    assert table[head][1:4] == [
        text(language, "已完成预约", "Completed bookings"),
        text(language, "预约机时", "Booked hours"),
        text(language, "实际使用机时", "Used hours"),
    ]
    rows = {row[0]: row for row in table[head + 1 :]}
    instrument_row = rows[text(language, "扫描电子显微镜", "Scanning electron microscope")]
    assert instrument_row[1:4] == ["1", "1.00", "1.50"]
    assert Decimal(instrument_row[6]) == this_year.price_amount
    assert rows[text(language, "合计", "Total")][1] == "1"
