"""What the booking and rule services share: the row locks and the manager check."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from marketplace.core.locking import lock

from .. import selectors
from ..models import Booking, InstrumentPage


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
