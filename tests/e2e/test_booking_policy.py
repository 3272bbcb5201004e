"""Before committing, the buyer reads the price, the cancellation deadline and what happens next; a
rejection carries the manager's reason to the buyer; a request not yet approved can be withdrawn."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment.models import Booking, BookingStatus
from tests.e2e.conftest import sign_in, switch_user, text
from tests.equipment.conftest import make_instrument, slot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _request(page, language, instrument, start, end):
    local = timezone.localtime(start)
    page.goto(
        page.base_url
        + f"/equipment/book/{instrument.pk}/?date={local:%Y-%m-%d}&start={local:%H:%M}"
        + f"&end={timezone.localtime(end):%H:%M}"
    )


def test_policy_shown_reason_given_request_withdrawn(browser_page, language, institute, buyer, facility_manager):
    page = browser_page
    instrument = make_instrument(institute, min_notice_hours=2)
    start, end = slot(days_ahead=5, hour=9, hours=2)
    sign_in(page, language, buyer.email)

    _request(page, language, instrument, start, end)
    policy = page.locator("#policy")
    assert text(language, "提交前请了解", "Before you request") in policy.inner_text()
    assert "¥715.50" in policy.inner_text()
    deadline = timezone.localtime(start - timedelta(hours=48)).strftime("%Y-%m-%d %H:%M")
    assert deadline in policy.inner_text()
    assert (
        text(language, "获批之前，您可随时免费撤回申请。", "withdraw your request at any time") in policy.inner_text()
    )
    page.get_by_role("button", name=text(language, "申请该时段", "Request this slot")).click()
    page.get_by_text(text(language, "您的预约申请已记录。", "Your booking request is recorded.")).wait_for()
    first = Booking.objects.get()
    assert str(first.price_amount) == "715.50"

    # The manager rejects with a reason; the buyer reads it on the booking.
    switch_user(page, language, facility_manager.email)
    page.goto(page.base_url + f"/equipment/manage/bookings/{first.pk}/")
    page.get_by_label(text(language, "拒绝理由", "Reason for the rejection")).fill("样品需预处理 / samples need drying")
    page.get_by_role("button", name=text(language, "拒绝", "Reject")).click()
    page.get_by_text(text(language, "已拒绝。", "Rejected.")).wait_for()
    first.refresh_from_db()
    assert first.status == BookingStatus.REJECTED

    switch_user(page, language, buyer.email)
    page.goto(page.base_url + f"/equipment/bookings/{first.pk}/")
    assert "样品需预处理 / samples need drying" in page.locator("#rejection").inner_text()

    # A request for tomorrow (inside the cancellation window) can still be withdrawn while not approved.
    start, end = slot(days_ahead=1, hour=14, hours=1)  # 14 to 38 hours ahead: inside the 48-hour window
    _request(page, language, instrument, start, end)
    page.get_by_role("button", name=text(language, "申请该时段", "Request this slot")).click()
    page.get_by_text(text(language, "您的预约申请已记录。", "Your booking request is recorded.")).wait_for()
    second = Booking.objects.exclude(pk=first.pk).get()
    page.get_by_role("button", name=text(language, "撤回此申请", "Withdraw this request")).click()
    page.get_by_text(text(language, "预约已取消。", "The booking is cancelled.")).wait_for()
    second.refresh_from_db()
    assert second.status == BookingStatus.CANCELLED
