"""Bookings as a payable kind: what the payments app asks about a booking (registered in apps.py)."""

from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Role
from marketplace.core.locking import lock
from marketplace.payments.payables import HUNDRED, Payable

from . import services
from .models import Booking, BookingStatus, Overrun


def refund_percent(booking, *, by_facility, now=None) -> Decimal:
    """The cancellation policy of a paid booking. Cancelled by the facility, or by the enterprise up to
    the listing's free-cancellation deadline (`cancellation_window_hours` before the start): 100 %.
    Later: PAYMENT_LATE_CANCELLATION_REFUND_PERCENT."""
    now = now or timezone.now()
    if by_facility or now <= services.cancellation_deadline(booking):
        return HUNDRED
    return Decimal(settings.PAYMENT_LATE_CANCELLATION_REFUND_PERCENT)


class BookingPayable(Payable):
    kind = "booking"
    model = Booking
    holds_subject = True
    staff_roles = (Role.FACILITY_MANAGER,)

    def get(self, pk):
        try:
            return Booking.objects.select_related("instrument", "institute", "enterprise").get(pk=pk)
        except Booking.DoesNotExist:
            raise LookupError(pk) from None

    def for_buyer(self, user, pk):
        return (
            Booking.objects.select_related("instrument", "institute", "enterprise")
            .filter(pk=pk, enterprise__in=account_selectors.enterprises_of(user))
            .first()
        )

    def lock(self, subject):
        return services.lock_booking(subject)

    def label(self, subject):
        return _("Booking #%(n)s") % {"n": subject.pk}

    def description(self, subject):
        start, end = timezone.localtime(subject.start), timezone.localtime(subject.end)
        return f"{subject.instrument.display_title} · {start:%Y-%m-%d %H:%M}–{end:%H:%M} ({subject.hours} h)"

    def url(self, subject):
        return reverse("equipment:booking", args=[subject.pk])

    def confirmed_text(self, subject):
        return _("Booking #%(n)s is confirmed.") % {"n": subject.pk}

    def listing_id(self, subject):
        return subject.instrument_id

    def can_be_paid(self, subject):
        # Institute users' bookings are charged internally (confirmed on approval): never paid here.
        return subject.status == BookingStatus.APPROVED and not subject.by_internal_charge

    def confirm(self, subject, *, payment_number, actor, reference):
        subject.refresh_from_db(fields=["status", "confirmation_reference"])
        if subject.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
            # Confirmed by this payment (a repeated call), or by other means: then this money is not needed.
            return payment_number in subject.confirmation_reference
        if subject.status != BookingStatus.APPROVED:
            return False
        services.confirm_booking(subject, actor=actor, reference=reference)
        return True

    def confirmed_by(self, subject, payment_number):
        subject.refresh_from_db(fields=["status", "confirmation_reference"])
        return payment_number in (subject.confirmation_reference or "")

    def release(self, subject, *, note):
        services.release_unpaid_booking(subject, note=note)

    def refund_percent(self, subject, *, by_payee, now):
        return refund_percent(subject, by_facility=by_payee, now=now)


class OverrunPayable(Payable):
    """The charge for an enterprise booking's overrun (services/usage.py), paid by card or invoice. It
    holds nothing while unpaid: there is nothing to release."""

    kind = "booking_overrun"
    model = Overrun
    staff_roles = (Role.FACILITY_MANAGER,)

    def _objects(self):
        return Overrun.objects.select_related("booking__instrument", "booking__institute", "booking__enterprise")

    def get(self, pk):
        try:
            return self._objects().get(pk=pk)
        except Overrun.DoesNotExist:
            raise LookupError(pk) from None

    def for_buyer(self, user, pk):
        return (
            self._objects()
            .filter(pk=pk, booking__enterprise__in=account_selectors.enterprises_of(user))
            .exclude(status=Overrun.Status.NOT_CHARGED)
            .first()
        )

    def lock(self, subject):
        return lock(self._objects(), pk=subject.pk)

    def price(self, subject):
        return subject.amount, subject.currency

    def payee_id(self, subject):
        return subject.booking.institute_id

    def payer_id(self, subject):
        return subject.booking.enterprise_id

    def label(self, subject):
        return _("Overrun of booking #%(n)s") % {"n": subject.booking_id}

    def description(self, subject):
        booking = subject.booking
        return _("%(instrument)s · %(minutes)s minutes after the end of booking #%(n)s") % {
            "instrument": booking.instrument.display_title,
            "minutes": subject.minutes,
            "n": booking.pk,
        }

    def url(self, subject):
        return reverse("equipment:booking", args=[subject.booking_id])

    def confirmed_text(self, subject):
        return _("The overrun charge of booking #%(n)s is paid.") % {"n": subject.booking_id}

    def listing_id(self, subject):
        return subject.booking.instrument_id

    def can_be_paid(self, subject):
        return subject.status == Overrun.Status.DUE

    def confirm(self, subject, *, payment_number, actor, reference):
        subject.refresh_from_db(fields=["status", "payment_reference"])
        if subject.status == Overrun.Status.PAID:
            return payment_number in subject.payment_reference
        if subject.status != Overrun.Status.DUE:
            return False
        services.overrun_paid(subject, reference=reference)
        return True

    def confirmed_by(self, subject, payment_number):
        subject.refresh_from_db(fields=["status", "payment_reference"])
        return payment_number in (subject.payment_reference or "")
