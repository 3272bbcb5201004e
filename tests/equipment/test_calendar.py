"""The calendar never lies: a cell is a link only where availability.booking_errors (the booking
service's own check) accepts a booking from there for this user now, and following the link books."""

import re
from datetime import date, datetime, time, timedelta
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from equipment import availability
from equipment.models import Blackout, BookingMode, InstrumentPage, OpeningHours
from tests.equipment.conftest import make_instrument, slot

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 12, 7, 10, 17, 30))  # a Monday, 10:17:30 local time
MONDAY = date(2026, 12, 7)


def rules(**fields):
    values = {"slot_minutes": 60, "min_booking_minutes": 60, "max_booking_minutes": 240, "min_notice_hours": 24,
              "horizon_days": 30, "booking_mode": BookingMode.ASSISTED}  # fmt: skip
    values.update(fields)
    return InstrumentPage(**values)


def hours(opens=time(8, 30), closes=time(17, 30), days=range(5)):
    return [OpeningHours(weekday=d, opens=opens, closes=closes) for d in days]


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def grid(instrument, opening=None, **data):
    data = {"now": NOW, "opening_hours": opening or hours(), "blackouts": [], "busy": [], **data}
    return availability.week_grid(instrument, MONDAY, **data)


def cell(rows, day_index, hh_mm):
    return next(cells[day_index] for t, cells in rows if t.strftime("%H:%M") == hh_mm)


# --- the one check -------------------------------------------------------------------------------------


def test_slot_steps_count_from_the_opening_time():
    instrument, opening, day = rules(), hours(), MONDAY + timedelta(days=3)
    check = {"now": NOW, "opening_hours": opening, "blackouts": [], "busy": []}
    assert availability.booking_errors(instrument, at(day, 8, 30), at(day, 9, 30), **check) == []
    assert availability.booking_errors(instrument, at(day, 15, 30), at(day, 17, 30), **check) == []
    refused = availability.booking_errors(instrument, at(day, 9), at(day, 10), **check)
    assert refused == ["Bookings start on 60-minute steps counted from the opening time and last whole steps."]
    assert availability.booking_errors(instrument, at(day, 8, 30), at(day, 9, 0), **check)


def test_the_service_uses_the_same_steps(institute, book):
    instrument = make_instrument(institute, hours=[(d, time(8, 30), time(17, 30)) for d in range(7)])
    booking = book(*slot(hour=8, minute=30), target=instrument)
    assert availability.local(booking.start).strftime("%H:%M") == "08:30"
    with pytest.raises(ValidationError, match="steps counted from the opening time"):
        book(*slot(hour=11), target=instrument)


def test_qualification_is_one_of_the_reasons():
    instrument = rules(booking_mode=BookingMode.SELF_SERVICE)
    day = MONDAY + timedelta(days=3)
    check = {"now": NOW, "opening_hours": hours(), "blackouts": [], "busy": []}
    assert availability.booking_errors(instrument, at(day, 8, 30), at(day, 9, 30), **check) == []
    for until in (None, day - timedelta(days=1)):
        errors = availability.booking_errors(instrument, at(day, 8, 30), at(day, 9, 30), qualified_until=until, **check)
        assert errors == [availability.qualification_message()]
    assert not availability.booking_errors(instrument, at(day, 8, 30), at(day, 9, 30), qualified_until=day, **check)


def test_a_slot_offered_to_someone_else_is_refused():
    day = MONDAY + timedelta(days=3)
    check = {"now": NOW, "opening_hours": hours(), "blackouts": [], "busy": []}
    errors = availability.booking_errors(
        rules(), at(day, 8, 30), at(day, 9, 30), held=[(at(day, 9), at(day, 10))], **check
    )
    assert errors == ["This slot is offered to someone on the waitlist."]


# --- grid states ---------------------------------------------------------------------------------------


def test_rows_follow_the_opening_time_and_the_step():
    days, rows = grid(rules())
    assert [t.strftime("%H:%M") for t, _cells in rows] == [f"{h:02d}:30" for h in range(8, 17)]
    assert days[0] == MONDAY and len(days) == 7
    assert all(c.state == "closed" for _t, cells in rows for c in cells[5:])  # closed at the weekend


def test_rows_with_a_15_minute_step_and_a_second_period():
    opening = hours(time(8, 30), time(10)) + [OpeningHours(weekday=0, opens=time(13, 45), closes=time(14, 30))]
    _days, rows = grid(rules(slot_minutes=15, min_booking_minutes=30), opening)
    times = [t.strftime("%H:%M") for t, _cells in rows]
    assert times == ["08:30", "08:45", "09:00", "09:15", "09:30", "09:45", "13:45", "14:00", "14:15"]
    assert cell(rows, 1, "13:45").state == "closed"  # the afternoon period is Monday's only
    # Tuesday 09:45: one step fits before closing, the 30-minute minimum does not.
    late = cell(rows, 1, "09:45")
    assert late.state == "unavailable" and "outside the opening hours" in late.reason


def test_past_notice_and_horizon_cells():
    _days, rows = grid(rules(horizon_days=3))
    assert cell(rows, 0, "09:30").state == "past"
    today_later = cell(rows, 0, "15:30")
    assert today_later.state == "unavailable" and "24 hours of notice" in today_later.reason
    tomorrow = cell(rows, 1, "10:30")  # 10:30 tomorrow is 24 h 12 min away
    assert tomorrow.state == "free" and tomorrow.end == at(MONDAY + timedelta(days=1), 11, 30)
    assert cell(rows, 1, "09:30").state == "unavailable"  # 23 h 12 min away
    beyond = cell(rows, 4, "08:30")
    assert beyond.state == "unavailable" and "3 days ahead" in beyond.reason


def test_busy_mine_blackout_and_the_cell_before_a_busy_one():
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    blackout = Blackout(start=at(wednesday, 8, 30), end=at(wednesday, 12, 30))
    _days, rows = grid(
        rules(min_booking_minutes=120),
        busy=[(at(tuesday, 13, 30), at(tuesday, 14, 30))],
        mine=[(at(tuesday, 15, 30), at(tuesday, 16, 30))],
        blackouts=[blackout],
    )
    assert cell(rows, 1, "13:30").state == "busy"
    assert cell(rows, 1, "15:30").state == "mine"
    assert cell(rows, 2, "10:30").state == "blackout"
    # A two-hour booking from 12:30 would run into the busy hour: not a link.
    before = cell(rows, 1, "12:30")
    assert before.state == "unavailable" and "already taken" in before.reason
    assert cell(rows, 1, "11:30").state == "free"
    assert cell(rows, 2, "12:30").state == "free"


def test_qualification_decides_for_a_booker_only():
    instrument = rules(booking_mode=BookingMode.SELF_SERVICE)
    _days, rows = grid(instrument)
    assert cell(rows, 2, "08:30").state == "free"  # qualification not checked: an anonymous visitor
    _days, rows = grid(instrument, qualified_until=None)
    assert cell(rows, 2, "08:30").state == "unavailable"
    _days, rows = grid(instrument, qualified_until=MONDAY + timedelta(days=2))
    assert cell(rows, 2, "08:30").state == "free" and cell(rows, 3, "08:30").state == "unavailable"


def test_no_length_fits_the_steps():
    _days, rows = grid(rules(slot_minutes=60, min_booking_minutes=45, max_booking_minutes=50))
    assert not any(c.bookable for _t, cells in rows for c in cells)


def test_next_free_slot_counts_steps_from_the_opening_time():
    found = availability.next_free_slot(rules(), now=NOW, opening_hours=hours(), blackouts=[], busy=[])
    assert found == at(MONDAY + timedelta(days=1), 10, 30)


# --- pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def half_past(institute):
    """Open 08:30–17:30 every day, booked in 60-minute steps."""
    return make_instrument(institute, hours=[(d, time(8, 30), time(17, 30)) for d in range(7)])


def two_weeks(client, instrument):
    """This week's page and the next (on a Sunday, the notice leaves nothing to book this week)."""
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    return "".join(
        client.get(f"{instrument.url}?week={week.isoformat()}").content.decode()
        for week in (monday, monday + timedelta(days=7))
    )


def links(html, instrument):
    return [unescape(m) for m in re.findall(rf'href="(/equipment/book/{instrument.pk}/\?[^"]+)"', html)]


def test_week_links_prefill_start_and_the_shortest_end(client, buyer, half_past):
    client.force_login(buyer)
    html = two_weeks(client, half_past)
    found = links(html, half_past)
    assert found
    for url in found:
        query = dict(p.split("=") for p in url.split("?")[1].split("&"))
        assert query["start"].endswith(":30") and query["end"].endswith(":30")
        start = timezone.make_aware(
            datetime.combine(date.fromisoformat(query["date"]), time.fromisoformat(query["start"]))
        )
        assert start >= timezone.now() + timedelta(hours=24)
    assert 'aria-label="free: Book ' in html


def test_anonymous_visitors_see_no_booking_links(client, half_past):
    html = two_weeks(client, half_past)
    assert not links(html, half_past) and "slot-free" in html


def test_own_bookings_are_marked_for_their_booker_only(client, buyer, other_buyer, half_past, book):
    booking = book(*slot(hour=10, minute=30), target=half_past)
    week = f"?week={booking.start.date().isoformat()}"
    client.force_login(buyer)
    assert "slot-mine" in client.get(half_past.url + week).content.decode()
    client.force_login(other_buyer)
    html = client.get(half_past.url + week).content.decode()
    assert "slot-mine" not in html and "slot-busy" in html
    # The busy cell offers the waitlist for the shortest booking from there.
    day = availability.local(booking.start).date().isoformat()
    assert f"/waitlist/{half_past.pk}/join/?date={day}&amp;start=10:30&amp;end=11:30" in html


def test_the_form_offers_only_valid_ends(client, buyer, half_past, book, other_buyer, other_enterprise):
    day = timezone.localdate() + timedelta(days=3)
    book(*slot(hour=12, minute=30), target=half_past, user=other_buyer, org=other_enterprise)
    client.force_login(buyer)
    html = client.get(f"/equipment/book/{half_past.pk}/?date={day}&start=09:30&end=10:30").content.decode()
    ends = re.findall(r'<option value="(\d\d:\d\d)"', html)
    assert ends == ["10:30", "11:30", "12:30"]  # 12:30 starts the other booking
    assert re.search(r'<option value="10:30" selected>', html)
    assert f'value="{day.isoformat()}"' in html and 'value="09:30"' in html
    # Without a start, plain time fields.
    html = client.get(f"/equipment/book/{half_past.pk}/").content.decode()
    assert 'type="time" name="end_time"' in html


def test_an_invalid_query_gives_plain_fields(client, buyer, half_past):
    client.force_login(buyer)
    for query in ("?date=9999-12-31&start=09:30", "?date=nonsense&start=25:00", "?start=09:30"):
        response = client.get(f"/equipment/book/{half_past.pk}/{query}")
        assert response.status_code == 200
        assert 'type="time" name="end_time"' in response.content.decode()


def test_month_view_links_days_to_their_week(client, buyer, half_past):
    client.force_login(buyer)
    month = timezone.localdate() + timedelta(days=35)
    html = client.get(f"{half_past.url}?view=month&month={month:%Y-%m}").content.decode()
    assert "month-calendar" in html
    weeks = re.findall(r'href="\?week=(\d{4}-\d\d-\d\d)" aria-label="[^"]*bookable from 08:30', html)
    assert weeks and all(date.fromisoformat(w).weekday() == 0 for w in weeks)
    assert 'href="?week=' in html  # the switch back to the week view


def test_month_view_without_opening_days(client, buyer, institute):
    instrument = make_instrument(institute, hours=[(0, time(8, 30), time(12))])  # Mondays only
    client.force_login(buyer)
    month = timezone.localdate() + timedelta(days=35)
    html = client.get(f"{instrument.url}?view=month&month={month:%Y-%m}").content.decode()
    assert html.count("slot-free") == sum(1 for d in range(1, 32) if _is_monday(month.year, month.month, d))


def _is_monday(year, month, day):
    try:
        return date(year, month, day).weekday() == 0
    except ValueError:
        return False


@pytest.mark.parametrize("query", ["?view=month&month=garbage", "?view=month&month=1900-01", "?week=x", "?view=x"])
def test_bad_calendar_queries_are_no_error(client, half_past, query):
    assert client.get(half_past.url + query).status_code == 200


def test_calendar_labels_in_chinese(client, buyer, half_past):
    client.cookies["language"] = "zh-hans"
    client.force_login(buyer)
    html = two_weeks(client, half_past)
    assert ">空闲</a>" in html and 'aria-label="空闲: 预约 ' in html and ">不可预约</span>" in html
    assert ">月</a>" in html
    assert "not bookable" not in html and "Book " not in html


def test_no_links_once_the_open_requests_are_used_up(client, settings, buyer, half_past, book):
    settings.BOOKING_MAX_OPEN_REQUESTS_PER_INSTRUMENT = 1
    client.force_login(buyer)
    assert links(two_weeks(client, half_past), half_past)
    book(*slot(days_ahead=5, hour=10, minute=30), target=half_past)
    html = two_weeks(client, half_past)
    assert not links(html, half_past)
    assert "You already have 1 open request for this instrument" in html
