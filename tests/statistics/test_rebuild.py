"""rebuild_ledger regenerates the ledger from the domain tables and --check proves they agree."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from equipment.ledger import booking_completed
from equipment.models import Booking, BookingTransition, UsageRecord
from ip_listings import services as ip_services
from ip_listings.models import DealMode
from marketplace.statistics.models import TransferEvent
from marketplace.statistics.periods import Period
from marketplace.statistics.selectors import figures, instruments
from marketplace.statistics.services import record
from tests.ip_listings.conftest import make_result, offer

from .conftest import K, at

pytestmark = pytest.mark.django_db


def make_booking(instrument, enterprise, user, start, hours, status, price):
    booking = Booking.objects.create(
        instrument=instrument,
        institute=instrument.institute,
        enterprise=enterprise,
        user=user,
        start=start,
        end=start + dt.timedelta(hours=hours),
        status=status,
        tier="enterprise",
        hourly_rate=Decimal(price) / hours,
        hours=Decimal(hours),
        price_amount=Decimal(price),
    )
    for step in ("approved", "confirmed", status):
        if step in ("approved", "confirmed") or step != "cancelled":
            BookingTransition.objects.create(booking=booking, to_status=step)
        if step == status:
            break
    if status == "cancelled":
        BookingTransition.objects.create(booking=booking, to_status="cancelled")
    return booking


@pytest.fixture
def domain(instrument, enterprise, buyer, facility_manager):
    done = make_booking(instrument, enterprise, buyer, at(2025, 3, 3, 9), 4, "completed", "2000")
    UsageRecord.objects.create(booking=done, hours=Decimal("3.5"), recorded_by=facility_manager)
    second = make_booking(instrument, enterprise, buyer, at(2025, 3, 4, 9), 2, "completed", "1000")
    UsageRecord.objects.create(booking=second, hours=Decimal("2"), recorded_by=facility_manager)
    make_booking(instrument, enterprise, buyer, at(2025, 3, 5, 9), 8, "cancelled", "4000")
    return done, second


def run(*args):
    out = StringIO()
    call_command("rebuild_ledger", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_check_fails_while_the_ledger_misses_domain_facts(domain):
    with pytest.raises(CommandError):
        run("--check")


def test_rebuild_fills_the_ledger_and_check_then_agrees(domain, instrument):
    run()
    assert run("--check").strip().endswith("The ledger agrees with the domain tables.")
    assert TransferEvent.objects.filter(kind=K.BOOKING_COMPLETED).count() == 2
    assert TransferEvent.objects.filter(kind=K.USAGE_RECORDED).count() == 2
    assert TransferEvent.objects.filter(kind=K.BOOKING_CONFIRMED).count() == 3  # the cancelled one was confirmed
    # The cancelled booking never reaches the figures (events happen when the transitions did: today).
    [row] = instruments.instrument_usage([instrument.institute_id], Period.year(timezone.localdate().year))
    assert (row.bookings, row.booked_hours, row.income) == (2, Decimal("6"), Decimal("3000"))
    # Usage counts when the instrument was used: at the booking's end, in March 2025.
    assert figures.ledger_totals([instrument.institute_id], Period.year(2025))["used_hours"] == Decimal("5.5")


def test_rebuild_is_idempotent_and_keeps_what_services_wrote(domain):
    done, _second = domain
    record(booking_completed(done, at=done.updated_at))  # as equipment.services.complete_booking writes it
    run()
    first = TransferEvent.objects.count()
    assert "0 inserted" in run()
    assert TransferEvent.objects.count() == first
    assert TransferEvent.objects.filter(kind=K.BOOKING_COMPLETED, source_id=str(done.pk)).count() == 1


def test_check_reports_a_ledger_row_the_domain_does_not_have(domain):
    run()
    TransferEvent.objects.create(
        kind=K.BOOKING_COMPLETED,
        institute_id=domain[0].institute_id,
        occurred_at=at(2025, 3, 9),
        amount=Decimal("1"),
        source_type="equipment.booking",
        source_id="999999",
    )
    with pytest.raises(CommandError):
        run("--check")


def test_first_publication_of_an_instrument_is_a_ledger_event(instrument):
    instrument.save_revision().publish()
    instrument.save_revision().publish()
    [event] = TransferEvent.objects.filter(kind=K.LISTING_PUBLISHED)
    assert event.listing_id == instrument.pk
    assert event.institute_id == instrument.institute_id


def test_research_result_facts_are_rebuilt_and_checked(institute, enterprise, buyer, tto):
    """Inquiries, signed agreements and impact reports come back from their tables with their money and jobs."""

    result = make_result(
        institute,
        offers=[
            offer(DealMode.NON_EXCLUSIVE, express=True, upfront_fee=Decimal("8000.00")),
            offer(DealMode.EXCLUSIVE, upfront_fee=Decimal("50000.00")),
        ],
    )
    express, negotiable = result.offers.order_by("pk")
    ip_services.open_inquiry(result=result, buyer=buyer, enterprise=enterprise, message="Terms?", offer=negotiable)
    agreement = ip_services.accept_express_offer(express, buyer=buyer, enterprise=enterprise, accept_terms=True)
    ip_services.confirm_agreement_payment(agreement, actor=tto, reference="INV-1")
    today = timezone.localdate()
    ip_services.report_impact(
        agreement,
        actor=buyer,
        year=today.year,
        quarter=(today.month - 1) // 3 + 1,
        jobs_created=7,
        revenue=Decimal("120000.00"),
    )
    # Unpaid agreements were never signed and do not count.
    ip_services.accept_express_offer(express, buyer=buyer, enterprise=enterprise, accept_terms=True)
    assert run("--check").strip().endswith("The ledger agrees with the domain tables.")

    kinds = [K.INQUIRY_OPENED, K.AGREEMENT_SIGNED, K.IMPACT_REPORTED]
    TransferEvent.objects.filter(kind__in=kinds).delete()  # a lost ledger (the model itself refuses this)
    with pytest.raises(CommandError):
        run("--check")
    run()
    assert run("--check").strip().endswith("The ledger agrees with the domain tables.")
    signed = TransferEvent.objects.get(kind=K.AGREEMENT_SIGNED)
    assert (signed.amount, signed.deal_mode, signed.enterprise_id) == (
        Decimal("8000.00"),
        "non_exclusive",
        enterprise.pk,
    )
    impact = TransferEvent.objects.get(kind=K.IMPACT_REPORTED)
    assert (impact.jobs, impact.amount, impact.listing_id) == (7, Decimal("120000.00"), result.pk)
    assert TransferEvent.objects.get(kind=K.INQUIRY_OPENED).deal_mode == "exclusive"


def test_first_publication_of_a_result_is_recorded_once_by_its_app(institute):
    """One writer per fact: the result's own ledger mapping (with its kind of IP and TRL), not a generic one."""

    result = make_result(institute, trl=6)
    result.save_revision().publish()
    [event] = TransferEvent.objects.filter(kind=K.LISTING_PUBLISHED)
    assert (event.source_type, event.listing_id, event.institute_id) == (
        "ip_listings.resultpage",
        result.pk,
        institute.pk,
    )
    assert event.data == {"ip_kind": result.ip_kind, "trl": 6}
