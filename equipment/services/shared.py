"""What the booking and rule services share: the row locks and the manager check."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .. import selectors
from ..models import Booking, InstrumentPage


def lock_instrument(instrument):
    """Serialise bookings of one instrument: a row lock on PostgreSQL; on SQLite every transaction
    already began with BEGIN IMMEDIATE (the database write lock), see settings."""
    qs = InstrumentPage.objects.filter(pk=instrument.pk)
    if settings.IS_POSTGRES:
        qs = qs.select_for_update(of=("self",))
    return qs.get()


def lock_booking(booking):
    qs = Booking.objects.filter(pk=booking.pk)
    if settings.IS_POSTGRES:
        qs = qs.select_for_update(of=("self",))
    return qs.select_related("instrument", "enterprise", "institute", "user").get()


def require_manager(actor, booking_or_instrument):
    if not selectors.can_manage(actor, booking_or_instrument.institute_id):
        raise PermissionDenied(_("Only the facility's managers may do this."))
