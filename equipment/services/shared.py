"""What the booking and rule services share: the row locks and the manager check."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from marketplace.core.locking import lock

from .. import availability, selectors
from ..models import Booking, BookingStatus, BookingTransition, InstrumentPage


def lock_instrument(instrument):
    """The instrument, its row locked: serialises the bookings of one instrument (see core.locking)."""
    return lock(InstrumentPage.objects.all(), pk=instrument.pk)


def lock_booking(booking):
    """The booking, its row locked, with what its services read."""
    return lock(
        Booking.objects.select_related("instrument", "enterprise", "organization", "institute", "user"), pk=booking.pk
    )


def require_manager(actor, booking_or_instrument):
    if not selectors.can_manage(actor, booking_or_instrument.institute_id):
        raise PermissionDenied(_("Only the facility's managers may do this."))


def insert_requested(booking, *, actor):
    """Save a new booking (status requested) and its first history line. The database refuses an active
    booking that overlaps another (exclusion constraint or trigger): that becomes the "slot taken" message."""
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError:
        raise ValidationError(availability.slot_taken_message()) from None
    BookingTransition.objects.create(booking=booking, from_status="", to_status=BookingStatus.REQUESTED, actor=actor)
    return booking
