"""The instrument calendar in a real browser: the first linked cell of an instrument that opens at 08:30
books at once (start and shortest end filled in); the grid speaks the visitor's language; a keyboard
reaches the cell links."""

from datetime import datetime, time

import pytest
from django.utils import timezone

from equipment.models import Booking, BookingStatus
from tests.e2e.conftest import sign_in, text
from tests.e2e.test_accessibility import axe_page, serious_violations  # noqa: F401 - axe_page is a fixture
from tests.equipment.conftest import make_instrument

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CELL_LINKS = "table.week-calendar a[href*='/equipment/book/']"


@pytest.fixture
def half_past(institute):
    """Open 08:30–17:30 every day; 60-minute steps, 24 hours' notice."""
    return make_instrument(
        institute,
        title="原子力显微镜",
        title_en="Atomic force microscope",
        hours=[(day, time(8, 30), time(17, 30)) for day in range(7)],
    )


def _open_week_with_links(page, language, instrument):
    page.goto(page.base_url + instrument.url)
    if page.locator(CELL_LINKS).count() == 0:  # on a Sunday, tomorrow is next week
        page.get_by_role("link", name=text(language, "下一周", "Next week")).click()
    page.locator(CELL_LINKS).first.wait_for()


def test_first_linked_cell_books_with_start_and_end_filled_in(browser_page, language, half_past, buyer, enterprise):
    page = browser_page
    sign_in(page, language, buyer.email)
    _open_week_with_links(page, language, half_past)

    # The grid speaks the visitor's language and says what a link does.
    first = page.locator(CELL_LINKS).first
    assert first.inner_text().strip() == text(language, "空闲", "free")
    label = first.get_attribute("aria-label")
    assert label.startswith(text(language, "空闲: 预约", "free: Book ")), label  # the visible text first
    assert page.get_by_role("link", name=text(language, "月", "Month")).is_visible()

    first.click()
    date_field = page.get_by_label(text(language, "日期", "Date"))
    start_field = page.get_by_label(text(language, "开始时间", "From"))
    end_field = page.get_by_label(text(language, "结束时间", "Until"))
    assert start_field.input_value().endswith(":30")  # on the steps from the opening time
    start_value = start_field.input_value()
    end_value = end_field.input_value()
    assert (int(end_value[:2]) - int(start_value[:2]), end_value[3:]) == (1, "30")  # the shortest: one hour
    day = date_field.input_value()
    page.get_by_role("button", name=text(language, "申请该时段", "Request this slot")).click()
    page.get_by_text(text(language, "您的预约申请已记录。", "Your booking request is recorded.")).wait_for()

    booking = Booking.objects.get()
    start = timezone.make_aware(datetime.combine(datetime.fromisoformat(day).date(), time.fromisoformat(start_value)))
    assert (booking.user_id, booking.enterprise_id, booking.status) == (
        buyer.pk,
        enterprise.pk,
        BookingStatus.REQUESTED,
    )
    assert (booking.start, (booking.end - booking.start).total_seconds()) == (start, 3600)
    assert timezone.localtime(booking.start).minute == 30

    # Back on the calendar the booking is marked as the buyer's own.
    page.goto(page.base_url + half_past.url + f"?week={day}")
    assert page.locator("table.week-calendar td.slot-mine").count() == 1
    assert page.locator("table.week-calendar td.slot-mine").inner_text().strip() == text(language, "我的", "yours")


def test_keyboard_reaches_a_cell_link(browser_page, language, half_past, buyer):
    page = browser_page
    sign_in(page, language, buyer.email)
    _open_week_with_links(page, language, half_past)
    page.get_by_role("link", name=text(language, "下一周", "Next week")).focus()
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('table.week-calendar') !== null"):
            break
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused and "/equipment/book/" in focused
    page.keyboard.press("Enter")
    page.get_by_role("button", name=text(language, "申请该时段", "Request this slot")).wait_for()
    start_field = page.get_by_label(text(language, "开始时间", "From"))
    assert start_field.input_value().endswith(":30")
    # The end is a list of the valid ends; another start makes it a plain time field.
    assert page.locator("select#id_end_time").count() == 1
    start_field.fill("10:30")
    start_field.dispatch_event("change")
    assert page.locator("input#id_end_time[type=time]").count() == 1


def test_month_view_leads_to_a_week_with_links(browser_page, language, half_past, buyer):
    page = browser_page
    sign_in(page, language, buyer.email)
    page.goto(page.base_url + half_past.url)
    page.get_by_role("link", name=text(language, "月", "Month"), exact=True).click()
    page.locator("table.month-calendar").wait_for()
    days = page.locator("table.month-calendar a")
    if days.count() == 0:  # the last day of a month: nothing left to book in it
        page.get_by_role("link", name=text(language, "下个月", "Next month")).click()
    label = days.first.get_attribute("aria-label")
    assert text(language, "起可预约", "bookable from") in label
    days.first.click()
    page.locator(CELL_LINKS).first.wait_for()
    assert page.get_by_role("link", name=text(language, "月", "Month"), exact=True).is_visible()


def test_the_calendar_has_no_serious_accessibility_violations(axe_page, language, half_past, buyer):  # noqa: F811
    """For a booker (links, own bookings, reasons) in the week and the month view."""
    page = axe_page
    sign_in(page, language, buyer.email)
    for query in ("", "?view=month"):
        page.goto(page.base_url + half_past.url + query)
        assert serious_violations(page, ".table-wrap") == [], (language, query)
