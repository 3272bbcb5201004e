from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from equipment import services
from equipment.models import BookingStatus, UsageRecord
from marketplace.statistics.models import TransferEvent
from tests.equipment.conftest import slot

pytestmark = pytest.mark.django_db


def statuses(booking):
    return [(t.from_status, t.to_status) for t in booking.transitions.all()]


def test_full_lifecycle_records_who_and_when_and_feeds_the_ledger(
    past_confirmed, facility_manager, buyer, django_capture_on_commit_callbacks, mailoutbox
):
    booking = past_confirmed
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_booking(booking, actor=facility_manager, hours="0.75", note="样品 3 个")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert statuses(booking) == [
        ("", "requested"),
        ("requested", "approved"),
        ("approved", "confirmed"),
        ("confirmed", "completed"),
    ]
    actors = [t.actor for t in booking.transitions.all()]
    assert actors == [buyer, facility_manager, facility_manager, facility_manager]
    assert all(t.at for t in booking.transitions.all())
    usage = UsageRecord.objects.get(booking=booking)
    assert (usage.hours, usage.recorded_by) == (Decimal("0.75"), facility_manager)
    kinds = set(
        TransferEvent.objects.filter(source_type__in=["equipment.booking", "equipment.usagerecord"]).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"booking_confirmed", "booking_completed", "usage_recorded"}
    confirmed = TransferEvent.objects.get(kind="booking_confirmed")
    assert (confirmed.amount, confirmed.institute_id, confirmed.enterprise_id) == (
        booking.price_amount,
        booking.institute_id,
        booking.enterprise_id,
    )
    assert TransferEvent.objects.get(kind="usage_recorded").hours == Decimal("0.75")
    assert [m.to for m in mailoutbox] == [[buyer.email]]
    assert mailoutbox[0].subject.startswith("预约已完成")  # the buyer reads Chinese (their preferred language)


def test_request_notifies_buyer_and_managers_in_their_language(
    book, buyer, facility_manager, django_capture_on_commit_callbacks, mailoutbox
):
    buyer.preferred_language = "en"
    buyer.save()
    facility_manager.preferred_language = "zh-hans"
    facility_manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        book()
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert by_recipient[buyer.email].subject.startswith("Booking request received: Scanning electron microscope")
    assert "扫描电子显微镜" in by_recipient[facility_manager.email].subject
    assert "预约" in by_recipient[facility_manager.email].subject


def test_approve_then_confirm_by_invoice(book, facility_manager, django_capture_on_commit_callbacks, mailoutbox):
    booking = book()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_booking(booking, actor=facility_manager)
        services.confirm_booking(booking, actor=facility_manager, reference="INV-2026-001")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.confirmation_reference == "INV-2026-001"
    assert len(mailoutbox) == 2


def test_confirm_from_the_payment_layer_needs_no_actor_and_is_idempotent(book, facility_manager):
    booking = book()
    services.approve_booking(booking, actor=facility_manager)
    services.confirm_booking(booking, actor=None, reference="pi_123")
    services.confirm_booking(booking, actor=None, reference="pi_123")
    assert TransferEvent.objects.filter(kind="booking_confirmed").count() == 1
    assert booking.transitions.filter(to_status="confirmed").count() == 1


def test_reject(book, facility_manager):
    booking = services.reject_booking(book(), actor=facility_manager, reason="样品不符")
    assert booking.status == BookingStatus.REJECTED
    assert booking.transitions.last().note == "样品不符"


def test_no_show_after_start(past_confirmed, facility_manager):
    assert services.mark_no_show(past_confirmed, actor=facility_manager).status == BookingStatus.NO_SHOW


def test_no_show_before_start_is_refused(book, facility_manager):
    booking = book()
    services.approve_booking(booking, actor=facility_manager)
    with pytest.raises(ValidationError, match="started"):
        services.mark_no_show(booking, actor=facility_manager)


def test_complete_before_start_is_refused(book, facility_manager):
    booking = book()
    services.approve_booking(booking, actor=facility_manager)
    services.confirm_booking(booking, actor=facility_manager)
    with pytest.raises(ValidationError, match="started"):
        services.complete_booking(booking, actor=facility_manager, hours="1")
    assert not UsageRecord.objects.exists()


@pytest.mark.parametrize("hours", ["0", "-1", "abc", "25", "NaN", ""])
def test_nonsense_usage_hours_are_refused(past_confirmed, facility_manager, hours):
    with pytest.raises(ValidationError):
        services.complete_booking(past_confirmed, actor=facility_manager, hours=hours)
    past_confirmed.refresh_from_db()
    assert past_confirmed.status == BookingStatus.CONFIRMED
    assert not UsageRecord.objects.exists()


FORBIDDEN = [
    # (state reached first, action that must be refused)
    ("requested", "confirm"),
    ("requested", "complete"),
    ("requested", "no_show"),
    ("approved", "approve"),
    ("approved", "reject"),
    ("approved", "complete"),
    ("confirmed", "approve"),
    ("confirmed", "reject"),
    ("rejected", "approve"),
    ("rejected", "confirm"),
    ("rejected", "cancel"),
    ("cancelled", "approve"),
    ("cancelled", "confirm"),
    ("cancelled", "cancel"),
    ("completed", "cancel"),
    ("completed", "complete"),
    ("completed", "no_show"),
    ("no_show", "confirm"),
    ("no_show", "complete"),
    ("no_show", "cancel"),
]


def _reach(state, booking, manager):
    run = {
        "approved": [services.approve_booking],
        "confirmed": [services.approve_booking, services.confirm_booking],
        "rejected": [lambda b, actor: services.reject_booking(b, actor=actor, reason="样品不符")],
        "cancelled": [lambda b, actor: services.cancel_booking(b, actor=actor, now=b.start - timedelta(days=3))],
        "completed": [
            services.approve_booking,
            services.confirm_booking,
            lambda b, actor: services.complete_booking(b, actor=actor, hours="1"),
        ],
        "no_show": [services.approve_booking, services.confirm_booking, services.mark_no_show],
    }.get(state, [])
    for step in run:
        step(booking, actor=manager)
    booking.refresh_from_db()
    assert booking.status == state


ACTIONS = {
    "approve": services.approve_booking,
    "reject": lambda b, actor: services.reject_booking(b, actor=actor, reason="no"),
    "confirm": services.confirm_booking,
    "complete": lambda b, actor: services.complete_booking(b, actor=actor, hours="1"),
    "no_show": services.mark_no_show,
    "cancel": services.cancel_booking,
}


@pytest.mark.parametrize("state, action", FORBIDDEN)
def test_forbidden_transition_is_refused_and_changes_nothing(
    instrument, buyer, enterprise, facility_manager, state, action
):
    start, end = slot(days_ahead=-1, hour=14)
    booking = services.request_booking(
        instrument=instrument, user=buyer, enterprise=enterprise, start=start, end=end, now=start - timedelta(days=3)
    )
    _reach(state, booking, facility_manager)
    before = booking.transitions.count()
    with pytest.raises(ValidationError):
        ACTIONS[action](booking, actor=facility_manager)
    booking.refresh_from_db()
    assert booking.status == state
    assert booking.transitions.count() == before


@pytest.mark.parametrize("action", ["approve", "reject", "confirm", "complete", "no_show"])
def test_buyers_and_other_institutes_cannot_run_facility_transitions(book, buyer, other_tto, researcher, action):
    booking = book()
    for outsider in (buyer, other_tto, researcher):
        with pytest.raises(PermissionDenied):
            ACTIONS[action](booking, actor=outsider)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_tto_officer_and_platform_staff_may_manage(book, tto, staff_user):
    assert services.approve_booking(book(*slot(hour=9)), actor=tto).status == BookingStatus.APPROVED
    assert services.approve_booking(book(*slot(hour=11)), actor=staff_user).status == BookingStatus.APPROVED


# --- cancellation window ---


def test_buyer_cancels_inside_the_window(book, buyer, facility_manager, django_capture_on_commit_callbacks, mailoutbox):
    booking = book(*slot(days_ahead=5))
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.cancel_booking(booking, actor=buyer, reason="计划变更")
    assert booking.status == BookingStatus.CANCELLED
    assert {m.to[0] for m in mailoutbox} == {buyer.email, facility_manager.email}


@pytest.mark.parametrize("state", ["approved", "confirmed"])
def test_buyer_cannot_cancel_an_approved_booking_after_the_window(book, buyer, facility_manager, state):
    booking = book(*slot(days_ahead=5))
    _reach(state, booking, facility_manager)
    late = booking.start - timedelta(hours=47)
    assert not services.buyer_may_cancel(booking, now=late)
    with pytest.raises(ValidationError, match="48 hours before"):
        services.cancel_booking(booking, actor=buyer, now=late)
    booking.refresh_from_db()
    assert booking.status == state


@pytest.mark.parametrize("hours_before", [47, 1, 0])
def test_buyer_withdraws_a_request_at_any_time_before_approval(
    book, buyer, facility_manager, hours_before, django_capture_on_commit_callbacks, mailoutbox
):
    booking = book(*slot(days_ahead=5))
    late = booking.start - timedelta(hours=hours_before)
    assert services.buyer_may_cancel(booking, now=late)
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.cancel_booking(booking, actor=buyer, reason="计划变更", now=late)
    assert booking.status == BookingStatus.CANCELLED
    assert {m.to[0] for m in mailoutbox} == {buyer.email, facility_manager.email}


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_rejection_needs_a_reason(book, facility_manager, reason):
    booking = book()
    with pytest.raises(ValidationError, match="reason"):
        services.reject_booking(booking, actor=facility_manager, reason=reason)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED
    assert booking.transitions.count() == 1


def test_buyer_can_cancel_exactly_at_the_deadline(book, buyer):
    booking = book(*slot(days_ahead=5))
    at_deadline = booking.start - timedelta(hours=48)
    assert services.cancel_booking(booking, actor=buyer, now=at_deadline).status == BookingStatus.CANCELLED


def test_facility_cancels_after_the_window(book, facility_manager):
    booking = book(*slot(days_ahead=5))
    late = booking.start - timedelta(hours=1)
    assert services.cancel_booking(booking, actor=facility_manager, now=late).status == BookingStatus.CANCELLED


def test_another_enterprise_cannot_cancel(book, other_buyer):
    booking = book()
    with pytest.raises(PermissionDenied):
        services.cancel_booking(booking, actor=other_buyer)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_facility_cannot_cancel_an_ended_booking(past_confirmed, facility_manager):
    with pytest.raises(ValidationError, match="ended"):
        services.cancel_booking(past_confirmed, actor=facility_manager, now=timezone.now())
