"""Resources that are not hourly, in a real browser: a buyer books a 3-day pilot campaign and 2 seats of a
data set, a researcher leases a month of lab space; each booking shows its dates, not hours."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment.models import Booking, BookingUnit, OpeningHours, RateTier
from tests.e2e.conftest import sign_in, switch_user, text
from tests.equipment.conftest import make_instrument

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _request_from_listing(page, language, resource):
    page.goto(page.base_url + resource.url)
    page.get_by_role("link", name=text(language, "申请预约", "Request a booking")).first.click()
    page.get_by_role("heading", name=text(language, "申请预约", "Request a booking")).wait_for()


def _submit(page, language):
    page.get_by_role("button", name=text(language, "申请这些日期", "Request these dates")).click()
    page.get_by_text(text(language, "您的预约申请已记录。", "Your booking request is recorded.")).wait_for()


def test_book_a_campaign_a_lease_and_seats(browser_page, language, institute, buyer, enterprise, researcher):
    page = browser_page
    today = timezone.localdate()
    pilot = make_instrument(
        institute,
        title="发酵中试线",
        title_en="Fermentation pilot line",
        booking_unit=BookingUnit.DAY,
        setup_buffer_hours=8,
        cleanup_buffer_hours=4,
        min_units=2,
        max_units=14,
    )
    space = make_instrument(
        institute,
        title="共享湿实验室",
        title_en="Shared wet lab",
        booking_unit=BookingUnit.MONTH,
        max_units=12,
        horizon_days=365,
    )
    data = make_instrument(
        institute, title="材料数据库", title_en="Materials database", booking_unit=BookingUnit.ACCESS, seats=8
    )
    OpeningHours.objects.filter(instrument=data).delete()

    # A buyer books a 3-day campaign; the page tells the buffers before booking.
    sign_in(page, language, buyer.email)
    _request_from_listing(page, language, pilot)
    assert text(language, "8 小时的准备时间", "8 hours of set-up") in page.content()
    first = today + timedelta(days=5)
    page.get_by_label(text(language, "开始日期", "First day")).fill(first.isoformat())
    page.get_by_label(text(language, "结束日期", "Last day")).fill((first + timedelta(days=2)).isoformat())
    _submit(page, language)
    campaign = Booking.objects.get(instrument=pilot)
    assert (campaign.unit, campaign.first_day, campaign.last_day) == (BookingUnit.DAY, first, first + timedelta(days=2))
    assert campaign.blocked_end == campaign.end + timedelta(hours=4)
    assert f"{first:%Y-%m-%d} – {first + timedelta(days=2):%Y-%m-%d} (3 {text(language, '天', 'days')})" in (
        page.content()
    )

    # The next day is refused with the reason (its set-up would fall in the cleaning); nothing is stored.
    _request_from_listing(page, language, pilot)
    page.get_by_label(text(language, "开始日期", "First day")).fill((first + timedelta(days=3)).isoformat())
    page.get_by_label(text(language, "结束日期", "Last day")).fill((first + timedelta(days=4)).isoformat())
    page.get_by_role("button", name=text(language, "申请这些日期", "Request these dates")).click()
    page.get_by_text(text(language, "与其他预约重叠", "overlap another booking"), exact=False).wait_for()
    assert Booking.objects.filter(instrument=pilot).count() == 1

    # Two seats of the data set.
    _request_from_listing(page, language, data)
    page.get_by_label(text(language, "开始日期", "First day")).fill((today + timedelta(days=3)).isoformat())
    page.get_by_label(text(language, "结束日期", "Last day")).fill((today + timedelta(days=9)).isoformat())
    page.get_by_label(text(language, "席位数", "Seats")).fill("2")
    _submit(page, language)
    access = Booking.objects.get(instrument=data)
    assert (access.unit, access.seats) == (BookingUnit.ACCESS, 2)
    assert text(language, "2 个席位", "2 seats") in page.content()

    # A researcher of the institute leases a month of lab space, charged internally under a code.
    switch_user(page, language, researcher.email)
    _request_from_listing(page, language, space)
    lease_start = today + timedelta(days=30)
    page.get_by_label(text(language, "租期开始日期", "Lease starts on")).fill(lease_start.isoformat())
    page.get_by_label(text(language, "月数", "Months")).fill("1")
    page.get_by_label(text(language, "项目或成本中心编号", "Project or cost-centre code")).fill("KY-2027-001")
    _submit(page, language)
    lease = Booking.objects.get(instrument=space)
    assert (lease.unit, lease.tier, lease.first_day) == (BookingUnit.MONTH, RateTier.INTERNAL, lease_start)
    assert text(language, "1 个月", "1 month") in page.content()
