"""The waitlist: joining a taken slot, offers first come first served when the slot is freed, the offer's
time limit, lapses and leaving."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from equipment import services
from equipment.models import WaitlistEntry
from equipment.services import waitlist
from marketplace.accounts.models import Role
from tests.equipment.conftest import slot
from tests.factories import EnterpriseFactory, make_member

pytestmark = pytest.mark.django_db

W = WaitlistEntry.Status


@pytest.fixture
def waiters(db):
    """Three buyers of three enterprises: (user, enterprise)."""
    people = []
    for _ in range(3):
        enterprise = EnterpriseFactory()
        people.append((make_member(enterprise, Role.BUYER), enterprise))
    return people


@pytest.fixture
def taken(book):
    start, end = slot(days_ahead=5, hour=10, hours=2)
    return book(start, end)


def join(instrument, user, booking, **kw):
    return services.join_waitlist(instrument=instrument, user=user, start=booking.start, end=booking.end, **kw)


def freed(booking, actor, capture):
    with capture(execute=True):
        services.cancel_booking(booking, actor=actor, reason="changed plans")


def status(entry):
    entry.refresh_from_db()
    return entry.status


# --- joining -----------------------------------------------------------------------------------------


def test_joining_a_taken_slot_and_twice_is_one_entry(instrument, taken, waiters):
    user = waiters[0][0]
    entry = join(instrument, user, taken)
    assert entry.status == W.WAITING
    assert join(instrument, user, taken).pk == entry.pk
    assert WaitlistEntry.objects.count() == 1


def test_a_free_slot_is_booked_not_waited_for(instrument, waiters):
    start, end = slot(days_ahead=5)
    with pytest.raises(ValidationError):
        services.join_waitlist(instrument=instrument, user=waiters[0][0], start=start, end=end)


def test_a_past_slot_cannot_be_waited_for(instrument, waiters):
    start, end = slot(days_ahead=-1)
    with pytest.raises(ValidationError):
        services.join_waitlist(instrument=instrument, user=waiters[0][0], start=start, end=end)


def test_only_buyers_may_wait(instrument, taken, researcher, facility_manager):
    for user in (researcher, facility_manager):
        with pytest.raises(PermissionDenied):
            join(instrument, user, taken)


# --- offers --------------------------------------------------------------------------------------------


def test_a_cancellation_offers_the_slot_to_the_first_waiting_only(
    instrument, taken, buyer, waiters, django_capture_on_commit_callbacks, mailoutbox
):
    entries = [join(instrument, user, taken) for user, _ in waiters]
    freed(taken, buyer, django_capture_on_commit_callbacks)
    assert [status(e) for e in entries] == [W.OFFERED, W.WAITING, W.WAITING]
    first = entries[0]
    offer = next(m for m in mailoutbox if m.to == [waiters[0][0].email])
    local = timezone.localtime(taken.start)
    assert f"/equipment/book/{instrument.pk}/?date={local:%Y-%m-%d}&start={local:%H:%M}&end=" in offer.body
    assert not any(m.to == [waiters[1][0].email] for m in mailoutbox)
    assert first.offer_expires_at == first.offered_at + timedelta(hours=settings.WAITLIST_OFFER_HOURS)


def test_the_offer_never_runs_beyond_the_start_minus_notice(
    instrument, book, buyer, waiters, django_capture_on_commit_callbacks
):
    start, end = slot(days_ahead=1, hour=18)  # 24 h notice: the offer ends at the latest a day before
    booking = book(start, end, now=start - timedelta(days=3))
    entry = join(instrument, waiters[0][0], booking)
    now = start - timedelta(hours=30)
    services.cancel_booking(booking, actor=buyer, now=now - timedelta(days=2))
    waitlist.offer_slots(instrument.pk, now=now)
    entry.refresh_from_db()
    assert entry.status == W.OFFERED
    assert entry.offer_expires_at == start - timedelta(hours=instrument.min_notice_hours)


def test_a_slot_too_close_to_offer_is_closed(instrument, taken, buyer, waiters):
    entry = join(instrument, waiters[0][0], taken)
    services.cancel_booking(taken, actor=buyer)
    waitlist.offer_slots(instrument.pk, now=taken.start - timedelta(hours=2))
    assert status(entry) == W.CLOSED


def test_the_offered_user_books_and_others_are_refused(
    instrument, taken, buyer, waiters, django_capture_on_commit_callbacks
):
    (first, first_org), (second, second_org) = waiters[:2]
    a, b = join(instrument, first, taken), join(instrument, second, taken)
    freed(taken, buyer, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="offered to someone"):
        services.request_booking(
            instrument=instrument, user=second, enterprise=second_org, start=taken.start, end=taken.end
        )
    with pytest.raises(ValidationError):
        services.request_booking(
            instrument=instrument, user=buyer, enterprise=taken.enterprise, start=taken.start, end=taken.end
        )
    booking = services.request_booking(
        instrument=instrument, user=first, enterprise=first_org, start=taken.start, end=taken.end
    )
    assert booking.user == first
    assert status(a) == W.BOOKED and status(b) == W.WAITING


def test_a_lapsed_offer_goes_to_the_next_in_order_and_the_command_is_idempotent(
    instrument, taken, buyer, waiters, django_capture_on_commit_callbacks
):
    entries = [join(instrument, user, taken) for user, _ in waiters]
    freed(taken, buyer, django_capture_on_commit_callbacks)
    later = timezone.now() + timedelta(hours=settings.WAITLIST_OFFER_HOURS, minutes=1)
    assert services.offer_waitlisted_slots(now=later) == 1
    assert [status(e) for e in entries] == [W.LAPSED, W.OFFERED, W.WAITING]
    assert services.offer_waitlisted_slots(now=later) == 0
    assert [status(e) for e in entries] == [W.LAPSED, W.OFFERED, W.WAITING]
    # After the lapsed offer a stranger's booking is refused while the second one holds it.
    with pytest.raises(ValidationError):
        services.request_booking(
            instrument=instrument,
            user=waiters[0][0],
            enterprise=waiters[0][1],
            start=taken.start,
            end=taken.end,
            now=later,
        )
    even_later = later + timedelta(hours=settings.WAITLIST_OFFER_HOURS, minutes=1)
    call_command("offer_waitlisted_slots")  # real now: nothing lapsed yet
    assert services.offer_waitlisted_slots(now=even_later) == 1
    assert [status(e) for e in entries] == [W.LAPSED, W.LAPSED, W.OFFERED]


def test_leaving_while_offered_passes_the_offer_on(
    instrument, taken, buyer, waiters, django_capture_on_commit_callbacks
):
    entries = [join(instrument, user, taken) for user, _ in waiters[:2]]
    freed(taken, buyer, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        services.leave_waitlist(entries[0], user=waiters[1][0])
    services.leave_waitlist(entries[0], user=waiters[0][0])
    assert [status(e) for e in entries] == [W.LEFT, W.OFFERED]


def test_leaving_while_waiting_skips_the_user(instrument, taken, buyer, waiters, django_capture_on_commit_callbacks):
    entries = [join(instrument, user, taken) for user, _ in waiters[:2]]
    services.leave_waitlist(entries[0], user=waiters[0][0])
    freed(taken, buyer, django_capture_on_commit_callbacks)
    assert [status(e) for e in entries] == [W.LEFT, W.OFFERED]


def test_a_rejection_and_an_expiry_offer_the_slot_too(
    instrument, book, waiters, facility_manager, settings, django_capture_on_commit_callbacks
):
    first = book(*slot(days_ahead=5, hour=9))
    second = book(*slot(days_ahead=6, hour=9))
    a, b = join(instrument, waiters[0][0], first), join(instrument, waiters[1][0], second)
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_booking(first, actor=facility_manager, reason="maintenance")
    assert status(a) == W.OFFERED and status(b) == W.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        services.expire_bookings(now=timezone.now() + timedelta(hours=settings.BOOKING_REQUEST_EXPIRY_HOURS + 1))
    assert status(b) == W.OFFERED


def test_overlapping_entries_are_offered_in_order_and_never_together(
    instrument, book, buyer, waiters, django_capture_on_commit_callbacks
):
    whole = book(*slot(days_ahead=5, hour=9, hours=2))
    start = whole.start
    wide = services.join_waitlist(instrument=instrument, user=waiters[0][0], start=start, end=whole.end)
    narrow = services.join_waitlist(
        instrument=instrument, user=waiters[1][0], start=start, end=start + timedelta(hours=1)
    )
    later = services.join_waitlist(
        instrument=instrument, user=waiters[2][0], start=start + timedelta(hours=1), end=whole.end
    )
    freed(whole, buyer, django_capture_on_commit_callbacks)
    assert [status(e) for e in (wide, narrow, later)] == [W.OFFERED, W.WAITING, W.WAITING]
    services.leave_waitlist(wide, user=waiters[0][0])
    # The two halves do not overlap: both are offered.
    assert [status(e) for e in (narrow, later)] == [W.OFFERED, W.OFFERED]


def test_a_slot_still_partly_taken_is_not_offered(instrument, book, buyer, waiters, django_capture_on_commit_callbacks):
    one = book(*slot(days_ahead=5, hour=9))
    book(*slot(days_ahead=5, hour=10))
    entry = services.join_waitlist(
        instrument=instrument, user=waiters[0][0], start=one.start, end=one.start + timedelta(hours=2)
    )
    freed(one, buyer, django_capture_on_commit_callbacks)
    assert status(entry) == W.WAITING


def test_nothing_is_offered_while_the_cancellation_rolls_back(instrument, taken, buyer, waiters):
    entry = join(instrument, waiters[0][0], taken)
    services.cancel_booking(taken, actor=buyer)  # the test's transaction never commits
    assert status(entry) == W.WAITING


def test_a_failing_offer_never_breaks_the_cancellation(
    instrument, taken, buyer, waiters, django_capture_on_commit_callbacks, monkeypatch
):
    entry = join(instrument, waiters[0][0], taken)

    def broken(*args, **kwargs):
        raise RuntimeError("mail server down")

    monkeypatch.setattr(waitlist, "offer_slots", broken)
    freed(taken, buyer, django_capture_on_commit_callbacks)
    taken.refresh_from_db()
    assert taken.status == "cancelled" and status(entry) == W.WAITING
    monkeypatch.undo()
    assert services.offer_waitlisted_slots() == 1  # cron catches up
