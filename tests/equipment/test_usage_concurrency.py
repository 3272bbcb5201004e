"""Double clicks at once: eight simultaneous check-ins, check-outs or no-show runs of one booking change
it once (the booking row is locked), on both databases."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from equipment import services
from equipment.models import Booking, BookingMode, BookingStatus, BookingTransition, Overrun, UsageRecord
from marketplace.statistics.models import TransferEvent
from tests.equipment.conftest import make_instrument, slot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RACERS = 8


def _race(work):
    barrier = threading.Barrier(RACERS)
    outcomes, lock = [], threading.Lock()

    def run():
        try:
            barrier.wait()
            work()
            result = "ok"
        except Exception as error:  # any error is a failure of the guarantee
            result = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.fixture
def under_way(institute, buyer, enterprise, facility_manager):
    instrument = make_instrument(institute, booking_mode=BookingMode.SELF_SERVICE)
    services.grant_qualification(
        instrument, buyer, actor=facility_manager, valid_until=timezone.localdate() + timedelta(days=30)
    )
    start, end = slot(days_ahead=3, hour=9)
    booking = services.request_booking(instrument=instrument, user=buyer, enterprise=enterprise, start=start, end=end)
    services.approve_booking(booking, actor=facility_manager)
    services.confirm_booking(booking, actor=facility_manager, reference="INV-1")
    booking.refresh_from_db()
    return booking


def test_simultaneous_check_ins_and_check_outs_record_once(under_way, buyer):
    booking = under_way
    assert _race(lambda: services.check_in(booking, actor=buyer, now=booking.start)) == ["ok"] * RACERS
    booking.refresh_from_db()
    assert booking.checked_in_at == booking.start
    late = booking.end + timedelta(minutes=30)
    assert _race(lambda: services.check_out(booking, actor=buyer, now=late)) == ["ok"] * RACERS
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED and booking.checked_out_at == late
    assert UsageRecord.objects.filter(booking=booking).count() == 1
    assert Overrun.objects.filter(booking=booking).count() == 1
    assert BookingTransition.objects.filter(booking=booking, to_status=BookingStatus.COMPLETED).count() == 1
    assert TransferEvent.objects.filter(kind="usage_recorded").count() == 1


def test_simultaneous_no_show_runs_mark_once(under_way):
    booking = under_way
    after = booking.start + timedelta(hours=1)
    assert _race(lambda: services.detect_no_shows(now=after)) == ["ok"] * RACERS
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    assert BookingTransition.objects.filter(booking=booking, to_status=BookingStatus.NO_SHOW).count() == 1
    assert Booking.objects.filter(status=BookingStatus.NO_SHOW).count() == 1
