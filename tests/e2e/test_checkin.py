"""Check-in and check-out in a real browser (issue 13, point 6): the booker checks in and out on a
self-service instrument, and the usage records the real times; on an operator-run instrument the
facility manager checks the booking in, and the booker is offered no button."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment import services
from equipment.models import Booking, BookingMode, BookingStatus, UsageRecord
from tests.e2e.conftest import sign_in, switch_user, text
from tests.equipment.conftest import make_instrument, slot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def under_way(instrument, buyer, enterprise, manager):
    """A confirmed booking of `buyer` that began ten minutes ago and lasts an hour."""
    start, end = slot(days_ahead=3, hour=9)
    booking = services.request_booking(instrument=instrument, user=buyer, enterprise=enterprise, start=start, end=end)
    services.approve_booking(booking, actor=manager)
    services.confirm_booking(booking, actor=manager, reference="INV-E2E")
    now = timezone.now().replace(microsecond=0)
    Booking.objects.filter(pk=booking.pk).update(start=now - timedelta(minutes=10), end=now + timedelta(minutes=50))
    booking.refresh_from_db()
    return booking


def test_the_booker_checks_in_and_out_on_a_self_service_instrument(
    browser_page, language, institute, buyer, enterprise, facility_manager
):
    instrument = make_instrument(
        institute, title="自助共聚焦显微镜", title_en="Self-service confocal", booking_mode=BookingMode.SELF_SERVICE
    )
    services.grant_qualification(
        instrument, buyer, actor=facility_manager, valid_until=timezone.localdate() + timedelta(days=30)
    )
    booking = under_way(instrument, buyer, enterprise, facility_manager)
    page = browser_page
    sign_in(page, language, buyer.email)
    page.goto(page.base_url + f"/equipment/bookings/{booking.pk}/")
    page.get_by_role("button", name=text(language, "签到", "Check in"), exact=True).click()
    page.get_by_text(text(language, "已于", "Checked in at")).first.wait_for()
    booking.refresh_from_db()
    assert booking.checked_in_by_id == buyer.pk and booking.checked_in_at is not None

    page.get_by_role("button", name=text(language, "签退", "Check out"), exact=True).click()
    page.get_by_text(text(language, "预约已完成", "the booking is completed")).first.wait_for()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert booking.checked_out_by_id == buyer.pk and booking.checked_out_at > booking.checked_in_at
    usage = UsageRecord.objects.get(booking=booking)
    assert (usage.started_at, usage.ended_at) == (booking.checked_in_at, booking.checked_out_at)
    # The page shows the real times and hours, and no button any more.
    assert page.get_by_text(text(language, "实际机时", "Actual hours")).count() >= 1
    assert page.get_by_role("button", name=text(language, "签到", "Check in"), exact=True).count() == 0
    assert page.get_by_role("button", name=text(language, "签退", "Check out"), exact=True).count() == 0


def test_the_manager_checks_in_on_an_operator_run_instrument(
    browser_page, language, institute, buyer, enterprise, facility_manager
):
    instrument = make_instrument(institute, title="透射电镜", title_en="Transmission microscope")
    booking = under_way(instrument, buyer, enterprise, facility_manager)
    page = browser_page
    sign_in(page, language, buyer.email)
    page.goto(page.base_url + f"/equipment/bookings/{booking.pk}/")
    page.get_by_role("heading", level=1).wait_for()
    assert page.get_by_role("button", name=text(language, "签到", "Check in"), exact=True).count() == 0

    switch_user(page, language, facility_manager.email)
    page.goto(page.base_url + f"/equipment/manage/bookings/{booking.pk}/")
    page.get_by_role("button", name=text(language, "签到", "Check in"), exact=True).click()
    page.get_by_text(text(language, "已签到。", "Checked in.")).wait_for()
    booking.refresh_from_db()
    assert booking.checked_in_by_id == facility_manager.pk
    page.get_by_role("button", name=text(language, "签退", "Check out"), exact=True).click()
    page.get_by_text(
        text(language, "已签退，预约按实际时长完成。", "Checked out; the booking is completed with the real hours.")
    ).wait_for()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED and booking.checked_out_by_id == facility_manager.pk
