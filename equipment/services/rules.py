"""Managing an instrument's rules: the live bookings a change of opening hours, qualifications or
blackouts would strand (refused while there are any), qualifications, blackouts and calendar tokens."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import availability
from ..models import (
    CANCELLABLE_STATUSES,
    Blackout,
    Booking,
    CalendarToken,
    InstrumentPage,
    OpeningHours,
    Qualification,
    _new_calendar_token,
)
from .shared import lock_instrument, require_manager


def active_future_bookings(instrument_ids, now=None):
    """Bookings that still hold a slot (requested, approved, confirmed) and have not ended."""
    return (
        Booking.objects.filter(
            instrument_id__in=instrument_ids, status__in=CANCELLABLE_STATUSES, end__gt=now or timezone.now()
        )
        .select_related("organization")
        .order_by("start", "pk")
    )


def qualified_until(instrument) -> dict:
    """User id → the last day of that user's unrevoked qualification on the instrument."""
    return dict(
        Qualification.objects.filter(instrument_id=instrument.pk, revoked_at__isnull=True).values_list(
            "user_id", "valid_until"
        )
    )


def bookings_outside_rules(instrument, *, opening_hours=None, qualifications=None, now=None) -> list:
    """THE rule check for edits: the active, not yet ended bookings of `instrument` that its rules (the
    rule fields of `instrument`, which may be unsaved; `opening_hours` and `qualifications`, user id →
    last valid day, by default the saved ones) would leave outside. Past bookings need not match new
    rules."""
    if opening_hours is None:
        opening_hours = list(OpeningHours.objects.filter(instrument_id=instrument.pk))
    if qualifications is None:
        qualifications = qualified_until(instrument)
    return availability.bookings_breaking_rules(
        instrument,
        active_future_bookings([instrument.pk], now),
        opening_hours=opening_hours,
        qualified_until=qualifications,
    )


def bookings_broken_by_change(proposed, *, opening_hours=None, qualifications=None, now=None) -> list:
    """The bookings that the proposed rules would leave outside and that the saved rules allow."""
    saved = InstrumentPage.objects.get(pk=proposed.pk)
    already = {b.pk for b in bookings_outside_rules(saved, now=now)}
    return [
        b
        for b in bookings_outside_rules(proposed, opening_hours=opening_hours, qualifications=qualifications, now=now)
        if b.pk not in already
    ]


MAX_NAMED_BOOKINGS = 10


def describe_bookings(bookings) -> str:
    """The bookings named for a facility: "#12 2026-12-04 09:00–10:00 (enterprise)", the first ten."""
    bookings = list(bookings)
    parts = []
    for booking in bookings[:MAX_NAMED_BOOKINGS]:
        start, end = availability.local(booking.start), availability.local(booking.end)
        until = end.strftime("%H:%M") if start.date() == end.date() else end.strftime("%Y-%m-%d %H:%M")
        parts.append(f"#{booking.pk} {start:%Y-%m-%d %H:%M}–{until} ({booking.organization.name})")
    if len(bookings) > MAX_NAMED_BOOKINGS:
        parts.append(_("and %(n)d more") % {"n": len(bookings) - MAX_NAMED_BOOKINGS})
    return "; ".join(parts)


def rules_change_message(bookings) -> str:
    return _(
        "These active bookings would no longer follow the instrument's rules: %(bookings)s. Cancel them "
        "first on the facility's booking pages (the enterprise is refunded in full and told by email), or "
        "keep rules that allow them."
    ) % {"bookings": describe_bookings(bookings)}


def _refuse_stranding(instrument, **proposed):
    broken = bookings_broken_by_change(instrument, **proposed)
    if broken:
        raise ValidationError(rules_change_message(broken))


def page_change_blockers(page, *, now=None) -> list:
    """Active, not yet ended bookings of the instruments at or below `page`: while there are any, the
    page may not be unpublished, moved or deleted."""
    ids = InstrumentPage.objects.descendant_of(page, inclusive=True).values_list("pk", flat=True)
    return list(active_future_bookings(list(ids), now))


def page_has_bookings(page) -> bool:
    """Whether any instrument at or below `page` has bookings on record (kept with their instrument)."""
    ids = InstrumentPage.objects.descendant_of(page, inclusive=True).values("pk")
    return Booking.objects.filter(instrument_id__in=ids).exists()


@transaction.atomic
def grant_qualification(instrument, user, *, actor, valid_until, note="") -> Qualification:
    require_manager(actor, instrument)
    if valid_until is None or valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("A qualification must be valid until today or later.")})
    existing = Qualification.objects.filter(instrument=instrument, user=user, revoked_at__isnull=True).first()
    if existing and valid_until < existing.valid_until:
        _refuse_stranding(instrument, qualifications={**qualified_until(instrument), user.pk: valid_until})
    if existing:
        existing.valid_until = valid_until
        existing.granted_by = actor
        existing.note = note
        existing.save(update_fields=["valid_until", "granted_by", "note"])
        return existing
    return Qualification.objects.create(
        instrument=instrument, user=user, valid_until=valid_until, granted_by=actor, note=note
    )


@transaction.atomic
def revoke_qualification(qualification, *, actor) -> Qualification:
    require_manager(actor, qualification.instrument)
    if qualification.revoked_at is None:
        remaining = qualified_until(qualification.instrument)
        remaining.pop(qualification.user_id, None)
        _refuse_stranding(qualification.instrument, qualifications=remaining)
        qualification.revoked_at = timezone.now()
        qualification.revoked_by = actor
        qualification.save(update_fields=["revoked_at", "revoked_by"])
    return qualification


@transaction.atomic
def add_blackout(instrument, *, actor, start, end, reason=Blackout.Reason.MAINTENANCE, note="") -> Blackout:
    """Close the instrument for a period. Refused while active bookings fall in it (cancel them first)."""
    require_manager(actor, instrument)
    if start is None or end is None or end <= start:
        raise ValidationError(_("The end must be after the start."))
    instrument = lock_instrument(instrument)
    clashes = list(active_future_bookings([instrument.pk], now=start).filter(start__lt=end))
    if clashes:
        raise ValidationError(
            _("%(n)d active bookings fall in this period. Cancel or move them first.") % {"n": len(clashes)}
            + " "
            + describe_bookings(clashes)
        )
    return Blackout.objects.create(
        instrument=instrument, start=start, end=end, reason=reason, note=note[:255], created_by=actor
    )


@transaction.atomic
def remove_blackout(blackout, *, actor):
    require_manager(actor, blackout.instrument)
    blackout.delete()


@transaction.atomic
def reset_calendar_token(user) -> CalendarToken:
    """A new secret for the user's calendar feed; the old address stops working."""
    token, created = CalendarToken.objects.get_or_create(user=user)
    if not created:
        token.token = _new_calendar_token()
        token.save(update_fields=["token", "created_at"])
    return token
