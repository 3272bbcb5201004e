from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from equipment import services
from equipment.models import Blackout, Booking, BookingMode, BookingStatus, RateTier
from marketplace.accounts.models import Role
from tests.equipment.conftest import make_instrument, slot
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db


def refused(book, start, end, message, **kwargs):
    with pytest.raises(ValidationError) as info:
        book(start, end, **kwargs)
    assert any(message in m for m in info.value.messages), info.value.messages
    assert Booking.objects.count() == 0


def test_a_free_slot_is_booked_with_a_frozen_price(book, instrument, enterprise, buyer):
    booking = book(*slot(hours=2))
    assert booking.status == BookingStatus.REQUESTED
    assert booking.tier == RateTier.ENTERPRISE
    assert booking.hourly_rate == Decimal("357.75")
    assert booking.hours == Decimal("2.00")
    assert booking.price_amount == Decimal("715.50")
    assert (booking.currency, booking.institute, booking.enterprise) == ("CNY", instrument.institute, enterprise)
    instrument.consumables_per_hour = Decimal("500")
    instrument.save()
    booking.refresh_from_db()
    assert booking.price_amount == Decimal("715.50")


def test_enterprise_subsidy_applies_to_the_booking(institute, book):
    page = make_instrument(institute, enterprise_subsidy_percent=Decimal("20"), subsidy_basis="补贴")
    booking = book(*slot(), target=page)
    assert (booking.subsidy_percent, booking.hourly_rate, booking.price_amount) == (
        Decimal("20.00"),
        Decimal("286.20"),
        Decimal("286.20"),
    )


def test_end_before_start_is_refused(book):
    start, end = slot()
    refused(book, end, start, "The end must be after the start.")


def test_past_time_is_refused(book):
    refused(book, *slot(days_ahead=-2), "That time is in the past.")


def test_too_little_notice_is_refused(book):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    refused(book, start, start + timedelta(hours=1), "notice")


def test_beyond_the_horizon_is_refused(book):
    refused(book, *slot(days_ahead=91), "ahead")


def test_shorter_than_minimum_is_refused(institute, book):
    page = make_instrument(institute, slot_minutes=30, min_booking_minutes=60)
    start, _ = slot()
    refused(book, start, start + timedelta(minutes=30), "The shortest booking is 60 minutes.", target=page)


def test_longer_than_maximum_is_refused(book):
    start, _ = slot(hour=8)
    refused(book, start, start + timedelta(hours=9), "The longest booking is 480 minutes.")


def test_off_grid_times_are_refused(book):
    start, end = slot(minute=30)
    refused(book, start, end, "60-minute steps")


def test_outside_opening_hours_is_refused(book):
    refused(book, *slot(hour=19, hours=2), "outside the opening hours")
    refused(book, *slot(hour=6, hours=1), "outside the opening hours")


def test_closed_weekday_is_refused(institute, book):
    day = timezone.localdate() + timedelta(days=3)
    page = make_instrument(institute, hours=[(day.weekday(), time(8), time(12))])
    ok = book(*slot(hour=9), target=page)
    assert ok.pk
    refused_day = slot(days_ahead=4, hour=9)
    with pytest.raises(ValidationError, match="outside the opening hours"):
        book(*refused_day, target=page)


def test_blackout_is_refused(book, instrument):
    start, end = slot(hour=10)
    Blackout.objects.create(instrument=instrument, start=start - timedelta(hours=1), end=end)
    refused(book, start, end, "unavailable then")


def test_overlap_is_refused_and_adjacent_slots_are_fine(book, other_buyer, other_enterprise):
    book(*slot(hour=10, hours=2))
    with pytest.raises(ValidationError, match="already taken"):
        book(*slot(hour=11, hours=2), user=other_buyer, org=other_enterprise)
    assert book(*slot(hour=12), user=other_buyer, org=other_enterprise).pk
    assert book(*slot(hour=9), user=other_buyer, org=other_enterprise).pk
    assert Booking.objects.count() == 3


def test_cancelled_booking_frees_its_slot(book, buyer):
    first = book(*slot(hour=10))
    services.cancel_booking(first, actor=buyer)
    assert book(*slot(hour=10)).pk


def test_only_buyers_of_the_enterprise_may_book_for_it(book, other_enterprise):
    with pytest.raises(PermissionDenied):
        book(*slot(), org=other_enterprise)
    assert Booking.objects.count() == 0


def test_institute_cannot_be_passed_as_the_enterprise(book, institute):
    # A buyer is no member of the institute: booking for it (at the internal tier) is refused.
    with pytest.raises(PermissionDenied, match="institute"):
        book(*slot(), org=institute)


def test_unpublished_instrument_cannot_be_booked(book, instrument):
    instrument.unpublish()
    with pytest.raises(ValidationError, match="not open for booking"):
        book(*slot())


@pytest.fixture
def self_service(institute):
    return make_instrument(institute, booking_mode=BookingMode.SELF_SERVICE)


def test_self_service_needs_a_qualification(book, self_service):
    with pytest.raises(ValidationError, match="qualification"):
        book(*slot(), target=self_service)
    assert Booking.objects.count() == 0


def test_self_service_with_a_valid_qualification_is_booked(book, self_service, buyer, facility_manager):
    services.grant_qualification(
        self_service, buyer, actor=facility_manager, valid_until=timezone.localdate() + timedelta(days=30)
    )
    assert book(*slot(), target=self_service).hourly_rate == Decimal("297.75")


def test_qualification_expiring_before_the_booking_day_is_refused(book, self_service, buyer, facility_manager):
    services.grant_qualification(self_service, buyer, actor=facility_manager, valid_until=timezone.localdate())
    with pytest.raises(ValidationError, match="qualification"):
        book(*slot(days_ahead=3), target=self_service)


def test_revoked_qualification_is_refused(book, self_service, buyer, facility_manager):
    q = services.grant_qualification(
        self_service, buyer, actor=facility_manager, valid_until=timezone.localdate() + timedelta(days=30)
    )
    services.revoke_qualification(q, actor=facility_manager)
    with pytest.raises(ValidationError, match="qualification"):
        book(*slot(), target=self_service)


def test_qualification_of_another_user_does_not_count(book, self_service, enterprise, facility_manager):
    colleague = make_member(enterprise, Role.BUYER)
    services.grant_qualification(
        self_service, colleague, actor=facility_manager, valid_until=timezone.localdate() + timedelta(days=30)
    )
    with pytest.raises(ValidationError, match="qualification"):
        book(*slot(), target=self_service)


def test_only_the_institutes_managers_grant_qualifications(self_service, buyer, other_tto, researcher):
    for outsider in (other_tto, researcher, buyer):
        with pytest.raises(PermissionDenied):
            services.grant_qualification(
                self_service, buyer, actor=outsider, valid_until=timezone.localdate() + timedelta(days=5)
            )


def test_qualification_in_the_past_is_refused(self_service, buyer, facility_manager):
    with pytest.raises(ValidationError):
        services.grant_qualification(
            self_service, buyer, actor=facility_manager, valid_until=timezone.localdate() - timedelta(days=1)
        )


def test_auto_approved_listing_approves_at_once(institute, book):
    page = make_instrument(institute, auto_approve=True)
    booking = book(*slot(), target=page)
    assert booking.status == BookingStatus.APPROVED
    assert [t.to_status for t in booking.transitions.all()] == ["requested", "approved"]


def test_blackout_over_active_bookings_is_refused(book, instrument, facility_manager):
    start, end = slot(hour=10)
    book(start, end)
    with pytest.raises(ValidationError, match="active bookings"):
        services.add_blackout(instrument, actor=facility_manager, start=start, end=end)
    assert not Blackout.objects.exists()


def test_blackout_by_an_outsider_is_refused(instrument, other_tto):
    start, end = slot()
    with pytest.raises(PermissionDenied):
        services.add_blackout(instrument, actor=other_tto, start=start, end=end)


def test_user_without_membership_cannot_book(book, enterprise):
    with pytest.raises(PermissionDenied):
        book(*slot(), user=UserFactory())
