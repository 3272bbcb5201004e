"""Usage as it happens (issue 13, point 6): check-in and check-out record the real start and end,
overruns are flagged and charged per the instrument's policy, no-shows are detected after the grace
period. Money and rights exhaustively."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from equipment import services
from equipment.charges import statement_section
from equipment.models import Booking, BookingMode, BookingStatus, Overrun, OverrunPolicy, UsageRecord
from marketplace.accounts.models import Role
from marketplace.payments import services as payment_services
from marketplace.payments.models import Payment, PaymentStatus, Provider
from marketplace.payments.payables import get_payable
from marketplace.payments.services import invoices
from marketplace.statistics.models import TransferEvent
from tests.equipment.conftest import make_instrument, slot
from tests.factories import make_member

pytestmark = pytest.mark.django_db

RATE = Decimal("200.00")


def confirmed(instrument, user, organization, manager, *, start=None, minutes=60, charge_code="", rate=RATE):
    """A confirmed booking of `instrument` starting at `start` (default: in 3 days at 09:00), at `rate`
    an hour. Requested at a time the rules allow, then moved to `start` (the rules are not under test)."""
    ok_start, ok_end = slot(days_ahead=3, hour=9)
    booking = services.request_booking(
        instrument=instrument,
        user=user,
        organization=organization,
        start=ok_start,
        end=ok_end,
        charge_code=charge_code,
    )
    services.approve_booking(booking, actor=manager)
    if not booking.by_internal_charge:
        services.confirm_booking(booking, actor=manager, reference="INV-1")
    start = start or ok_start
    end = start + timedelta(minutes=minutes)
    Booking.objects.filter(pk=booking.pk).update(
        start=start, end=end, blocked_start=start, blocked_end=end, hourly_rate=rate
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    return booking


@pytest.fixture
def invoice_mode(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    return settings


@pytest.fixture
def self_service(institute, facility_manager, buyer, researcher):
    instrument = make_instrument(institute, booking_mode=BookingMode.SELF_SERVICE, title_en="Confocal microscope")
    for user in (buyer, researcher):
        services.grant_qualification(
            instrument, user, actor=facility_manager, valid_until=timezone.localdate() + timedelta(days=30)
        )
    return instrument


@pytest.fixture
def own(self_service, buyer, enterprise, facility_manager):
    """A confirmed enterprise booking of the self-service instrument, in 3 days 09:00–10:00."""
    return confirmed(self_service, buyer, enterprise, facility_manager)


# --- check-in: the window ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset, allowed",
    [
        (timedelta(minutes=-16), False),
        (timedelta(minutes=-15, seconds=-1), False),
        (timedelta(minutes=-15), True),  # check_in_early_minutes = 15 (the default)
        (timedelta(0), True),
        (timedelta(minutes=59, seconds=59), True),
        (timedelta(minutes=60), False),  # the end
        (timedelta(hours=3), False),
    ],
)
def test_check_in_is_open_from_the_early_minutes_before_the_start_until_the_end(own, buyer, offset, allowed):
    now = own.start + offset
    assert services.can_check_in_now(own, now) is allowed
    if allowed:
        services.check_in(own, actor=buyer, now=now)
        own.refresh_from_db()
        assert (own.checked_in_at, own.checked_in_by) == (now, buyer)
    else:
        with pytest.raises(ValidationError) as error:
            services.check_in(own, actor=buyer, now=now)
        assert "Check-in opens at" in str(error.value) or "has ended" in str(error.value)
        own.refresh_from_db()
        assert own.checked_in_at is None and own.checked_in_by is None


def test_the_early_minutes_are_the_instruments(own, buyer):
    own.instrument.check_in_early_minutes = 0
    own.instrument.save()
    with pytest.raises(ValidationError, match="Check-in opens at"):
        services.check_in(own, actor=buyer, now=own.start - timedelta(seconds=1))
    services.check_in(own, actor=buyer, now=own.start)


@pytest.mark.parametrize("status", ["requested", "approved", "cancelled", "rejected", "no_show", "completed"])
def test_only_a_confirmed_booking_is_checked_in(own, buyer, status):
    Booking.objects.filter(pk=own.pk).update(status=status)
    with pytest.raises(ValidationError, match="Only a confirmed booking can be checked in"):
        services.check_in(own, actor=buyer, now=own.start)
    own.refresh_from_db()
    assert own.checked_in_at is None


def test_a_double_check_in_keeps_the_first(own, buyer, facility_manager):
    services.check_in(own, actor=buyer, now=own.start)
    again = services.check_in(own, actor=facility_manager, now=own.start + timedelta(minutes=5))
    assert (again.checked_in_at, again.checked_in_by) == (own.start, buyer)
    own.refresh_from_db()
    assert (own.checked_in_at, own.checked_in_by) == (own.start, buyer)


# --- who may -------------------------------------------------------------------------------------------


@pytest.fixture
def people(buyer, facility_manager, tto, researcher, other_buyer, other_tto, staff_user, enterprise):
    colleague = make_member(enterprise, Role.BUYER)  # buys for the same enterprise, did not book
    return {
        "booker": (buyer, True, False),
        "colleague": (colleague, False, False),
        "facility_manager": (facility_manager, True, True),
        "tto": (tto, True, True),
        "staff": (staff_user, True, True),
        "researcher": (researcher, False, False),
        "other_buyer": (other_buyer, False, False),
        "other_tto": (other_tto, False, False),
    }


@pytest.mark.parametrize(
    "who", ["booker", "colleague", "facility_manager", "tto", "staff", "researcher", "other_buyer", "other_tto"]
)
@pytest.mark.parametrize("mode", [BookingMode.SELF_SERVICE, BookingMode.ASSISTED, BookingMode.SAMPLE])
def test_who_may_check_in_and_out(own, people, who, mode):
    user, on_self_service, on_operated = people[who]
    InstrumentPageModel = type(own.instrument)
    InstrumentPageModel.objects.filter(pk=own.instrument_id).update(booking_mode=mode)
    own.refresh_from_db()
    own.instrument.refresh_from_db()
    allowed = on_self_service if mode == BookingMode.SELF_SERVICE else on_operated
    assert services.may_check_in_out(user, own) is allowed
    if allowed:
        services.check_in(own, actor=user, now=own.start)
        services.check_out(own, actor=user, now=own.end)
        own.refresh_from_db()
        assert own.status == BookingStatus.COMPLETED
        assert (own.checked_in_by, own.checked_out_by) == (user, user)
    else:
        with pytest.raises(PermissionDenied):
            services.check_in(own, actor=user, now=own.start)
        services.check_in(own, actor=people["facility_manager"][0], now=own.start)
        with pytest.raises(PermissionDenied):
            services.check_out(own, actor=user, now=own.end)
        own.refresh_from_db()
        assert own.status == BookingStatus.CONFIRMED and own.checked_out_at is None


def test_anonymous_may_not(own):
    from django.contrib.auth.models import AnonymousUser

    assert services.may_check_in_out(AnonymousUser(), own) is False
    with pytest.raises(PermissionDenied):
        services.check_in(own, actor=AnonymousUser(), now=own.start)


# --- check-out: real hours -----------------------------------------------------------------------------


def test_check_out_completes_with_the_real_hours_and_times(
    own, buyer, facility_manager, django_capture_on_commit_callbacks, mailoutbox
):
    started = own.start + timedelta(minutes=7)
    ended = own.start + timedelta(minutes=52)
    services.check_in(own, actor=buyer, now=started)
    with django_capture_on_commit_callbacks(execute=True):
        services.check_out(own, actor=buyer, now=ended, note="2 samples")
    own.refresh_from_db()
    assert own.status == BookingStatus.COMPLETED
    assert (own.checked_in_at, own.checked_out_at) == (started, ended)
    usage = UsageRecord.objects.get(booking=own)
    assert (usage.hours, usage.started_at, usage.ended_at, usage.recorded_by) == (
        Decimal("0.75"),
        started,
        ended,
        buyer,
    )
    assert usage.note == "2 samples"
    assert not Overrun.objects.filter(booking=own).exists()
    # The same ledger facts as a completion typed in by the facility, with the real hours.
    assert TransferEvent.objects.get(kind="usage_recorded", subject__endswith=f":{own.pk}").hours == Decimal("0.75")
    completed = TransferEvent.objects.get(kind="booking_completed", subject__endswith=f":{own.pk}")
    assert completed.amount == own.price_amount  # charged as booked
    assert [t.to_status for t in own.transitions.all()][-1] == BookingStatus.COMPLETED
    assert any(buyer.email in m.to for m in mailoutbox)


def test_check_out_may_come_before_the_start_when_checked_in_early(own, buyer):
    services.check_in(own, actor=buyer, now=own.start - timedelta(minutes=10))
    services.check_out(own, actor=buyer, now=own.start - timedelta(minutes=1))
    assert UsageRecord.objects.get(booking=own).hours == Decimal("0.15")


def test_check_out_needs_a_check_in(own, buyer):
    with pytest.raises(ValidationError, match="Check in before checking out"):
        services.check_out(own, actor=buyer, now=own.end)
    own.refresh_from_db()
    assert own.status == BookingStatus.CONFIRMED and own.checked_out_at is None
    assert not UsageRecord.objects.filter(booking=own).exists()


def test_check_out_must_follow_the_check_in(own, buyer):
    services.check_in(own, actor=buyer, now=own.start)
    with pytest.raises(ValidationError, match="must come after the check-in"):
        services.check_out(own, actor=buyer, now=own.start)
    own.refresh_from_db()
    assert own.status == BookingStatus.CONFIRMED


def test_a_double_check_out_records_once(own, buyer, facility_manager):
    services.check_in(own, actor=buyer, now=own.start)
    services.check_out(own, actor=buyer, now=own.end + timedelta(minutes=30))
    services.check_out(own, actor=facility_manager, now=own.end + timedelta(minutes=50))
    own.refresh_from_db()
    assert (own.checked_out_at, own.checked_out_by) == (own.end + timedelta(minutes=30), buyer)
    assert UsageRecord.objects.filter(booking=own).count() == 1
    assert Overrun.objects.get(booking=own).minutes == 30
    assert TransferEvent.objects.filter(kind="booking_completed", subject__endswith=f":{own.pk}").count() == 1


def test_a_checked_in_booking_is_no_no_show(own, buyer, facility_manager):
    services.check_in(own, actor=buyer, now=own.start)
    with pytest.raises(ValidationError, match="checked in"):
        services.mark_no_show(own, actor=facility_manager, now=own.end)
    own.refresh_from_db()
    assert own.status == BookingStatus.CONFIRMED


def test_the_database_refuses_a_check_out_without_or_before_the_check_in(own):
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=own.pk).update(checked_out_at=own.end)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=own.pk).update(checked_in_at=own.end, checked_out_at=own.start)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=own.pk).update(checked_in_at=own.start, checked_out_at=own.start)


# --- overruns ------------------------------------------------------------------------------------------


def _set(instrument, **fields):
    type(instrument).objects.filter(pk=instrument.pk).update(**fields)


@pytest.mark.parametrize(
    "late, flagged",
    [
        (timedelta(0), False),
        (timedelta(minutes=4, seconds=59), False),
        (timedelta(minutes=5), False),  # the tolerance (5 minutes) itself is no overrun
        (timedelta(minutes=5, seconds=1), True),
        (timedelta(minutes=6), True),
    ],
)
def test_the_tolerance_boundary(own, buyer, late, flagged):
    services.check_in(own, actor=buyer, now=own.start)
    services.check_out(own, actor=buyer, now=own.end + late)
    assert Overrun.objects.filter(booking=own).exists() is flagged


@pytest.mark.parametrize(
    "policy, slot_minutes, multiplier, late_minutes, minutes, charged_minutes, amount",
    [
        # 200.00 an hour. Flag only: nothing charged.
        (OverrunPolicy.NONE, 60, "1.50", 40, 40, 0, "0.00"),
        # The hourly rate for the overrun rounded up to the slot.
        (OverrunPolicy.SLOT, 60, "1.50", 6, 6, 60, "200.00"),
        (OverrunPolicy.SLOT, 60, "1.50", 60, 60, 60, "200.00"),
        (OverrunPolicy.SLOT, 60, "1.50", 61, 61, 120, "400.00"),
        (OverrunPolicy.SLOT, 15, "1.50", 20, 20, 30, "100.00"),
        (OverrunPolicy.SLOT, 30, "1.50", 30, 30, 30, "100.00"),
        # Times the multiplier.
        (OverrunPolicy.MULTIPLIER, 60, "1.50", 40, 40, 60, "300.00"),
        (OverrunPolicy.MULTIPLIER, 15, "1.50", 20, 20, 30, "150.00"),
        (OverrunPolicy.MULTIPLIER, 15, "2.25", 7, 7, 15, "112.50"),
        (OverrunPolicy.MULTIPLIER, 120, "1.00", 130, 130, 240, "800.00"),
    ],
)
def test_overrun_charge_per_policy(
    self_service,
    buyer,
    enterprise,
    facility_manager,
    policy,
    slot_minutes,
    multiplier,
    late_minutes,
    minutes,
    charged_minutes,
    amount,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    booking = confirmed(self_service, buyer, enterprise, facility_manager)
    _set(self_service, overrun_policy=policy, slot_minutes=slot_minutes, overrun_multiplier=Decimal(multiplier))
    services.check_in(booking, actor=buyer, now=booking.start)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.check_out(booking, actor=buyer, now=booking.end + timedelta(minutes=late_minutes))
    overrun = Overrun.objects.get(booking=booking)
    assert (overrun.minutes, overrun.charged_minutes, overrun.amount, overrun.currency) == (
        minutes,
        charged_minutes,
        Decimal(amount),
        booking.currency,
    )
    assert overrun.policy == policy
    charged = Decimal(amount) > 0
    assert overrun.status == (Overrun.Status.DUE if charged else Overrun.Status.NOT_CHARGED)
    overrun_mails = [m for m in mailoutbox if "Overrun" in m.subject or "超时" in m.subject]
    assert len(overrun_mails) == (1 if charged else 0)
    # The booking itself stays charged as booked; its real hours include the overrun.
    booking.refresh_from_db()
    assert booking.price_amount == price_before(booking)
    expected_hours = (Decimal(60 + late_minutes) / Decimal(60)).quantize(Decimal("0.01"))
    assert UsageRecord.objects.get(booking=booking).hours == expected_hours


def price_before(booking):
    return Booking.objects.values_list("price_amount", flat=True).get(pk=booking.pk)


def test_overrun_minutes_count_part_minutes_up(own, buyer):
    _set(own.instrument, overrun_policy=OverrunPolicy.SLOT, slot_minutes=15)
    services.check_in(own, actor=buyer, now=own.start)
    services.check_out(own, actor=buyer, now=own.end + timedelta(minutes=15, seconds=1))
    overrun = Overrun.objects.get(booking=own)
    assert (overrun.minutes, overrun.charged_minutes, overrun.amount) == (16, 30, Decimal("100.00"))


def test_the_overrun_rate_is_the_bookings_frozen_rate(own, buyer):
    """A rate changed after the booking does not change what its overrun costs."""
    _set(own.instrument, overrun_policy=OverrunPolicy.SLOT, hourly_rate=Decimal("999.00"))
    services.check_in(own, actor=buyer, now=own.start)
    services.check_out(own, actor=buyer, now=own.end + timedelta(minutes=30))
    assert Overrun.objects.get(booking=own).amount == Decimal("200.00")


def test_an_enterprise_pays_the_overrun_through_payments(
    own, buyer, facility_manager, other_buyer, invoice_mode, django_capture_on_commit_callbacks
):
    services.check_in(own, actor=buyer, now=own.start)
    services.check_out(own, actor=buyer, now=own.end + timedelta(minutes=20))
    overrun = Overrun.objects.get(booking=own)
    payable = get_payable("booking_overrun")
    assert payable.for_buyer(buyer, overrun.pk) == overrun
    assert payable.for_buyer(other_buyer, overrun.pk) is None
    assert payable.price(overrun) == (Decimal("200.00"), own.currency)
    assert (payable.payee_id(overrun), payable.payer_id(overrun)) == (own.institute_id, own.enterprise_id)

    payment = payment_services.start_payment(overrun, actor=buyer, provider=Provider.INVOICE)
    assert (payment.subject_kind, payment.subject_id, payment.amount) == (
        "booking_overrun",
        overrun.pk,
        Decimal("200.00"),
    )
    with pytest.raises(PermissionDenied):
        payment_services.start_payment(overrun, actor=other_buyer, provider=Provider.INVOICE)
    with django_capture_on_commit_callbacks(execute=True):
        invoices.mark_invoice_paid(payment, actor=facility_manager, reference="bank 7")
    payment.refresh_from_db()
    overrun.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert overrun.status == Overrun.Status.PAID and payment.number in overrun.payment_reference
    # Paid: nothing more to pay.
    assert payable.can_be_paid(overrun) is False
    assert Payment.objects.filter(subject_kind="booking_overrun").count() == 1


def test_an_uncharged_overrun_cannot_be_paid(own, buyer, invoice_mode):
    _set(own.instrument, overrun_policy=OverrunPolicy.NONE)
    services.check_in(own, actor=buyer, now=own.start)
    services.check_out(own, actor=buyer, now=own.end + timedelta(minutes=20))
    overrun = Overrun.objects.get(booking=own)
    assert get_payable("booking_overrun").for_buyer(buyer, overrun.pk) is None
    with pytest.raises(ValidationError):
        payment_services.start_payment(overrun, actor=buyer, provider=Provider.INVOICE)


def test_an_institute_users_overrun_is_added_to_the_internal_charge(
    self_service, researcher, institute, facility_manager
):
    booking = confirmed(self_service, researcher, institute, facility_manager, charge_code="PRJ-9")
    assert booking.by_internal_charge
    services.check_in(booking, actor=researcher, now=booking.start)
    services.check_out(booking, actor=researcher, now=booking.end + timedelta(minutes=45))
    overrun = Overrun.objects.get(booking=booking)
    assert (overrun.status, overrun.amount) == (Overrun.Status.INTERNAL, Decimal("200.00"))
    assert get_payable("booking_overrun").can_be_paid(overrun) is False
    today = timezone.localdate()
    section = statement_section(institute, today - timedelta(days=1), today + timedelta(days=10))
    text = " ".join(str(cell) for row in section.rows for cell in row)
    assert "PRJ-9" in text and "Overrun" in text
    totals = {label: amount for label, amount, _currency in section.totals}
    assert sum(totals.values()) == booking.price_amount + Decimal("200.00")


def test_the_database_refuses_an_inconsistent_overrun(own):
    base = {"booking": own, "minutes": 10, "policy": "slot", "hourly_rate": RATE, "currency": "CNY"}
    for bad in (
        {"status": "not_charged", "amount": Decimal("1.00")},
        {"status": "due", "amount": Decimal("0.00")},
        {"status": "due", "amount": Decimal("10.00"), "minutes": 0},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Overrun.objects.create(**{**base, **bad})


# --- no-shows ------------------------------------------------------------------------------------------


def test_no_show_detection_after_the_grace_period_is_idempotent(
    own, facility_manager, django_capture_on_commit_callbacks, mailoutbox
):
    # grace: 30 minutes (the default)
    assert services.detect_no_shows(now=own.start + timedelta(minutes=29, seconds=59)) == (1, 0)
    own.refresh_from_db()
    assert own.status == BookingStatus.CONFIRMED
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.detect_no_shows(now=own.start + timedelta(minutes=30)) == (1, 1)
    own.refresh_from_db()
    assert own.status == BookingStatus.NO_SHOW
    last = own.transitions.last()
    assert (last.from_status, last.to_status, last.actor) == ("confirmed", "no_show", None)
    recipients = sorted(r for m in mailoutbox for r in m.to)
    assert recipients == sorted([own.user.email, facility_manager.email])
    # Again: nothing more.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.detect_no_shows(now=own.start + timedelta(hours=5)) == (0, 0)
    assert mailoutbox == []
    assert own.transitions.filter(to_status=BookingStatus.NO_SHOW).count() == 1


def test_a_confirmed_no_show_stays_charged_as_booked(self_service, buyer, enterprise, facility_manager, invoice_mode):
    start, end = slot(days_ahead=3, hour=9)
    booking = services.request_booking(
        instrument=self_service, user=buyer, organization=enterprise, start=start, end=end
    )
    services.approve_booking(booking, actor=facility_manager)
    payment_services.receive_invoice_payment(booking, actor=facility_manager, reference="bank 1")
    assert services.detect_no_shows(now=start + timedelta(hours=2)) == (1, 1)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    assert TransferEvent.objects.filter(kind="booking_confirmed", subject__endswith=f":{booking.pk}").exists()
    payment = Payment.objects.filter(subject_kind="booking", subject_id=booking.pk).get()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.refunded_amount == 0
    assert payment.amount == booking.price_amount


def test_an_approved_unpaid_no_show_is_released_and_its_payment_cancelled(
    self_service, buyer, enterprise, facility_manager, invoice_mode
):
    start, end = slot(days_ahead=3, hour=9)
    booking = services.request_booking(
        instrument=self_service, user=buyer, organization=enterprise, start=start, end=end
    )
    services.approve_booking(booking, actor=facility_manager)
    payment = payment_services.start_payment(booking, actor=buyer, provider=Provider.INVOICE)
    assert services.detect_no_shows(now=start + timedelta(minutes=31)) == (1, 1)
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    assert payment.status == PaymentStatus.CANCELLED


def test_checked_in_and_other_bookings_are_no_no_shows(own, buyer, self_service, enterprise, facility_manager):
    services.check_in(own, actor=buyer, now=own.start + timedelta(minutes=29))
    assert services.detect_no_shows(now=own.start + timedelta(hours=2)) == (0, 0)
    own.refresh_from_db()
    assert own.status == BookingStatus.CONFIRMED


def test_the_grace_period_is_the_instruments(own):
    _set(own.instrument, no_show_grace_minutes=90)
    assert services.detect_no_shows(now=own.start + timedelta(minutes=89)) == (1, 0)
    assert services.detect_no_shows(now=own.start + timedelta(minutes=90)) == (1, 1)


def test_the_command_reports_progress_and_is_idempotent(own, capsys):
    start, end = timezone.now() - timedelta(hours=2), timezone.now() - timedelta(hours=1)
    Booking.objects.filter(pk=own.pk).update(start=start, end=end, blocked_start=start, blocked_end=end)
    call_command("detect_no_shows")
    assert "checked 1 bookings, marked 1 no-shows" in capsys.readouterr().out
    call_command("detect_no_shows")
    assert "checked 0 bookings, marked 0 no-shows" in capsys.readouterr().out


# --- pages ---------------------------------------------------------------------------------------------


def _now_booking(instrument, buyer, enterprise, manager, *, minutes_ago=10):
    now = timezone.now().replace(microsecond=0)
    return confirmed(instrument, buyer, enterprise, manager, start=now - timedelta(minutes=minutes_ago))


def test_the_booker_checks_in_and_out_from_the_booking_page(client, self_service, buyer, enterprise, facility_manager):
    booking = _now_booking(self_service, buyer, enterprise, facility_manager)
    client.force_login(buyer)
    page = client.get(f"/equipment/bookings/{booking.pk}/").content.decode()
    assert f"/equipment/bookings/{booking.pk}/check-in/" in page
    assert f"/equipment/bookings/{booking.pk}/check-out/" not in page
    assert client.get(f"/equipment/bookings/{booking.pk}/check-in/").status_code == 405
    response = client.post(f"/equipment/bookings/{booking.pk}/check-in/", follow=True)
    assert "Checked in at" in response.content.decode()
    # A double click: checked in once, no error.
    response = client.post(f"/equipment/bookings/{booking.pk}/check-in/", follow=True)
    assert "Checked in at" in response.content.decode()
    booking.refresh_from_db()
    first = booking.checked_in_at
    page = client.get(f"/equipment/bookings/{booking.pk}/").content.decode()
    assert f"/equipment/bookings/{booking.pk}/check-out/" in page and "Checked in" in page
    response = client.post(f"/equipment/bookings/{booking.pk}/check-out/", follow=True)
    content = response.content.decode()
    assert "the booking is completed" in content and "Actual hours" in content
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED and booking.checked_in_at == first
    response = client.post(f"/equipment/bookings/{booking.pk}/check-out/", follow=True)
    assert response.status_code == 200
    assert UsageRecord.objects.filter(booking=booking).count() == 1


def test_the_booking_page_says_when_check_in_opens(client, own, buyer):
    client.force_login(buyer)
    page = client.get(f"/equipment/bookings/{own.pk}/").content.decode()
    assert "Check-in opens at" in page and "/check-in/" not in page
    response = client.post(f"/equipment/bookings/{own.pk}/check-in/", follow=True)
    assert "Check-in opens at" in response.content.decode()
    own.refresh_from_db()
    assert own.checked_in_at is None


def test_the_booker_gets_no_button_on_an_operator_run_instrument(
    client, instrument, buyer, enterprise, facility_manager
):
    booking = _now_booking(instrument, buyer, enterprise, facility_manager)
    client.force_login(buyer)
    assert "/check-in/" not in client.get(f"/equipment/bookings/{booking.pk}/").content.decode()
    response = client.post(f"/equipment/bookings/{booking.pk}/check-in/", follow=True)
    assert "the facility checks the booking in and out" in response.content.decode()
    booking.refresh_from_db()
    assert booking.checked_in_at is None


def test_the_manager_checks_in_and_out_through_the_manage_actions(
    client, instrument, buyer, enterprise, facility_manager
):
    booking = _now_booking(instrument, buyer, enterprise, facility_manager)
    client.force_login(facility_manager)
    page = client.get(f"/equipment/manage/bookings/{booking.pk}/").content.decode()
    assert f"/equipment/manage/bookings/{booking.pk}/check-in/" in page
    response = client.post(f"/equipment/manage/bookings/{booking.pk}/check-in/", follow=True)
    assert "Checked in." in response.content.decode()
    page = client.get(f"/equipment/manage/bookings/{booking.pk}/").content.decode()
    assert f"/equipment/manage/bookings/{booking.pk}/check-out/" in page
    assert "/no-show/" not in page  # checked in: no no-show, no typed hours
    assert "Record usage and complete" not in page
    client.post(f"/equipment/manage/bookings/{booking.pk}/check-out/")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED and booking.checked_out_by == facility_manager


def test_the_booking_page_shows_the_overrun_and_offers_to_pay_it(client, own, buyer, invoice_mode):
    services.check_in(own, actor=buyer, now=own.start)
    services.check_out(own, actor=buyer, now=own.end + timedelta(minutes=20))
    overrun = Overrun.objects.get(booking=own)
    client.force_login(buyer)
    page = client.get(f"/equipment/bookings/{own.pk}/").content.decode()
    assert "20 minutes after the booked end" in page
    assert "200.00" in page and "60 minutes charged" in page
    assert f"/payments/booking_overrun/{overrun.pk}/" in page


def test_the_chinese_booking_page_shows_the_usage(client, own, buyer):
    services.check_in(own, actor=buyer, now=own.start)
    services.check_out(own, actor=buyer, now=own.end + timedelta(minutes=20))
    buyer.preferred_language = "zh-hans"
    buyer.save()
    client.force_login(buyer)
    client.cookies["language"] = "zh-hans"
    page = client.get(f"/equipment/bookings/{own.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "签到" in page and "签退" in page and "超出预约结束时间 20 分钟" in page
