"""Training and the waitlist in a real browser: a buyer asks for training on a self-service instrument,
the facility manager schedules the session and passes them; another buyer waits for a taken slot, is
offered it when it is cancelled and books it from the offer."""

import pytest

from equipment import services
from equipment.models import Booking, BookingKind, BookingMode, BookingStatus, Qualification, WaitlistEntry
from tests.e2e.conftest import sign_in, switch_user, text
from tests.equipment.conftest import make_instrument, slot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_training_requested_scheduled_and_passed(browser_page, language, institute, buyer, facility_manager):
    instrument = make_instrument(
        institute, title="自助扫描电镜", title_en="Self-service SEM", booking_mode=BookingMode.SELF_SERVICE
    )
    page = browser_page
    sign_in(page, language, buyer.email)
    page.goto(page.base_url + instrument.url)
    page.get_by_role("link", name=text(language, "申请培训", "Request training")).click()
    page.get_by_label(text(language, "希望的日期", "Preferred dates")).fill("Mon/Tue")
    page.get_by_role("button", name=text(language, "提交培训申请", "Send the training request")).click()
    page.get_by_text(
        text(language, "您的培训申请已发送给平台。", "Your training request is sent to the facility.")
    ).wait_for()

    switch_user(page, language, facility_manager.email)
    page.goto(page.base_url + "/equipment/manage/")
    page.get_by_role("link", name=text(language, "自助扫描电镜", "Self-service SEM")).first.click()
    start, end = slot(days_ahead=2, hour=10, hours=2)
    # The session form (the result form below has a date of its own).
    page.locator("#id_s-date").fill(start.strftime("%Y-%m-%d"))
    page.locator("#id_s-start_time").fill("10:00")
    page.locator("#id_s-end_time").fill("12:00")
    page.get_by_role("button", name=text(language, "安排课程", "Schedule the session")).click()
    page.get_by_text(
        text(language, "培训课程已安排，已通过邮件通知用户。", "Training session scheduled; the user is told by email.")
    ).wait_for()
    session = Booking.objects.get(kind=BookingKind.TRAINING)
    assert (session.user_id, session.start, session.end, session.status) == (
        buyer.pk,
        start,
        end,
        BookingStatus.APPROVED,
    )
    page.get_by_label(text(language, "通过", "Passed"), exact=True).check()
    page.get_by_role("button", name=text(language, "记录结果", "Record the result")).click()
    page.get_by_text(text(language, "培训结果已记录。", "Training result recorded.")).wait_for()
    assert Qualification.objects.filter(user=buyer, instrument=instrument, revoked_at__isnull=True).exists()


def test_waitlist_offer_after_a_cancellation_is_booked(
    browser_page, language, institute, buyer, enterprise, other_buyer
):
    instrument = make_instrument(institute, title="扫描电子显微镜", title_en="Scanning electron microscope")
    start, end = slot(days_ahead=4, hour=9, hours=2)
    held = services.request_booking(instrument=instrument, user=buyer, enterprise=enterprise, start=start, end=end)
    page = browser_page
    sign_in(page, language, other_buyer.email)
    page.goto(page.base_url + f"/equipment/book/{instrument.pk}/")
    page.get_by_label(text(language, "日期", "Date")).fill(start.strftime("%Y-%m-%d"))
    page.get_by_label(text(language, "开始时间", "From")).fill("09:00")
    page.get_by_label(text(language, "结束时间", "Until")).fill("11:00")
    page.get_by_role("button", name=text(language, "申请该时段", "Request this slot")).click()
    page.get_by_role("button", name=text(language, "加入候补名单", "Join the waitlist")).click()
    page.get_by_text(
        text(
            language,
            "您已加入候补名单；时段空出时我们会发邮件通知您。",
            "You are on the waitlist; we email you if the slot becomes free.",
        )
    ).wait_for()
    entry = WaitlistEntry.objects.get()
    assert (entry.user_id, entry.start, entry.end) == (other_buyer.pk, start, end)

    services.cancel_booking(held, actor=buyer)  # committed: the slot is offered to the first waiting
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    page.goto(page.base_url + "/equipment/bookings/")
    page.get_by_role("link", name=text(language, "立即预约", "Book it")).click()
    assert page.get_by_label(text(language, "开始时间", "From")).input_value() == "09:00"
    assert page.get_by_label(text(language, "结束时间", "Until")).input_value() == "11:00"
    page.get_by_role("button", name=text(language, "申请该时段", "Request this slot")).click()
    page.get_by_text(text(language, "您的预约申请已记录。", "Your booking request is recorded.")).wait_for()
    booking = Booking.objects.get(user=other_buyer)
    assert (booking.start, booking.end) == (start, end)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.BOOKED
