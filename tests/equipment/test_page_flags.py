"""The flags pages use instead of comparing raw states: each matches what the services allow."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from equipment import selectors
from equipment.models import AUTO_NOTE, Booking, BookingMode, BookingStatus, BookingTransition, InstrumentPage

pytestmark = pytest.mark.django_db


def _booking(status, *, started):
    now = timezone.now()
    start = now - timedelta(hours=1) if started else now + timedelta(days=1)
    return Booking(status=status, start=start, end=start + timedelta(hours=2))


@pytest.mark.parametrize(
    ("status", "started", "flags"),
    [
        (BookingStatus.REQUESTED, False, {"can_be_approved", "can_be_cancelled"}),
        (BookingStatus.APPROVED, False, {"can_be_confirmed", "can_be_cancelled"}),
        (BookingStatus.APPROVED, True, {"can_be_confirmed", "can_be_cancelled", "can_be_marked_no_show"}),
        (BookingStatus.CONFIRMED, False, {"can_be_cancelled"}),
        (BookingStatus.CONFIRMED, True, {"can_be_cancelled", "can_be_completed", "can_be_marked_no_show"}),
        (BookingStatus.COMPLETED, True, set()),
        (BookingStatus.CANCELLED, False, set()),
        (BookingStatus.REJECTED, False, set()),
        (BookingStatus.NO_SHOW, True, set()),
    ],
)
def test_booking_action_flags(status, started, flags):
    booking = _booking(status, started=started)
    names = ["can_be_approved", "can_be_confirmed", "can_be_cancelled", "can_be_completed", "can_be_marked_no_show"]
    assert {name for name in names if getattr(booking, name)} == flags


def test_automatic_approval_note_is_not_shown():
    assert BookingTransition(note=AUTO_NOTE).shown_note == ""
    assert BookingTransition(note="Bring samples").shown_note == "Bring samples"


def test_self_service_needs_qualification():
    assert InstrumentPage(booking_mode=BookingMode.SELF_SERVICE).needs_qualification
    assert not InstrumentPage(booking_mode=BookingMode.ASSISTED).needs_qualification


def test_week_cells_say_what_to_show(instrument):
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    days, rows, _may_book = selectors.week_calendar(instrument, monday)
    cells = [cell for _t, row in rows for cell in row]
    assert cells and all(isinstance(cell["day"], date) for cell in cells)
    for cell in cells:
        assert cell["bookable"] == (cell["state"] == "free")
        assert cell["label"] == selectors.SLOT_LABELS[cell["state"]]
    assert any(cell["bookable"] for cell in cells)
