"""Training and qualification: requests, sessions of kind training at the training rate, pass or fail,
expiry announcements (once)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from equipment import selectors, services
from equipment.models import (
    BookingKind,
    BookingMode,
    BookingStatus,
    Qualification,
    QualificationAnnouncement,
    TrainingRequest,
)
from equipment.rates import tier_rate
from tests.equipment.conftest import make_instrument, slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def self_service(institute):
    return make_instrument(institute, booking_mode=BookingMode.SELF_SERVICE, title_en="Self-service SEM")


@pytest.fixture
def asked(self_service, buyer, enterprise):
    return services.request_training(
        instrument=self_service, user=buyer, enterprise=enterprise, preferred_dates="mornings", note="new"
    )


def test_a_buyer_without_qualification_may_ask_once(self_service, buyer, enterprise, asked):
    assert asked.status == TrainingRequest.Status.OPEN
    assert not selectors.may_request_training(buyer, self_service)
    with pytest.raises(ValidationError):
        services.request_training(instrument=self_service, user=buyer, enterprise=enterprise)


def test_no_training_for_operator_assisted_instruments(instrument, buyer, enterprise):
    assert not selectors.may_request_training(buyer, instrument)
    with pytest.raises(ValidationError):
        services.request_training(instrument=instrument, user=buyer, enterprise=enterprise)


def test_only_buyers_of_the_enterprise_may_ask(self_service, other_buyer, enterprise, researcher):
    with pytest.raises(PermissionDenied):
        services.request_training(instrument=self_service, user=other_buyer, enterprise=enterprise)
    assert not selectors.may_request_training(researcher, self_service)


def test_qualified_users_need_no_training(self_service, buyer, facility_manager):
    services.grant_qualification(
        self_service, buyer, actor=facility_manager, valid_until=timezone.localdate() + timedelta(days=30)
    )
    assert not selectors.may_request_training(buyer, self_service)


def test_managers_are_emailed_of_a_request(
    self_service, buyer, enterprise, facility_manager, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        request = services.request_training(
            instrument=self_service, user=buyer, enterprise=enterprise, preferred_dates="Tuesdays"
        )
    mail = next(m for m in mailoutbox if m.to == [facility_manager.email])
    assert "Tuesdays" in mail.body and f"/equipment/manage/training/{request.pk}/" in mail.body


def test_a_session_is_a_training_booking_at_the_training_rate(self_service, asked, facility_manager):
    self_service.training_hourly_rate = Decimal("50.00")
    self_service.save()
    start, end = slot(days_ahead=2, hour=10, hours=2)
    booking = services.schedule_training(asked, actor=facility_manager, start=start, end=end)
    assert booking.kind == BookingKind.TRAINING
    assert booking.status == BookingStatus.APPROVED
    assert booking.hourly_rate == Decimal("50.00") and booking.price_amount == Decimal("100.00")
    assert booking.user == asked.user and booking.enterprise == asked.enterprise
    asked.refresh_from_db()
    assert asked.status == TrainingRequest.Status.SCHEDULED and asked.session == booking


def test_without_a_training_rate_the_tier_rate_is_charged(self_service, asked, facility_manager):
    start, end = slot(days_ahead=2, hour=10)
    booking = services.schedule_training(asked, actor=facility_manager, start=start, end=end)
    assert booking.hourly_rate == tier_rate(self_service, booking.tier)


def test_use_bookings_are_of_kind_use(book):
    assert book().kind == BookingKind.USE


def test_a_session_needs_a_free_future_slot(self_service, asked, facility_manager, other_buyer, other_enterprise):
    services.grant_qualification(
        self_service, other_buyer, actor=facility_manager, valid_until=timezone.localdate() + timedelta(days=60)
    )
    start, end = slot(days_ahead=3, hour=10)
    services.request_booking(
        instrument=self_service, user=other_buyer, enterprise=other_enterprise, start=start, end=end
    )
    with pytest.raises(ValidationError):
        services.schedule_training(asked, actor=facility_manager, start=start, end=end)
    past = slot(days_ahead=-1)
    with pytest.raises(ValidationError):
        services.schedule_training(asked, actor=facility_manager, start=past[0], end=past[1])
    assert not TrainingRequest.objects.get(pk=asked.pk).session


def test_only_the_facility_schedules_and_records(self_service, asked, buyer, other_tto):
    start, end = slot(days_ahead=2)
    for actor in (buyer, other_tto):
        with pytest.raises(PermissionDenied):
            services.schedule_training(asked, actor=actor, start=start, end=end)
        with pytest.raises(PermissionDenied):
            services.record_training_result(asked, actor=actor, passed=True)


def test_a_pass_grants_a_qualification_and_tells_the_user(
    self_service, asked, buyer, facility_manager, django_capture_on_commit_callbacks, mailoutbox
):
    until = timezone.localdate() + timedelta(days=200)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_training_result(asked, actor=facility_manager, passed=True, valid_until=until)
    qualification = Qualification.objects.get(instrument=self_service, user=buyer, revoked_at__isnull=True)
    assert qualification.valid_until == until
    asked.refresh_from_db()
    assert asked.status == TrainingRequest.Status.PASSED and asked.qualification == qualification
    assert any(m.to == [buyer.email] and until.isoformat() in m.body for m in mailoutbox)
    with pytest.raises(ValidationError):
        services.record_training_result(asked, actor=facility_manager, passed=False)


def test_a_pass_then_lets_the_user_book_self_service(self_service, asked, buyer, enterprise, facility_manager):
    start, end = slot(days_ahead=3)
    with pytest.raises(ValidationError):
        services.request_booking(instrument=self_service, user=buyer, enterprise=enterprise, start=start, end=end)
    services.record_training_result(asked, actor=facility_manager, passed=True)
    services.request_booking(instrument=self_service, user=buyer, enterprise=enterprise, start=start, end=end)


def test_a_fail_grants_nothing_and_allows_a_new_request(
    self_service, asked, buyer, enterprise, facility_manager, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.record_training_result(asked, actor=facility_manager, passed=False, note="practise more")
    assert not Qualification.objects.filter(user=buyer).exists()
    assert any(m.to == [buyer.email] and "practise more" in m.body for m in mailoutbox)
    assert selectors.may_request_training(buyer, self_service)
    services.request_training(instrument=self_service, user=buyer, enterprise=enterprise)


def test_a_cancelled_session_may_be_rescheduled(self_service, asked, facility_manager):
    start, end = slot(days_ahead=2, hour=9)
    booking = services.schedule_training(asked, actor=facility_manager, start=start, end=end)
    with pytest.raises(ValidationError):
        services.schedule_training(
            asked, actor=facility_manager, start=start + timedelta(hours=3), end=end + timedelta(hours=3)
        )
    services.cancel_booking(booking, actor=facility_manager, reason="ill")
    again = services.schedule_training(asked, actor=facility_manager, start=start, end=end)
    assert again.pk != booking.pk


def test_expiring_qualifications_are_announced_once_to_user_and_managers(
    self_service, buyer, researcher, facility_manager, django_capture_on_commit_callbacks, mailoutbox
):
    today = timezone.localdate()
    soon = services.grant_qualification(
        self_service, buyer, actor=facility_manager, valid_until=today + timedelta(days=30)
    )
    services.grant_qualification(
        self_service, researcher, actor=facility_manager, valid_until=today + timedelta(days=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.announce_expiring_qualifications() == 1
    recipients = sorted(m.to[0] for m in mailoutbox)
    assert recipients == sorted([buyer.email, facility_manager.email])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("announce_expiring_qualifications")
        assert services.announce_expiring_qualifications() == 0
    assert mailoutbox == []
    # Given a new expiry date, the qualification is announced again before it.
    services.grant_qualification(self_service, buyer, actor=facility_manager, valid_until=today + timedelta(days=25))
    assert services.announce_expiring_qualifications() == 1
    assert QualificationAnnouncement.objects.filter(qualification=soon).count() == 2


def test_revoked_and_expired_qualifications_are_not_announced(self_service, buyer, facility_manager):
    today = timezone.localdate()
    q = services.grant_qualification(self_service, buyer, actor=facility_manager, valid_until=today + timedelta(days=5))
    services.revoke_qualification(q, actor=facility_manager)
    assert services.announce_expiring_qualifications() == 0
    assert services.announce_expiring_qualifications(on=today + timedelta(days=400)) == 0
    assert not QualificationAnnouncement.objects.exists()
