"""The shared instruments' facts as transfer-ledger entries: one function per fact.

Each function returns the fact's unsaved ledger row (`statistics.services.entry`). A booking's facts
carry its rate tier (`data["tier"]`: internal, academic or enterprise) and its enterprise only for an
enterprise booking, so statistics tells enterprise use (opening to society) from institute use. The booking
services `record` it when the fact happens, the demo seeding records the same, and the ledger rebuild
inserts it from the domain tables (`sources`, registered with statistics in EquipmentConfig.ready()).
"""

from django.db.models import Case, F, When
from wagtail.signals import page_published

from marketplace.statistics import registry
from marketplace.statistics.models import TransferEvent
from marketplace.statistics.registry import Source
from marketplace.statistics.services import entry, record

from .models import Booking, BookingMode, BookingStatus, BookingTransition, InstrumentPage, UsageRecord

K = TransferEvent.Kind
BOOKING_SUBJECT = "equipment.booking:"
# Booking modes whose hours also cost operator time.
WITH_OPERATOR = (BookingMode.ASSISTED, BookingMode.SAMPLE)

__all__ = ["booking_confirmed", "booking_completed", "usage_recorded", "listing_published", "record", "register"]


def _booking(kind, booking, occurred_at):
    return entry(
        kind,
        booking,
        occurred_at=occurred_at,
        institute=booking.institute_id,
        enterprise=booking.enterprise_id,
        amount=booking.price_amount,
        currency=booking.currency,
        hours=booking.hours,
        listing=booking.instrument_id,
        subject=booking,
        data={"tier": booking.tier},
    )


def booking_confirmed(booking, *, at):
    """A booking became confirmed (money received or invoice accepted) at `at`."""
    return _booking(K.BOOKING_CONFIRMED, booking, at)


def booking_completed(booking, *, at):
    """A booking was completed (closed with its actual hours) at `at`: its price and booked hours."""
    return _booking(K.BOOKING_COMPLETED, booking, at)


def usage_recorded(usage, *, now=None):
    """The actual hours of use of a booking, counted when the instrument was used: at the booking's end,
    or when recorded (`now`, by default the record's time) if that was earlier."""
    booking = usage.booking
    now = now or usage.recorded_at
    return entry(
        K.USAGE_RECORDED,
        usage,
        occurred_at=booking.end if booking.end <= now else now,
        institute=booking.institute_id,
        enterprise=booking.enterprise_id,
        hours=usage.hours,
        listing=booking.instrument_id,
        subject=booking,
        data={"booking": booking.pk, "instrument": booking.instrument_id, "tier": booking.tier},
    )


def listing_published(page):
    """An instrument page went live for the first time (None for a page of no institute)."""
    if page.institute_id is None or page.first_published_at is None:
        return None
    return entry(
        K.LISTING_PUBLISHED,
        page,
        occurred_at=page.first_published_at,
        institute=page.institute_id,
        listing=page.pk,
    )


def record_listing_published(sender, instance, **kwargs):
    """page_published receiver: the first publication of an instrument is a ledger fact."""
    fact = listing_published(instance)
    if fact is not None:
        record(fact)


# --- the ledger rebuild and the instrument figures ------------------------------------------------------


def _moved_at(booking, status):
    transition = next((t for t in booking.transitions.all() if t.to_status == status), None)
    return transition.at if transition else booking.updated_at


def sources():
    return [
        Source(
            K.BOOKING_COMPLETED,
            "equipment.booking",
            lambda: Booking.objects.filter(status=BookingStatus.COMPLETED).prefetch_related("transitions"),
            lambda b: booking_completed(b, at=_moved_at(b, BookingStatus.COMPLETED)),
            amount="price_amount",
            hours="hours",
        ),
        Source(
            # Every booking that was ever confirmed (a cancelled one too: it was confirmed once).
            K.BOOKING_CONFIRMED,
            "equipment.booking",
            lambda: Booking.objects.filter(
                pk__in=BookingTransition.objects.filter(to_status=BookingStatus.CONFIRMED).values("booking_id")
            ).prefetch_related("transitions"),
            lambda b: booking_confirmed(b, at=_moved_at(b, BookingStatus.CONFIRMED)),
            amount="price_amount",
            hours="hours",
        ),
        Source(
            K.USAGE_RECORDED,
            "equipment.usagerecord",
            lambda: UsageRecord.objects.select_related("booking"),
            usage_recorded,
            hours="hours",
        ),
        Source(
            K.LISTING_PUBLISHED,
            "equipment.instrumentpage",
            lambda: InstrumentPage.objects.filter(live=True, first_published_at__isnull=False, institute__isnull=False),
            listing_published,
        ),
    ]


def variable_rate():
    """Variable cost of one booked hour of an instrument: consumables and utilities, and operator time
    for operator-assisted or sample service."""
    return Case(
        When(
            booking_mode__in=WITH_OPERATOR,
            then=F("consumables_per_hour") + F("utilities_per_hour") + F("operator_per_hour"),
        ),
        default=F("consumables_per_hour") + F("utilities_per_hour"),
    )


def register():
    """Tell statistics about the instruments (called from EquipmentConfig.ready())."""
    registry.register_source("equipment", sources)
    registry.register_instruments(InstrumentPage, subject_prefix=BOOKING_SUBJECT, variable_rate=variable_rate)
    registry.watch(InstrumentPage)
    page_published.connect(record_listing_published, sender=InstrumentPage, dispatch_uid="equipment_listing_published")
