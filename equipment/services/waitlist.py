"""The waitlist: a user waits for a taken slot (instrument, start, end). When a booking holding it is
cancelled, rejected or expires (`slot_freed`, one call at the end of each of those services, run once
the transaction commits), the first waiting user whose slot is now free is offered it, first come first
served, for WAITLIST_OFFER_HOURS (never beyond the slot's start minus the instrument's notice). While
the offer holds, only that user may book the slot (`claim`, called by request_booking); when it lapses
the next one is offered (`offer_waitlisted_slots`, run from cron; idempotent).

Every change of offers locks the instrument row first (core.locking), the lock request_booking takes:
two offers of one slot, or an offer and a stranger's booking, never happen at once."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.core.emails import display, notify
from marketplace.core.links import absolute_url

from .. import availability
from ..models import ACTIVE_STATUSES, Blackout, Booking, InstrumentPage, WaitlistEntry
from .shared import lock_instrument

LIVE = (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)


def _taken(instrument_id, start, end) -> bool:
    return Booking.objects.filter(
        instrument_id=instrument_id, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
    ).exists()


def _closed(instrument_id, start, end) -> bool:
    return Blackout.objects.filter(instrument_id=instrument_id, start__lt=end, end__gt=start).exists()


def last_offer_moment(instrument, start):
    """The latest moment an offer of a slot starting at `start` may hold: its start minus the notice."""
    return start - timedelta(hours=instrument.min_notice_hours)


def book_url(entry) -> str:
    """The booking form, pre-filled with the entry's slot."""
    start, end = availability.local(entry.start), availability.local(entry.end)
    return absolute_url("equipment:book", entry.instrument_id) + (
        f"?date={start:%Y-%m-%d}&start={start:%H:%M}&end={end:%H:%M}"
    )


@transaction.atomic
def join(*, instrument, user, start, end, now=None) -> WaitlistEntry:
    """Wait for a taken slot of a live instrument. Joining twice returns the entry already held."""
    now = now or timezone.now()
    if not user.is_authenticated or not account_selectors.enterprises_of(user).exists():
        raise PermissionDenied(_("Only buyers of a registered enterprise can book instruments."))
    if start is None or end is None or end <= start:
        raise ValidationError(_("The end must be after the start."))
    if start <= now:
        raise ValidationError(_("This slot has already begun."))
    instrument = lock_instrument(instrument)
    if not instrument.live or instrument.institute_id is None:
        raise ValidationError(_("This instrument is not open for booking."))
    existing = WaitlistEntry.objects.filter(
        instrument=instrument, user=user, start=start, end=end, status__in=LIVE
    ).first()
    if existing:
        return existing
    if not _taken(instrument.pk, start, end):
        raise ValidationError(_("This slot is free: book it instead of waiting."))
    return WaitlistEntry.objects.create(instrument=instrument, user=user, start=start, end=end)


@transaction.atomic
def leave(entry, *, user, now=None) -> WaitlistEntry:
    """The user leaves the waitlist; an offer they held goes to the next one."""
    if entry.user_id != user.pk:
        raise PermissionDenied(_("This is not your waitlist entry."))
    lock_instrument(entry.instrument)
    entry = WaitlistEntry.objects.get(pk=entry.pk)
    if entry.status not in LIVE:
        return entry
    was_offered = entry.status == WaitlistEntry.Status.OFFERED
    entry.status = WaitlistEntry.Status.LEFT
    entry.save(update_fields=["status"])
    if was_offered:
        offer_slots(entry.instrument_id, entry.start, entry.end, now=now)
    return entry


def slot_freed(booking) -> None:
    """A booking stopped holding its slot (cancelled, rejected, expired): once that commits, offer the
    slot to the waitlist. Robust: an offer that fails is logged and left to offer_waitlisted_slots
    (cron); it never turns the committed cancellation into an error."""
    instrument_id, start, end = booking.instrument_id, booking.start, booking.end
    transaction.on_commit(lambda: offer_slots(instrument_id, start, end), robust=True)


def _live_offer(entries, now):
    return [e for e in entries if e.status == WaitlistEntry.Status.OFFERED and e.offer_expires_at > now]


def _overlaps(a, b):
    return a.start < b.end and b.start < a.end


@transaction.atomic
def offer_slots(instrument_id, start=None, end=None, *, now=None) -> list:
    """Offer free slots of the instrument (those overlapping `start`–`end`, or all) to the first waiting
    users, in the order they joined; returns the entries offered now. Offers already running stay; a
    lapsed offer is marked lapsed first; a slot that can no longer be offered in time is closed."""
    now = now or timezone.now()
    instrument = lock_instrument(InstrumentPage(pk=instrument_id))
    entries = WaitlistEntry.objects.filter(instrument_id=instrument_id, status__in=LIVE, end__gt=now)
    if start is not None and end is not None:
        entries = entries.filter(start__lt=end, end__gt=start)
    entries = list(entries.select_related("user").order_by("created_at", "pk"))
    for entry in entries:
        if entry.status == WaitlistEntry.Status.OFFERED and entry.offer_expires_at <= now:
            entry.status = WaitlistEntry.Status.LAPSED
            entry.save(update_fields=["status"])
    running = _live_offer(entries, now)
    offered = []
    for entry in entries:
        if entry.status != WaitlistEntry.Status.WAITING:
            continue
        until = min(now + timedelta(hours=settings.WAITLIST_OFFER_HOURS), last_offer_moment(instrument, entry.start))
        if until <= now:
            entry.status = WaitlistEntry.Status.CLOSED
            entry.save(update_fields=["status"])
            continue
        if any(_overlaps(entry, other) for other in running):
            continue  # an earlier user holds an offer of (part of) this slot
        if _taken(instrument_id, entry.start, entry.end) or _closed(instrument_id, entry.start, entry.end):
            continue
        entry.status = WaitlistEntry.Status.OFFERED
        entry.offered_at = now
        entry.offer_expires_at = until
        entry.save(update_fields=["status", "offered_at", "offer_expires_at"])
        running.append(entry)
        offered.append(entry)
        local_start, local_end = availability.local(entry.start), availability.local(entry.end)
        notify(
            entry.user,
            "equipment/email/waitlist_offer",
            {
                "instrument": display(instrument),
                "start": local_start.strftime("%Y-%m-%d %H:%M"),
                "end": local_end.strftime("%H:%M"),
                "until": availability.local(until).strftime("%Y-%m-%d %H:%M"),
                "url": book_url(entry),
                "leave_url": absolute_url("equipment:my_bookings"),
            },
        )
    return offered


def claim(instrument, user, start, end, now=None) -> None:
    """Called by request_booking with the instrument locked: refuses a slot offered to someone else
    while the offer holds; the user's own entries for it are marked booked (undone with the booking if
    it fails)."""
    now = now or timezone.now()
    entries = list(WaitlistEntry.objects.filter(instrument=instrument, status__in=LIVE, start__lt=end, end__gt=start))
    for entry in _live_offer(entries, now):
        if entry.user_id != user.pk:
            raise ValidationError(
                _("This slot is offered to someone on the waitlist until %(until)s.")
                % {"until": availability.local(entry.offer_expires_at).strftime("%Y-%m-%d %H:%M")}
            )
    mine = [e.pk for e in entries if e.user_id == user.pk]
    if mine:
        WaitlistEntry.objects.filter(pk__in=mine).update(status=WaitlistEntry.Status.BOOKED)


def offer_waitlisted_slots(now=None) -> int:
    """Lapse offers that ran out and offer every free slot to the next waiting user (cron; idempotent).
    Returns how many offers were made."""
    now = now or timezone.now()
    instrument_ids = (
        WaitlistEntry.objects.filter(status__in=LIVE).values_list("instrument_id", flat=True).distinct().order_by()
    )
    return sum(len(offer_slots(pk, now=now)) for pk in list(instrument_ids))
