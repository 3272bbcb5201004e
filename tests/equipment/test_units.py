"""Resources that are not hourly: campaigns of days with buffers, leases of months, access periods with
seats. Pricing, rules, the database guard and the booking page."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from equipment import services, units
from equipment.models import Booking, BookingStatus, BookingUnit, OpeningHours
from equipment.rates import price_for, tier_rate
from tests.equipment.conftest import make_instrument, slot


def pilot_line(institute, **fields):
    """A pilot line booked by the day with 8 h set-up and 4 h cleaning, open 08:00–20:00 (12 h a day)."""
    defaults = {
        "title_en": "Pilot fermenter line",
        "booking_unit": BookingUnit.DAY,
        "setup_buffer_hours": 8,
        "cleanup_buffer_hours": 4,
        "min_units": 2,
        "max_units": 14,
        "min_notice_hours": 48,
        "horizon_days": 120,
    }
    defaults.update(fields)
    return make_instrument(institute, **defaults)


def lab_space(institute, **fields):
    defaults = {
        "title_en": "Lab bay B2",
        "booking_unit": BookingUnit.MONTH,
        "min_units": 1,
        "max_units": 12,
        "horizon_days": 365,
        "planned_hours_per_year": 2400,
    }
    defaults.update(fields)
    return make_instrument(institute, **defaults)


def data_set(institute, seats=8, **fields):
    defaults = {"title_en": "GPU allocation", "booking_unit": BookingUnit.ACCESS, "seats": seats, "max_units": 30}
    defaults.update(fields)
    page = make_instrument(institute, **defaults)
    OpeningHours.objects.filter(instrument=page).delete()  # round the clock: no opening hours
    return page


def ahead(days):
    return timezone.localdate() + timedelta(days=days)


def book_days(instrument, user, org, first, last, seats=1, **kwargs):
    return services.request_range_booking(
        instrument=instrument, user=user, organization=org, first_day=first, last_day=last, seats=seats, **kwargs
    )


# --- pricing ------------------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert units.add_months(date(2027, 1, 15), 1) == date(2027, 2, 15)
    assert units.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert units.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


@pytest.mark.django_db
def test_a_campaign_is_billed_days_times_the_longest_opening_day(institute, buyer, enterprise):
    line = pilot_line(institute)
    booking = book_days(line, buyer, enterprise, ahead(5), ahead(7))
    rate = tier_rate(line, "enterprise")
    assert booking.unit == BookingUnit.DAY
    assert booking.hours == Decimal("36.00")  # 3 days × 12 opening hours
    assert booking.hourly_rate == rate
    assert booking.price_amount == price_for(rate, Decimal(36))
    assert booking.first_day == ahead(5) and booking.last_day == ahead(7)
    assert timezone.localtime(booking.start).time() == timezone.localtime(booking.end).time() == time.min
    # The blocked range carries the buffers.
    assert booking.blocked_start == booking.start - timedelta(hours=8)
    assert booking.blocked_end == booking.end + timedelta(hours=4)


@pytest.mark.django_db
def test_a_lease_is_billed_months_times_a_twelfth_of_the_planned_hours(institute, researcher):
    space = lab_space(institute)
    first = ahead(10)
    booking = services.request_range_booking(
        instrument=space, user=researcher, organization=institute, first_day=first, months=3, charge_code="P-7"
    )
    assert booking.hours == Decimal("600.00")  # 3 × 2400 / 12
    assert booking.tier == "internal"
    assert booking.price_amount == price_for(tier_rate(space, "internal"), Decimal(600))
    assert booking.first_day == first
    assert timezone.localtime(booking.end).date() == units.add_months(first, 3)
    assert "3 months" in booking.when


@pytest.mark.django_db
def test_access_is_billed_days_times_seats_times_hours_per_day(institute, buyer, enterprise):
    gpu = data_set(institute)
    booking = book_days(gpu, buyer, enterprise, ahead(3), ahead(4), seats=2)
    assert booking.hours == Decimal("96.00")  # 2 days × 2 seats × 24 h (no opening hours: round the clock)
    assert booking.seats == 2
    assert booking.blocked_start == booking.start and booking.blocked_end == booking.end
    assert booking.when == f"{ahead(3):%Y-%m-%d} – {ahead(4):%Y-%m-%d} (2 days), 2 seats"


# --- rules -------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (-1, 2, "in the past"),
        (1, 3, "48 hours of notice"),
        (130, 132, "at most 120 days ahead"),
        (5, 5, "shortest booking is 2 days"),
        (5, 20, "longest booking is 14 days"),
    ],
)
def test_campaign_rules_refuse_with_a_clear_message_and_store_nothing(
    institute, buyer, enterprise, first, last, message
):
    line = pilot_line(institute)
    with pytest.raises(ValidationError, match=message):
        book_days(line, buyer, enterprise, ahead(first), ahead(last))
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_last_day_before_first_day_is_refused(institute, buyer, enterprise):
    line = pilot_line(institute)
    with pytest.raises(ValidationError, match="before the first day"):
        book_days(line, buyer, enterprise, ahead(6), ahead(5))


@pytest.mark.django_db
def test_a_blackout_within_the_buffers_refuses_the_campaign(institute, buyer, enterprise):
    line = pilot_line(institute)
    start = timezone.make_aware(datetime.combine(ahead(5), time.min))
    line.blackouts.create(start=start - timedelta(hours=6), end=start - timedelta(hours=5))
    with pytest.raises(ValidationError, match="unavailable"):
        book_days(line, buyer, enterprise, ahead(5), ahead(6))


@pytest.mark.django_db
def test_buffers_keep_the_next_campaign_off_the_following_day(
    institute, buyer, enterprise, other_buyer, other_enterprise
):
    line = pilot_line(institute)
    book_days(line, buyer, enterprise, ahead(5), ahead(6))
    # Next day: its 8 h set-up would fall into the 4 h cleaning of the first.
    with pytest.raises(ValidationError, match="8 hours of set-up before and 4 hours of cleaning after"):
        book_days(line, other_buyer, other_enterprise, ahead(7), ahead(8))
    # Nor may a campaign end the day before: its cleaning reaches into the first's set-up.
    with pytest.raises(ValidationError, match="overlap another booking"):
        book_days(line, other_buyer, other_enterprise, ahead(3), ahead(4))
    # One clear day between: 4 h cleaning + 8 h set-up fit in 24 h.
    book_days(line, other_buyer, other_enterprise, ahead(8), ahead(9))
    assert Booking.objects.filter(instrument=line).count() == 2


@pytest.mark.django_db
def test_a_cancelled_campaign_frees_its_days_and_buffers(institute, buyer, enterprise, other_buyer, other_enterprise):
    line = pilot_line(institute)
    first = book_days(line, buyer, enterprise, ahead(5), ahead(6))
    services.cancel_booking(first, actor=buyer)
    book_days(line, other_buyer, other_enterprise, ahead(6), ahead(7))


@pytest.mark.django_db
def test_leases_of_one_space_never_overlap(institute, buyer, enterprise, other_buyer, other_enterprise):
    space = lab_space(institute)
    services.request_range_booking(instrument=space, user=buyer, organization=enterprise, first_day=ahead(10), months=2)
    with pytest.raises(ValidationError, match="overlap another booking"):
        services.request_range_booking(
            instrument=space, user=other_buyer, organization=other_enterprise, first_day=ahead(40), months=1
        )
    with pytest.raises(ValidationError, match="longest lease is 12 months"):
        services.request_range_booking(
            instrument=space, user=other_buyer, organization=other_enterprise, first_day=ahead(100), months=13
        )


@pytest.mark.django_db
def test_seats_are_shared_up_to_capacity(institute, buyer, enterprise, other_buyer, other_enterprise):
    gpu = data_set(institute, seats=3)
    book_days(gpu, buyer, enterprise, ahead(3), ahead(5), seats=2)
    # One seat is left while the first holds two.
    with pytest.raises(ValidationError, match="Only 1 seat is free"):
        book_days(gpu, other_buyer, other_enterprise, ahead(4), ahead(6), seats=2)
    book_days(gpu, other_buyer, other_enterprise, ahead(4), ahead(6), seats=1)
    with pytest.raises(ValidationError, match="No seat is free"):
        book_days(gpu, other_buyer, other_enterprise, ahead(5), ahead(5), seats=1)
    # Non-overlapping holders do not add up: days 6 holds one seat only.
    book_days(gpu, other_buyer, other_enterprise, ahead(6), ahead(7), seats=2)
    with pytest.raises(ValidationError, match="This resource has 3 seats"):
        book_days(gpu, other_buyer, other_enterprise, ahead(20), ahead(21), seats=4)
    assert Booking.objects.filter(instrument=gpu).count() == 3


def test_peak_seats_counts_only_simultaneous_holders():
    t = timezone.now()
    h = timedelta(hours=1)
    bookings = [(t, t + 2 * h, 2), (t + 2 * h, t + 4 * h, 2), (t + h, t + 3 * h, 1)]
    assert units.peak_seats(bookings, t, t + 4 * h) == 3
    assert units.peak_seats(bookings, t + 3 * h, t + 4 * h) == 2
    assert units.peak_seats(bookings, t + 5 * h, t + 6 * h) == 0


@pytest.mark.django_db
def test_hourly_and_range_services_refuse_the_other_unit(institute, instrument, buyer, enterprise):
    line = pilot_line(institute)
    with pytest.raises(ValidationError, match="not by the hour"):
        services.request_booking(instrument=line, user=buyer, enterprise=enterprise, start=slot()[0], end=slot()[1])
    with pytest.raises(ValidationError, match="booked by the hour"):
        book_days(instrument, buyer, enterprise, ahead(5), ahead(6))


# --- the database guard ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_database_refuses_a_campaign_in_anothers_buffer(institute, buyer, enterprise):
    """PostgreSQL: the exclusion constraint is on the blocked range. SQLite: the service's check under the
    write lock is the guard (test_units_concurrency)."""
    line = pilot_line(institute)
    first = book_days(line, buyer, enterprise, ahead(5), ahead(6))
    fields = {f.attname: getattr(first, f.attname) for f in Booking._meta.concrete_fields if f.attname != "id"}
    fields.update(
        start=first.end + timedelta(hours=2),
        end=first.end + timedelta(days=1),
        blocked_start=first.end + timedelta(hours=2),
        blocked_end=first.end + timedelta(days=1),
        status=BookingStatus.REQUESTED,
    )
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            Booking.objects.create(**fields)
        assert Booking.objects.count() == 1
        # Access periods are shared: the exclusion leaves them to the seat count.
        fields.update(unit=BookingUnit.ACCESS, seats=2)
        Booking.objects.create(**fields)
        assert Booking.objects.count() == 2


@pytest.mark.django_db
def test_database_refuses_seats_on_an_exclusive_booking_and_a_blocked_range_inside_the_booking(
    institute, buyer, enterprise
):
    line = pilot_line(institute)
    first = book_days(line, buyer, enterprise, ahead(5), ahead(6))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=first.pk).update(seats=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=first.pk).update(blocked_start=first.start + timedelta(hours=1))


# --- the booking page --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_hourly_form_sends_a_range_resource_to_its_own_form(client, institute, buyer):
    line = pilot_line(institute)
    client.force_login(buyer)
    response = client.get(reverse("equipment:book", args=[line.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("equipment:book_range", args=[line.pk])


@pytest.mark.django_db
def test_book_a_campaign_through_the_page(client, institute, buyer):
    line = pilot_line(institute)
    client.force_login(buyer)
    url = reverse("equipment:book_range", args=[line.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "8 hours of set-up" in page.content.decode()
    response = client.post(url, {"first_day": ahead(5).isoformat(), "last_day": ahead(7).isoformat()})
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert booking.unit == BookingUnit.DAY and booking.last_day == ahead(7)
    detail = client.get(reverse("equipment:booking", args=[booking.pk])).content.decode()
    assert f"{ahead(5):%Y-%m-%d} – {ahead(7):%Y-%m-%d} (3 days)" in detail


@pytest.mark.django_db
def test_a_refused_range_says_why_and_stores_nothing(client, institute, buyer):
    gpu = data_set(institute, seats=8)
    client.force_login(buyer)
    url = reverse("equipment:book_range", args=[gpu.pk])
    response = client.post(url, {"first_day": ahead(5).isoformat(), "last_day": ahead(6).isoformat(), "seats": "9"})
    assert response.status_code == 400
    assert not Booking.objects.exists()
    response = client.post(url, {"first_day": ahead(5).isoformat(), "last_day": ahead(4).isoformat(), "seats": "1"})
    assert response.status_code == 400
    assert "before the first day" in response.content.decode()
    response = client.post(url, {"first_day": "garbage", "last_day": "", "seats": "x"})
    assert response.status_code == 400
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_range_page_of_an_hourly_instrument_goes_to_the_hourly_form(client, instrument, buyer):
    client.force_login(buyer)
    response = client.get(reverse("equipment:book_range", args=[instrument.pk]))
    assert response["Location"] == reverse("equipment:book", args=[instrument.pk])


@pytest.mark.django_db
def test_instrument_page_shows_booked_periods_instead_of_the_week_calendar(client, institute, buyer, enterprise):
    gpu = data_set(institute)
    book_days(gpu, buyer, enterprise, ahead(3), ahead(4), seats=2)
    html = client.get(gpu.url).content.decode()
    assert "Booked periods" in html and "2 seats" in html
    assert "week-calendar" not in html


# --- the admin form ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_unit_cannot_change_under_coming_bookings(institute, buyer, enterprise):
    from types import SimpleNamespace

    from equipment.models import InstrumentPageForm

    line = pilot_line(institute)
    form = SimpleNamespace(instance=line)
    check = InstrumentPageForm._unit_change_error
    assert check(form, {"booking_unit": BookingUnit.HOUR}) is None  # nothing booked yet
    book_days(line, buyer, enterprise, ahead(5), ahead(6))
    assert "cannot change" in check(form, {"booking_unit": BookingUnit.HOUR})
    assert "cannot change" in check(form, {"setup_buffer_hours": 12})
    # Shorter buffers only free time: allowed.
    assert check(form, {"setup_buffer_hours": 2, "cleanup_buffer_hours": 0}) is None
    assert check(form, {"booking_unit": BookingUnit.DAY}) is None


@pytest.mark.django_db
def test_the_request_email_names_the_days_not_hours(
    institute, buyer, enterprise, django_capture_on_commit_callbacks, mailoutbox
):
    line = pilot_line(institute)
    with django_capture_on_commit_callbacks(execute=True):
        book_days(line, buyer, enterprise, ahead(5), ahead(7))
    body = next(m.body for m in mailoutbox if m.to[0] == buyer.email)
    assert f"{ahead(5):%Y-%m-%d}–{ahead(7):%Y-%m-%d}" in body
    assert "00:00" not in body


# --- usage of campaigns, leases and access periods -------------------------------------------------------


def _confirmed(booking, manager, now):
    services.approve_booking(booking, actor=manager)
    services.confirm_booking(booking, actor=manager, reference="INV-9")
    booking.refresh_from_db()
    return booking


@pytest.mark.django_db
def test_a_lease_and_an_access_period_are_never_no_shows_nor_checked_in(
    institute, buyer, enterprise, researcher, facility_manager
):
    space, gpu = lab_space(institute), data_set(institute)
    lease = services.request_range_booking(
        instrument=space, user=researcher, organization=institute, first_day=ahead(10), months=1, charge_code="P-7"
    )
    lease = _confirmed(lease, facility_manager, None)
    access = _confirmed(book_days(gpu, buyer, enterprise, ahead(10), ahead(12), seats=2), facility_manager, None)
    later = lease.start + timedelta(days=2)
    assert not services.can_check_in_now(access, now=access.start + timedelta(minutes=1))
    with pytest.raises(ValidationError, match="not checked in"):
        services.check_in(access, actor=facility_manager, now=access.start + timedelta(minutes=1))
    from equipment.services import usage

    assert usage.detect_no_shows(now=later)[1] == 0
    for booking in (lease, access):
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CONFIRMED
        assert booking.checked_in_at is None


@pytest.mark.django_db
def test_a_campaign_is_checked_in_and_records_its_days_of_use(institute, buyer, enterprise, facility_manager):
    line = pilot_line(institute)
    campaign = _confirmed(book_days(line, buyer, enterprise, ahead(10), ahead(12)), facility_manager, None)
    services.check_in(campaign, actor=facility_manager, now=campaign.start)
    services.check_out(campaign, actor=facility_manager, now=campaign.end - timedelta(hours=1))
    campaign.refresh_from_db()
    assert campaign.status == BookingStatus.COMPLETED
    assert campaign.usage.hours > 24


@pytest.mark.django_db
def test_the_facility_records_more_than_24_hours_on_a_long_booking_but_not_more_than_its_length(
    institute, researcher, facility_manager
):
    space = lab_space(institute)
    lease = services.request_range_booking(
        instrument=space, user=researcher, organization=institute, first_day=ahead(10), months=1, charge_code="P-7"
    )
    lease = _confirmed(lease, facility_manager, None)
    after = lease.end + timedelta(days=1)
    span = Decimal((lease.end - lease.start).total_seconds()) / 3600
    with pytest.raises(ValidationError, match="cannot exceed"):
        services.complete_booking(lease, actor=facility_manager, hours=str(span + 1), now=after)
    lease.refresh_from_db()
    assert lease.status == BookingStatus.CONFIRMED
    services.complete_booking(lease, actor=facility_manager, hours="200", now=after)
    lease.refresh_from_db()
    assert (lease.status, lease.usage.hours) == (BookingStatus.COMPLETED, Decimal("200.00"))


@pytest.mark.django_db
def test_the_range_page_shows_cancellation_and_next_steps_before_booking(client, institute, buyer):
    line = pilot_line(institute)
    client.force_login(buyer)
    html = client.get(reverse("equipment:book_range", args=[line.pk])).content.decode()
    assert "Before you request" in html
    assert "withdraw your request at any time" in html
    assert "The facility reviews your request" in html
    assert "shown here once you choose a slot" not in html  # its price is per day, above
