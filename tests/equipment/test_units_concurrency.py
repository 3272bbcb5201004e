"""Concurrent bookers of resources that are not hourly (each thread its own connection): a campaign's days
and buffers go to one of them; an access period's seats are never oversold."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from equipment import availability, services, units
from equipment.models import ACTIVE_STATUSES, Booking
from marketplace.accounts.models import Role
from tests.equipment.test_units import ahead, data_set, pilot_line
from tests.factories import EnterpriseFactory, make_member

RACERS = 12


def _race(calls):
    """Run each call in its own thread, all released together; the outcome of each ("booked" or messages)."""
    barrier = threading.Barrier(len(calls))
    outcomes, lock = [], threading.Lock()

    def run(call):
        try:
            barrier.wait()
            call()
            result = "booked"
        except ValidationError as error:
            result = error.messages
        except Exception as error:  # anything else is a failure of the guarantee
            result = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _racers(n):
    racers = []
    for _ in range(n):
        enterprise = EnterpriseFactory()
        racers.append((make_member(enterprise, Role.BUYER), enterprise))
    return racers


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_campaigns_on_neighbouring_days_never_overlap_with_their_buffers(institute):
    line = pilot_line(institute)
    # Every racer wants a 2-day campaign starting on day 5, 6 or 7: with 8 h set-up and 4 h cleaning no two of
    # these may both be held.
    calls = [
        (lambda user=user, org=org, k=k: services.request_range_booking(
            instrument=line, user=user, organization=org, first_day=ahead(5 + k % 3), last_day=ahead(6 + k % 3)
        ))
        for k, (user, org) in enumerate(_racers(RACERS))
    ]  # fmt: skip
    outcomes = _race(calls)
    held = list(Booking.objects.filter(instrument=line, status__in=ACTIVE_STATUSES))
    assert outcomes.count("booked") == len(held) >= 1
    for i, a in enumerate(held):
        for b in held[i + 1 :]:
            assert not availability.overlaps(a.blocked_start, a.blocked_end, b.blocked_start, b.blocked_end)
    refused = [o for o in outcomes if o != "booked"]
    assert all(len(o) == 1 and "overlap another booking" in o[0] for o in refused), refused


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_seat_requests_never_exceed_the_seats(institute):
    gpu = data_set(institute, seats=8)
    # Each racer wants 3 seats over overlapping periods: at most two may hold seats on the shared day.
    calls = [
        (lambda user=user, org=org, k=k: services.request_range_booking(
            instrument=gpu, user=user, organization=org, first_day=ahead(3 + k % 2), last_day=ahead(5), seats=3
        ))
        for k, (user, org) in enumerate(_racers(RACERS))
    ]  # fmt: skip
    outcomes = _race(calls)
    held = list(Booking.objects.filter(instrument=gpu, status__in=ACTIVE_STATUSES))
    assert outcomes.count("booked") == len(held) == 2
    triples = [(b.blocked_start, b.blocked_end, b.seats) for b in held]
    first = min(b.start for b in held)
    assert units.peak_seats(triples, first, first + timedelta(days=10)) <= gpu.seats
    refused = [o for o in outcomes if o != "booked"]
    assert all(len(o) == 1 and "seat" in o[0] for o in refused), refused
