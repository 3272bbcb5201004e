"""Fixtures of the equipment tests: instruments with known cost models, slots, bookings."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cms.models import InstitutePage
from equipment import services
from equipment.models import BookingMode, InstrumentCategory, InstrumentPage, OpeningHours

EVERY_DAY_8_TO_20 = [(day, time(8), time(20)) for day in range(7)]


def make_instrument(
    institute, *, title="扫描电子显微镜", title_en="Scanning electron microscope", hours=None, **fields
):
    """A live instrument page under the institute's page, open every day 08:00–20:00 by default."""
    defaults = {
        "slug": f"instrument-{InstrumentPage.objects.count() + 1}",
        "category": InstrumentCategory.objects.get(slug="electron-optics"),
        "booking_mode": BookingMode.ASSISTED,
        "purchase_price": Decimal("3000000.00"),
        "service_life_years": 10,
        "annual_maintenance": Decimal("120000.00"),
        "annual_staff_share": Decimal("80000.00"),
        "planned_hours_per_year": 2000,
        "consumables_per_hour": Decimal("35.50"),
        "utilities_per_hour": Decimal("12.25"),
        "operator_per_hour": Decimal("60.00"),
        "slot_minutes": 60,
        "min_booking_minutes": 60,
        "max_booking_minutes": 480,
        "min_notice_hours": 24,
        "horizon_days": 90,
        "cancellation_window_hours": 48,
    }
    defaults.update(fields)
    page = InstrumentPage(
        title=title,
        title_en=title_en,
        opening_hours=[OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in (hours or EVERY_DAY_8_TO_20)],
        **defaults,
    )
    parent = InstitutePage.objects.get(organization=institute)
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def slot(days_ahead=3, hour=9, hours=1, minute=0):
    """An aware (start, end) in local time, `days_ahead` days from today."""
    day = timezone.localdate() + timedelta(days=days_ahead)
    start = timezone.make_aware(datetime.combine(day, time(hour, minute)))
    return start, start + timedelta(hours=hours)


@pytest.fixture
def instrument(institute):
    return make_instrument(institute)


@pytest.fixture
def other_instrument(other_institute):
    return make_instrument(other_institute, title="质谱仪", title_en="Mass spectrometer")


@pytest.fixture
def book(instrument, buyer, enterprise):
    """book(start, end, **kw) → a requested booking of `instrument` by `buyer` for `enterprise`."""

    def _book(start=None, end=None, *, target=None, user=None, org=None, **kwargs):
        if start is None:
            start, end = slot()
        return services.request_booking(
            instrument=target or instrument,
            user=user or buyer,
            enterprise=org or enterprise,
            start=start,
            end=end,
            **kwargs,
        )

    return _book


@pytest.fixture
def past_confirmed(instrument, buyer, enterprise, facility_manager):
    """A confirmed booking of yesterday 10:00–11:00 (requested as if two days before it)."""
    start, end = slot(days_ahead=-1, hour=10)
    earlier = start - timedelta(days=2)
    booking = services.request_booking(
        instrument=instrument, user=buyer, enterprise=enterprise, start=start, end=end, now=earlier
    )
    services.approve_booking(booking, actor=facility_manager)
    services.confirm_booking(booking, actor=facility_manager, reference="INV-1")
    booking.refresh_from_db()
    return booking
