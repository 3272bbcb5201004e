"""Waitlist offers under concurrency: whoever runs the offer at once (cancellations' commit hooks, cron),
one slot is offered to one user only, and a stranger cannot book a slot while it is offered."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from equipment import services
from equipment.models import BookingStatus, WaitlistEntry
from equipment.services import waitlist
from marketplace.accounts.models import Role
from tests.equipment.conftest import make_instrument, slot
from tests.factories import EnterpriseFactory, make_member

RACERS = 8


def _race(jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes, lock = [], threading.Lock()

    def run(job):
        try:
            barrier.wait()
            result = job()
        except ValidationError as error:
            result = error.messages
        except Exception as error:  # anything else is a failure of the guarantee
            result = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_offers_and_bookings_give_the_slot_to_one_user(institute):
    instrument = make_instrument(institute)
    people = []
    for _ in range(RACERS + 1):
        enterprise = EnterpriseFactory()
        people.append((make_member(enterprise, Role.BUYER), enterprise))
    holder, holder_org = people[0]
    start, end = slot(days_ahead=4, hour=10, hours=2)
    booking = services.request_booking(instrument=instrument, user=holder, enterprise=holder_org, start=start, end=end)
    waiting = people[1:]
    # Everyone joins at once: one entry each, none lost.
    outcomes = _race(
        [lambda u=u: services.join_waitlist(instrument=instrument, user=u, start=start, end=end) for u, _ in waiting]
    )
    assert all(isinstance(o, WaitlistEntry) for o in outcomes), outcomes
    assert WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).count() == RACERS
    services.cancel_booking(booking, actor=holder)  # its commit hook offers the slot
    # Cron and more hooks offer at once, while strangers (the waiting who were not offered) try to book.
    _race([lambda: waitlist.offer_slots(instrument.pk) for _ in range(RACERS)])
    offered = list(WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED))
    assert len(offered) == 1
    first = WaitlistEntry.objects.order_by("created_at", "pk").first()
    assert offered[0].pk == first.pk
    jobs = [
        lambda u=u, e=e: services.request_booking(instrument=instrument, user=u, enterprise=e, start=start, end=end)
        for u, e in people
    ]
    outcomes = _race(jobs)
    active = instrument.bookings.exclude(status__in=[BookingStatus.CANCELLED, BookingStatus.REJECTED])
    assert active.count() == 1
    assert active.get().user_id == first.user_id
