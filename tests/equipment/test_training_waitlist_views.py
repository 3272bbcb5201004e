"""Pages of training requests and sessions and of the waitlist."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment import services
from equipment.models import Booking, BookingKind, BookingMode, Qualification, TrainingRequest, WaitlistEntry
from tests.equipment.conftest import make_instrument, slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def self_service(institute):
    return make_instrument(institute, booking_mode=BookingMode.SELF_SERVICE, title_en="Self-service SEM")


def test_an_unqualified_buyer_is_offered_training_and_asks(client, self_service, buyer):
    client.force_login(buyer)
    client.cookies["language"] = "en"
    html = client.get(self_service.url).content.decode()
    assert f"/equipment/training/{self_service.pk}/" in html
    assert client.get(f"/equipment/training/{self_service.pk}/").status_code == 200
    response = client.post(f"/equipment/training/{self_service.pk}/", {"preferred_dates": "Mondays", "note": "hi"})
    assert response.status_code == 302
    request = TrainingRequest.objects.get()
    assert request.user == buyer and request.preferred_dates == "Mondays"
    assert f"/equipment/training/{self_service.pk}/" not in client.get(self_service.url).content.decode()
    assert "Training" in client.get("/equipment/bookings/").content.decode()


def test_no_training_link_for_assisted_instruments_or_anonymous(client, instrument, self_service, buyer):
    assert "/equipment/training/" not in client.get(self_service.url).content.decode()
    client.force_login(buyer)
    assert "/equipment/training/" not in client.get(instrument.url).content.decode()
    assert client.get(f"/equipment/training/{instrument.pk}/").status_code == 302


def test_the_manager_schedules_a_session_and_passes_the_user(client, self_service, buyer, enterprise, facility_manager):
    request = services.request_training(instrument=self_service, user=buyer, enterprise=enterprise)
    client.force_login(facility_manager)
    assert f"/equipment/manage/training/{request.pk}/" in client.get("/equipment/manage/").content.decode()
    start, end = slot(days_ahead=2, hour=10, hours=2)
    response = client.post(
        f"/equipment/manage/training/{request.pk}/",
        {"schedule": "1", "s-date": start.date().isoformat(), "s-start_time": "10:00", "s-end_time": "12:00"},
    )
    assert response.status_code == 302
    session = Booking.objects.get(kind=BookingKind.TRAINING)
    assert session.user == buyer and session.start == start and session.end == end
    until = timezone.localdate() + timedelta(days=180)
    response = client.post(
        f"/equipment/manage/training/{request.pk}/",
        {"result": "1", "r-result": "passed", "r-valid_until": until.isoformat(), "r-note": "good"},
    )
    assert response.status_code == 302
    assert Qualification.objects.get(user=buyer, instrument=self_service).valid_until == until


def test_a_session_in_the_past_is_refused_with_the_reason(client, self_service, buyer, enterprise, facility_manager):
    request = services.request_training(instrument=self_service, user=buyer, enterprise=enterprise)
    start, _ = slot(days_ahead=-1, hour=10)
    client.force_login(facility_manager)
    response = client.post(
        f"/equipment/manage/training/{request.pk}/",
        {"schedule": "1", "s-date": start.date().isoformat(), "s-start_time": "10:00", "s-end_time": "11:00"},
    )
    assert response.status_code == 400
    assert "must start in the future" in response.content.decode()


def test_a_busy_cell_leads_to_the_waitlist(client, instrument, book, other_buyer):
    booking = book(*slot(hour=10))
    client.force_login(other_buyer)
    html = client.get(f"{instrument.url}?week={booking.start.date().isoformat()}").content.decode()
    assert f"/equipment/waitlist/{instrument.pk}/join/?date={booking.start.date().isoformat()}&amp;start=10:00" in html


def test_a_refused_booking_of_a_taken_slot_offers_the_waitlist_and_joins(client, instrument, book, other_buyer):
    booking = book(*slot(hour=10))
    client.force_login(other_buyer)
    client.cookies["language"] = "en"
    data = {"date": booking.start.date().isoformat(), "start_time": "10:00", "end_time": "11:00"}
    response = client.post(f"/equipment/book/{instrument.pk}/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"/equipment/waitlist/{instrument.pk}/join/" in html and "Join the waitlist" in html
    response = client.post(f"/equipment/waitlist/{instrument.pk}/join/", data)
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert entry.user == other_buyer and entry.start == booking.start
    assert "Leave the waitlist" in client.get("/equipment/bookings/").content.decode()
    assert client.post(f"/equipment/waitlist/{entry.pk}/leave/").status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.LEFT


def test_joining_a_free_slot_says_to_book_it(client, instrument, other_buyer):
    start, _ = slot(hour=10)
    client.force_login(other_buyer)
    client.cookies["language"] = "en"
    response = client.post(
        f"/equipment/waitlist/{instrument.pk}/join/",
        {"date": start.date().isoformat(), "start_time": "10:00", "end_time": "11:00"},
    )
    assert response.status_code == 400 and "book it instead" in response.content.decode()


def test_the_offer_link_prefills_the_booking_form(client, instrument, buyer):
    client.force_login(buyer)
    day = slot()[0].date().isoformat()
    html = client.get(f"/equipment/book/{instrument.pk}/?date={day}&start=10:00&end=12:00").content.decode()
    assert 'value="10:00"' in html and 'value="12:00"' in html


def test_someone_elses_waitlist_entry_cannot_be_left(client, instrument, book, other_buyer, buyer):
    booking = book(*slot(hour=10))
    entry = services.join_waitlist(instrument=instrument, user=other_buyer, start=booking.start, end=booking.end)
    client.force_login(buyer)
    assert client.post(f"/equipment/waitlist/{entry.pk}/leave/").status_code == 404
