"""iCalendar feeds: busy times of an instrument (anonymous), and a user's own bookings."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from marketplace.core.links import absolute_url

from .models import ACTIVE_STATUSES, Blackout, Booking

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 366


def _calendar(name):
    calendar = Calendar()
    calendar.add("prodid", "-//Technology Transfer & Shared Instruments//equipment//")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def _host():
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "localhost"


def instrument_busy_calendar(instrument) -> bytes:
    """Busy and closed periods only; never who booked."""
    now = timezone.now()
    start, end = now - timedelta(days=FEED_DAYS_BACK), now + timedelta(days=FEED_DAYS_AHEAD)
    calendar = _calendar(instrument.title)
    for pk, s, e in Booking.objects.filter(
        instrument=instrument, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
    ).values_list("pk", "start", "end"):
        event = Event()
        event.add("uid", f"busy-{pk}@{_host()}")
        event.add("summary", "Busy / 已预约")
        event.add("dtstart", s)
        event.add("dtend", e)
        event.add("dtstamp", now)
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    for blackout in Blackout.objects.filter(instrument=instrument, start__lt=end, end__gt=start):
        event = Event()
        event.add("uid", f"blackout-{blackout.pk}@{_host()}")
        event.add("summary", "Unavailable / 暂停开放")
        event.add("dtstart", blackout.start)
        event.add("dtend", blackout.end)
        event.add("dtstamp", now)
        calendar.add_component(event)
    return calendar.to_ical()


def user_bookings_calendar(user) -> bytes:
    """The user's own active bookings (as the person who booked them)."""
    now = timezone.now()
    calendar = _calendar("My bookings / 我的预约")
    bookings = Booking.objects.filter(
        user=user, status__in=ACTIVE_STATUSES, end__gt=now - timedelta(days=FEED_DAYS_BACK)
    ).select_related("instrument", "institute")
    for booking in bookings:
        event = Event()
        event.add("uid", f"booking-{booking.pk}@{_host()}")
        event.add("summary", f"{booking.instrument.title} ({booking.get_status_display()})")
        event.add("location", f"{booking.institute.name} {booking.instrument.location}".strip())
        event.add("dtstart", booking.start)
        event.add("dtend", booking.end)
        event.add("dtstamp", now)
        event.add("url", absolute_url("equipment:booking", booking.pk))
        calendar.add_component(event)
    return calendar.to_ical()
