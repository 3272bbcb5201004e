from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from equipment import services
from equipment.models import Blackout, Booking, BookingMode, BookingStatus, CalendarToken, ResourceKind
from tests.equipment.conftest import make_instrument, slot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, title, text",
    [("zh-hans", "扫描电子显微镜", "共享仪器"), ("en", "Scanning electron microscope", "Shared instruments")],
)
def test_browse_renders_in_each_language(client, instrument, language, title, text):
    client.cookies["language"] = language
    html = client.get("/instruments/").content.decode()
    assert title in html
    assert text in html
    assert "¥357.75" in html


@pytest.mark.parametrize("language, text", [("zh-hans", "成本"), ("en", "Full-cost hourly rate")])
def test_instrument_page_shows_the_cost_breakdown_in_each_language(client, instrument, language, text):
    client.cookies["language"] = language
    response = client.get(instrument.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert text in html
    assert "¥150.00" in html and "¥60.00" in html and "¥357.75" in html


def test_week_calendar_shows_busy_without_saying_who(client, instrument, book, enterprise):
    booking = book(*slot(hour=10))
    week = booking.start.date().isoformat()
    html = client.get(f"{instrument.url}?week={week}").content.decode()
    assert "slot-busy" in html
    assert enterprise.name not in html and enterprise.name_en not in html


def test_search_and_facets(client, institute, other_institute):
    make_instrument(institute, title="透射电镜", title_en="Transmission electron microscope")
    make_instrument(
        other_institute,
        title="中试反应釜",
        title_en="Pilot reactor",
        resource_kind=ResourceKind.PILOT,
        booking_mode=BookingMode.SAMPLE,
        purchase_price=Decimal("100000"),
    )
    client.cookies["language"] = "en"
    assert "Pilot reactor" not in client.get("/instruments/?q=Transmission").content.decode()
    assert "Transmission electron microscope" in client.get("/instruments/?q=Transmission").content.decode()
    html = client.get("/instruments/?kind=pilot").content.decode()
    assert "Pilot reactor" in html and "Transmission" not in html
    html = client.get(f"/instruments/?institute={institute.slug}").content.decode()
    assert "Transmission" in html and "Pilot reactor" not in html
    html = client.get("/instruments/?mode=sample&max_rate=250").content.decode()
    assert "Pilot reactor" in html and "Transmission" not in html
    html = client.get("/instruments/?sort=-rate").content.decode()
    assert html.index("Transmission") < html.index("Pilot reactor")


def test_search_finds_a_chinese_word_inside_a_longer_chinese_name(client, institute):
    names = ["扫描电子显微镜", "场发射透射电子显微镜", "电感耦合等离子体质谱仪"]
    for name in names:
        make_instrument(institute, title=name, title_en=f"Instrument {name}")
    client.cookies["language"] = "zh-hans"

    def found(query):
        html = client.get("/instruments/", {"q": query}).content.decode()
        return [name for name in names if f">{name}</a>" in html]

    assert found("显微镜") == names[:2]
    assert found("透射 显微镜") == names[1:2]  # every word must match
    assert found("质谱") == names[2:]


def test_free_on_a_date_filter(client, institute, instrument):
    day = timezone.localdate() + timedelta(days=2)
    from datetime import time

    make_instrument(
        institute, title="周末设备", title_en="Weekend only", hours=[((day.weekday() + 1) % 7, time(9), time(17))]
    )
    client.cookies["language"] = "en"
    html = client.get(f"/instruments/?free_on={day.isoformat()}").content.decode()
    assert "Scanning electron microscope" in html and "Weekend only" not in html


def _free_on(client, day):
    client.cookies["language"] = "en"
    return client.get(f"/instruments/?free_on={day.isoformat()}").content.decode()


def test_free_on_a_date_leaves_out_a_fully_booked_day(client, instrument, book):
    """Open 08:00–20:00: booked 08:00–14:00 and 14:00–20:00 on the day, nothing fits any more."""
    day = timezone.localdate() + timedelta(days=5)
    book(*slot(days_ahead=5, hour=8, hours=6))
    assert "Scanning electron microscope" in _free_on(client, day)  # the afternoon is still free
    book(*slot(days_ahead=5, hour=14, hours=6))
    assert "Scanning electron microscope" not in _free_on(client, day)
    assert "Scanning electron microscope" in _free_on(client, day + timedelta(days=1))


def test_free_on_a_date_counts_blackouts_with_bookings(client, instrument, book, facility_manager):
    day = timezone.localdate() + timedelta(days=5)
    book(*slot(days_ahead=5, hour=8, hours=8))
    start, _ = slot(days_ahead=5, hour=16)
    Blackout.objects.create(instrument=instrument, start=start, end=start + timedelta(hours=4), reason="service")
    assert "Scanning electron microscope" not in _free_on(client, day)


def test_free_on_a_date_keeps_a_gap_shorter_than_the_day(client, instrument, book):
    """A one-hour gap is enough for a one-hour minimum booking; a cancelled booking frees its hours."""
    day = timezone.localdate() + timedelta(days=5)
    book(*slot(days_ahead=5, hour=8, hours=8))
    late = book(*slot(days_ahead=5, hour=17, hours=3))
    assert "Scanning electron microscope" in _free_on(client, day)  # 16:00–17:00 is free
    book(*slot(days_ahead=5, hour=16, hours=1))
    assert "Scanning electron microscope" not in _free_on(client, day)
    services.cancel_booking(late, actor=late.user, reason="plans changed")
    assert "Scanning electron microscope" in _free_on(client, day)


def test_nonsense_filter_values_are_ignored_not_errors(client, instrument):
    response = client.get("/instruments/?max_rate=abc&free_on=notadate&kind=zzz&page=999")
    assert response.status_code == 200


def _browse_queries(client):
    """Queries of the browse page with every cache empty, then with its cached figures (count, cities)."""
    from django.core.cache import cache

    cache.clear()
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/instruments/?sort=rate").status_code == 200
        counts.append(len(ctx.captured_queries))
    return counts


def test_browse_query_count_does_not_grow_with_listings(client, institute, book):
    for n in range(5):
        make_instrument(institute, title=f"仪器{n}", title_en=f"Instrument {n}")
    client.get("/instruments/")  # warm the per-process caches (site root paths) first
    with_five = _browse_queries(client)
    for n in range(5, 25):
        make_instrument(institute, title=f"仪器{n}", title_en=f"Instrument {n}")
    with_twenty_five = _browse_queries(client)
    assert with_twenty_five == with_five
    cold, warm = with_five
    assert cold <= 15
    assert warm < cold


@pytest.mark.parametrize("language, start, end", [("zh-hans", "开始时间", "结束时间"), ("en", "From", "Until")])
def test_booking_form_labels_its_times_as_times_in_each_language(client, instrument, buyer, language, start, end):
    client.force_login(buyer)
    client.cookies["language"] = language
    html = client.get(f"/equipment/book/{instrument.pk}/").content.decode()
    assert f'<label for="id_start_time">{start}:</label>' in html
    assert f'<label for="id_end_time">{end}:</label>' in html


def test_buyer_books_through_the_form_and_sees_it_in_my_bookings(client, instrument, buyer):
    client.force_login(buyer)
    start, end = slot(hour=13, hours=2)
    response = client.post(
        f"/equipment/book/{instrument.pk}/",
        {"date": start.date().isoformat(), "start_time": "13:00", "end_time": "15:00", "purpose": "SEM 观察"},
    )
    booking = Booking.objects.get()
    assert response.status_code == 302 and response.url == f"/equipment/bookings/{booking.pk}/"
    assert booking.start == start and booking.end == end
    html = client.get("/equipment/bookings/").content.decode()
    assert "¥715.50" in html


@pytest.mark.parametrize(
    "data, message",
    [
        ({"start_time": "15:00", "end_time": "13:00"}, "The end must be after the start."),
        ({"start_time": "19:00", "end_time": "21:00"}, "outside the opening hours"),
        ({"start_time": "xx", "end_time": "13:00"}, "Enter a valid time."),
    ],
)
def test_bad_booking_input_gets_a_clear_message(client, instrument, buyer, data, message):
    client.force_login(buyer)
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(f"/equipment/book/{instrument.pk}/", {"date": day, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Booking.objects.exists()


def test_past_date_in_the_form_is_refused(client, instrument, buyer):
    client.force_login(buyer)
    day = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = client.post(
        f"/equipment/book/{instrument.pk}/", {"date": day, "start_time": "10:00", "end_time": "11:00"}
    )
    assert "That time is in the past." in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize("path", ["/equipment/book/abc/", "/equipment/book/999999/", "/equipment/bookings/abc/"])
def test_nonsense_ids_answer_404(client, buyer, path):
    client.force_login(buyer)
    assert client.get(path).status_code == 404


def test_another_enterprise_cannot_see_or_cancel_a_booking(client, book, other_buyer):
    booking = book()
    client.force_login(other_buyer)
    assert client.get(f"/equipment/bookings/{booking.pk}/").status_code == 404
    assert client.post(f"/equipment/bookings/{booking.pk}/cancel/").status_code == 404
    assert f"#{booking.pk}" not in client.get("/equipment/bookings/").content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_buyer_cancels_from_the_page(client, book, buyer):
    booking = book()
    client.force_login(buyer)
    client.post(f"/equipment/bookings/{booking.pk}/cancel/", {"reason": "改期"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_cancel_needs_post(client, book, buyer):
    booking = book()
    client.force_login(buyer)
    assert client.get(f"/equipment/bookings/{booking.pk}/cancel/").status_code == 405


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_manager_queue_and_booking_pages_render(client, book, facility_manager, language):
    booking = book()
    client.force_login(facility_manager)
    client.cookies["language"] = language
    html = client.get("/equipment/manage/").content.decode()
    assert f"/equipment/manage/bookings/{booking.pk}/" in html
    assert client.get(f"/equipment/manage/bookings/{booking.pk}/").status_code == 200
    assert client.get(f"/equipment/manage/instruments/{booking.instrument_id}/").status_code == 200


def test_manager_approves_confirms_and_records_usage(client, past_confirmed, book, facility_manager):
    booking = book()
    client.force_login(facility_manager)
    client.post(f"/equipment/manage/bookings/{booking.pk}/approve/")
    client.post(f"/equipment/manage/bookings/{booking.pk}/confirm/", {"reference": "INV-9"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    client.post(f"/equipment/manage/bookings/{past_confirmed.pk}/complete/", {"hours": "1.25"})
    past_confirmed.refresh_from_db()
    assert past_confirmed.status == BookingStatus.COMPLETED
    assert past_confirmed.usage.hours == Decimal("1.25")


@pytest.mark.parametrize(("language", "message"), [("zh-hans", "已批准。"), ("en", "Approved.")])
def test_manage_action_messages_follow_each_readers_language(client, book, facility_manager, language, message):
    # Both parametrisations run in one process: a label translated once, at import, shows in one language only.
    booking = book()
    client.force_login(facility_manager)
    client.cookies["language"] = language
    response = client.post(f"/equipment/manage/bookings/{booking.pk}/approve/", follow=True)
    assert message in response.content.decode()


def test_negative_usage_hours_in_the_form_change_nothing(client, past_confirmed, facility_manager):
    client.force_login(facility_manager)
    response = client.post(f"/equipment/manage/bookings/{past_confirmed.pk}/complete/", {"hours": "-2"}, follow=True)
    assert "greater than or equal to 0.01" in response.content.decode()
    past_confirmed.refresh_from_db()
    assert past_confirmed.status == BookingStatus.CONFIRMED


def test_other_institutes_managers_and_buyers_get_404_on_manage_pages(client, book, other_tto, buyer):
    booking = book()
    for outsider in (other_tto, buyer):
        client.force_login(outsider)
        assert client.get(f"/equipment/manage/bookings/{booking.pk}/").status_code == 404
        assert client.post(f"/equipment/manage/bookings/{booking.pk}/approve/").status_code == 404
        assert client.get(f"/equipment/manage/instruments/{booking.instrument_id}/").status_code == 404
    assert client.get("/equipment/manage/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_manager_grants_and_revokes_a_qualification(client, instrument, facility_manager, buyer):
    client.force_login(facility_manager)
    until = (timezone.localdate() + timedelta(days=90)).isoformat()
    client.post(
        f"/equipment/manage/instruments/{instrument.pk}/",
        {"grant": "1", "q-email": buyer.email, "q-valid_until": until},
    )
    qualification = instrument.qualifications.get()
    assert qualification.user == buyer
    client.post(f"/equipment/manage/qualifications/{qualification.pk}/revoke/")
    qualification.refresh_from_db()
    assert qualification.revoked_at is not None


def test_instrument_ical_shows_busy_times_only(client, instrument, book, enterprise, buyer):
    book()
    response = client.get(f"/equipment/calendar/instrument/{instrument.pk}.ics")
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "BEGIN:VEVENT" in body and "Busy" in body
    assert enterprise.name_en not in body and buyer.email not in body


def test_personal_ical_needs_the_secret_token_and_can_be_revoked(client, book, buyer):
    book()
    old = services.reset_calendar_token(buyer).token  # the first address
    assert (
        "Scanning" in client.get(f"/equipment/calendar/me/{old}.ics").content.decode()
        or "扫描" in client.get(f"/equipment/calendar/me/{old}.ics").content.decode()
    )
    client.force_login(buyer)
    client.post("/equipment/calendar/reset/")
    client.logout()
    assert client.get(f"/equipment/calendar/me/{old}.ics").status_code == 404
    new = CalendarToken.objects.get(user=buyer).token
    assert client.get(f"/equipment/calendar/me/{new}.ics").status_code == 200
    assert client.get("/equipment/calendar/me/guess.ics").status_code == 404
