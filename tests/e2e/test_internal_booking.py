"""A researcher of the owning institute books at the internal tier with a project code (no card, no
invoice); the facility manager sees the request with its code and approves it, which confirms it."""

import pytest

from equipment.models import Booking, BookingStatus, RateTier
from tests.e2e.conftest import sign_in, switch_user, text
from tests.equipment.conftest import make_instrument, slot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_researcher_books_at_the_internal_tier_and_the_manager_confirms_it(
    browser_page, language, institute, researcher, facility_manager
):
    page = browser_page
    instrument = make_instrument(institute, title="扫描电子显微镜", title_en="Scanning electron microscope")
    sign_in(page, language, researcher.email)

    # The listing invites the researcher to book; the form shows the internal rate and asks for a code.
    page.goto(page.base_url + instrument.url)
    page.get_by_role("link", name=text(language, "申请预约", "Request a booking")).first.click()
    assert text(language, "院内（本机构）", "Internal (own institute)") in page.content()
    assert page.locator("[name=tier]").count() == 0
    start, end = slot(days_ahead=3, hour=9, hours=2)
    page.get_by_label(text(language, "日期", "Date")).fill(start.strftime("%Y-%m-%d"))
    page.get_by_label(text(language, "开始时间", "From")).fill("09:00")
    page.get_by_label(text(language, "结束时间", "Until")).fill("11:00")
    page.get_by_label(text(language, "项目或成本中心编号", "Project or cost-centre code")).fill("NSFC-52071234")
    page.get_by_role("button", name=text(language, "申请该时段", "Request this slot")).click()
    page.get_by_text(text(language, "您的预约申请已记录。", "Your booking request is recorded.")).wait_for()

    booking = Booking.objects.get()
    assert (booking.tier, booking.organization_id, booking.enterprise_id) == (RateTier.INTERNAL, institute.pk, None)
    assert (booking.charge_code, booking.start, booking.end) == ("NSFC-52071234", start, end)
    # Charged internally: the booking page says so and offers no payment.
    assert "NSFC-52071234" in page.content()
    assert page.get_by_role("button", name=text(language, "支付", "Pay")).count() == 0

    # The facility manager sees the request with its code and approves it: confirmed at once.
    switch_user(page, language, facility_manager.email)
    page.goto(page.base_url + "/equipment/manage/")
    row = page.get_by_role("row").filter(has_text="NSFC-52071234")
    assert row.count() == 1
    row.get_by_role("link").first.click()
    page.get_by_role("button", name=text(language, "批准", "Approve")).click()
    page.get_by_text(text(language, "已批准。", "Approved.")).wait_for()
    assert text(language, "已确认", "Confirmed") in page.get_by_role("heading", level=1).inner_text()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
