"""No double booking, enforced by the database: 20 enterprises race for one slot."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from equipment import availability, services
from equipment.models import Booking, BookingStatus
from marketplace.accounts.models import Role
from tests.equipment.conftest import make_instrument, slot
from tests.factories import EnterpriseFactory, make_member

RACERS = 20


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_requests_for_one_slot_give_exactly_one_booking(institute):
    instrument = make_instrument(institute)
    racers = []
    for _ in range(RACERS):
        enterprise = EnterpriseFactory()
        racers.append((make_member(enterprise, Role.BUYER), enterprise))
    start, end = slot(days_ahead=4, hour=10, hours=2)
    barrier = threading.Barrier(RACERS)
    outcomes, lock = [], threading.Lock()

    def race(user, enterprise):
        try:
            barrier.wait()
            services.request_booking(instrument=instrument, user=user, enterprise=enterprise, start=start, end=end)
            result = "booked"
        except ValidationError as error:
            result = error.messages
        except Exception as error:  # anything else is a failure of the guarantee
            result = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=pair) for pair in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Booking.objects.filter(instrument=instrument).count() == 1
    assert outcomes.count("booked") == 1
    refused = [o for o in outcomes if o != "booked"]
    assert len(refused) == RACERS - 1
    assert all(o == [availability.slot_taken_message()] for o in refused), refused


@pytest.mark.django_db
def test_database_itself_refuses_an_overlapping_active_booking(instrument, book, buyer, enterprise):
    """PostgreSQL: the exclusion constraint refuses a raw insert past the service. SQLite has no such
    constraint; there the service's check under BEGIN IMMEDIATE is the guard (the race test above)."""
    first = book(*slot(hour=10, hours=2))
    start, end = slot(hour=11, hours=2)
    overlapping = Booking(
        instrument=instrument,
        institute_id=first.institute_id,
        enterprise=enterprise,
        user=buyer,
        start=start,
        end=end,
        tier=first.tier,
        hourly_rate=first.hourly_rate,
        hours=2,
        price_amount=first.price_amount,
    )
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            overlapping.save()
        assert Booking.objects.count() == 1
        # A cancelled booking does not hold its slot, so the same range may be stored inactive.
        overlapping.status = BookingStatus.CANCELLED
        overlapping.save()
        assert Booking.objects.count() == 2
    else:
        with pytest.raises(ValidationError, match="already taken"):
            book(start, end)
        assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_constraint_violation_is_answered_as_slot_taken(monkeypatch, instrument, book):
    """If the overlap check were bypassed, PostgreSQL's constraint still answers "slot taken"."""
    book(*slot(hour=10, hours=2))
    real_booking_errors = availability.booking_errors

    def ignore_busy(*args, busy, **kwargs):
        return real_booking_errors(*args, busy=[], **kwargs)

    monkeypatch.setattr(availability, "booking_errors", ignore_busy)
    if connection.vendor == "postgresql":
        with pytest.raises(ValidationError) as info:
            book(*slot(hour=11, hours=2))
        assert info.value.messages == [availability.slot_taken_message()]
        assert Booking.objects.count() == 1
    else:
        # Without the check SQLite stores the overlap: the check under the write lock is the guard.
        book(*slot(hour=11, hours=2))
        assert Booking.objects.count() == 2
