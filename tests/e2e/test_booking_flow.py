"""An enterprise buyer finds an instrument, books a free slot, sees it in "My bookings" and cancels it."""

import re

import pytest

from equipment.models import ACTIVE_STATUSES, Booking, BookingStatus, InstrumentCategory
from tests.e2e.conftest import sign_in, text
from tests.equipment.conftest import make_instrument, slot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def catalogue(institute):
    """The instrument the buyer wants, one that matches the words but not the category, and one that
    matches the category but not the words."""
    wanted = make_instrument(institute, title="扫描电子显微镜", title_en="Scanning electron microscope")
    make_instrument(
        institute,
        title="透射电子显微镜",
        title_en="Transmission electron microscope",
        category=InstrumentCategory.objects.get(slug="mass-spectrometry"),
    )
    make_instrument(institute, title="电子探针分析仪", title_en="Electron probe analyser")
    return wanted


def test_buyer_searches_books_a_free_slot_and_cancels_it(browser_page, language, catalogue, buyer, enterprise):
    page = browser_page
    sign_in(page, language, buyer.email)

    # Search with words and a facet.
    page.goto(page.base_url + "/instruments/")
    page.get_by_label(text(language, "搜索", "Search")).fill(text(language, "显微镜", "microscope"))
    page.get_by_label(text(language, "类别", "Category")).select_option(
        label=text(language, "电子光学仪器", "Electron optics")
    )
    page.get_by_role("button", name=text(language, "查找仪器", "Show instruments")).click()
    page.get_by_text(text(language, "找到 1 台仪器", "1 instrument found")).wait_for()
    wanted_title = text(language, "扫描电子显微镜", "Scanning electron microscope")
    results = page.locator("article")
    assert results.count() == 1
    results.get_by_role("link", name=wanted_title).click()

    # The listing shows the rate at cost with its breakdown.
    page.get_by_role("heading", name=wanted_title).wait_for()
    breakdown = page.get_by_role("table").filter(
        has_text=text(language, "每小时，按成本构成计算", "Per hour, from the cost model")
    )
    for label in (
        text(language, "折旧", "Depreciation"),
        text(language, "耗材", "Consumables"),
        text(language, "全成本每小时收费", "Full-cost hourly rate"),
    ):
        assert breakdown.get_by_role("rowheader", name=label).is_visible()
    # 300,000 depreciation + 120,000 maintenance + 80,000 staff over 2,000 h = 250.00, + 35.50 + 12.25 + 60.00.
    assert "357.75" in breakdown.inner_text()

    # Book a free slot three days ahead.
    page.get_by_role("link", name=text(language, "申请预约", "Request a booking")).click()
    start, end = slot(days_ahead=3, hour=9, hours=2)
    page.get_by_label(text(language, "日期", "Date")).fill(start.strftime("%Y-%m-%d"))
    page.get_by_label(text(language, "开始时间", "From")).fill("09:00")
    page.get_by_label(text(language, "结束时间", "Until")).fill("11:00")
    page.get_by_label(text(language, "用途与样品", "Purpose and samples")).fill(
        text(language, "观察陶瓷断口形貌", "Fracture surfaces of ceramics")
    )
    page.get_by_role("button", name=text(language, "申请该时段", "Request this slot")).click()
    page.get_by_text(text(language, "您的预约申请已记录。", "Your booking request is recorded.")).wait_for()

    booking = Booking.objects.get()
    assert (booking.instrument_id, booking.enterprise_id, booking.user_id) == (catalogue.pk, enterprise.pk, buyer.pk)
    assert (booking.start, booking.end, booking.status) == (start, end, BookingStatus.REQUESTED)
    assert str(booking.price_amount) == "715.50"  # 2 h at the enterprise rate, frozen on the booking

    # The same slot is now taken for everyone else.
    page.goto(page.base_url + f"/equipment/book/{catalogue.pk}/")
    page.get_by_label(text(language, "日期", "Date")).fill(start.strftime("%Y-%m-%d"))
    page.get_by_label(text(language, "开始时间", "From")).fill("10:00")
    page.get_by_label(text(language, "结束时间", "Until")).fill("12:00")
    page.get_by_role("button", name=text(language, "申请该时段", "Request this slot")).click()
    page.get_by_text(
        text(language, "该时段已被预约，请选择其他时间。", "That slot is already taken. Choose another time.")
    ).wait_for()
    assert Booking.objects.count() == 1

    # My bookings lists it; the buyer withdraws the request (not yet approved: at any time).
    page.get_by_role("link", name=text(language, "我的账户", "My account")).click()
    page.get_by_role("link", name=text(language, "我的预约", "My bookings")).click()
    row = page.get_by_role("row").filter(has_text=wanted_title)
    assert row.count() == 1
    assert text(language, "已申请", "Requested") in row.inner_text()
    assert start.strftime("%Y-%m-%d 09:00") in row.inner_text()
    row.get_by_role("link", name=text(language, "详情", "Details")).click()
    page.get_by_label(text(language, "原因", "Reason")).fill(text(language, "样品未准备好", "Samples not ready"))
    page.get_by_role("button", name=text(language, "撤回此申请", "Withdraw this request")).click()
    page.get_by_text(text(language, "预约已取消。", "The booking is cancelled.")).wait_for()
    assert re.search(text(language, "已取消", "Cancelled"), page.get_by_role("heading", level=1).inner_text())

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert list(booking.transitions.order_by("pk").values_list("to_status", "actor", "note")) == [
        (BookingStatus.REQUESTED, buyer.pk, ""),
        (BookingStatus.CANCELLED, buyer.pk, text(language, "样品未准备好", "Samples not ready")),
    ]
    # The slot is free again.
    assert not Booking.objects.filter(instrument=catalogue, status__in=ACTIVE_STATUSES).exists()
