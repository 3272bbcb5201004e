"""Paying by card against localstripe (a local fake Stripe server), with signed webhook events."""

from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from equipment import services as equipment_services
from equipment.models import BookingStatus
from marketplace.core.money import quantize
from marketplace.payments import gateway, services
from marketplace.payments.models import Payment, PaymentStatus, Provider
from marketplace.payments.services import checkout, holds, invoices, refunds
from marketplace.statistics.models import TransferEvent
from tests.payments.conftest import make_event, pay_with_card

pytestmark = pytest.mark.django_db

DECLINED = "4000000000000341"


def start_card_payment(client, buyer, booking):
    client.force_login(buyer)
    response = client.post(f"/payments/booking/{booking.pk}/", {"provider": "stripe"})
    assert response.status_code == 302
    payment = Payment.objects.for_subject(booking).get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    payment.refresh_from_db()
    return payment, page


def deliver(post_event, event_type, intent_id):
    """Post Stripe's current state of the PaymentIntent as a signed event."""
    return post_event(make_event(event_type, gateway.retrieve_payment_intent(intent_id)))


def paid_booking(client, buyer, booking, post_event):
    payment, _page = start_card_payment(client, buyer, booking)
    pay_with_card(payment.stripe_payment_intent_id)
    deliver(post_event, "payment_intent.succeeded", payment.stripe_payment_intent_id)
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    return payment


def test_a_buyer_pays_a_booking_by_card_and_only_the_verified_event_confirms_it(
    stripe_mode, client, buyer, booking, post_event
):
    payment, page = start_card_payment(client, buyer, booking)
    html = page.content.decode()
    intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
    assert intent["client_secret"] in html
    assert "https://js.stripe.com/v3/" in html and "<noscript>" in html
    assert intent["amount"] == gateway.minor(booking.price_amount, "CNY") and intent["currency"] == "cny"
    assert intent["metadata"]["payment"] == str(payment.uid)
    assert intent["metadata"]["booking"] == str(booking.pk)
    assert payment.provider == Provider.STRIPE and payment.hold_until is not None

    pay_with_card(payment.stripe_payment_intent_id)
    # The browser comes back: the page says "processing" and confirms nothing.
    returned = client.get(f"/payments/{payment.pk}/return/")
    assert returned.status_code == 200 and b"processing" in returned.content
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED

    assert deliver(post_event, "payment_intent.succeeded", payment.stripe_payment_intent_id).status_code == 200
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert payment.status == PaymentStatus.SUCCEEDED and payment.stripe_charge_id.startswith("ch_")
    assert b"received" in client.get(f"/payments/{payment.pk}/return/").content


def test_the_payment_intent_is_created_once(stripe_mode, buyer, booking):
    payment = services.start_payment(booking, actor=buyer, provider=Provider.STRIPE)
    first = checkout.ensure_payment_intent(payment)
    second = checkout.ensure_payment_intent(payment)
    assert first["id"] == second["id"]
    assert services.start_payment(booking, actor=buyer).pk == payment.pk
    assert len(list(gateway.list_payment_intents())) == 1


@pytest.mark.parametrize(
    "amount, currency, minor",
    [
        (Decimal("0.01"), "CNY", 1),
        (Decimal("1.00"), "CNY", 100),
        (Decimal("123.45"), "CNY", 12345),
        (Decimal("1234567.89"), "CNY", 123456789),
        (Decimal("99.90"), "USD", 9990),
        (Decimal("10.10"), "EUR", 1010),
        (Decimal("8.88"), "HKD", 888),
    ],
)
def test_amounts_become_minor_units_only_at_the_stripe_boundary(stripe_mode, amount, currency, minor):
    intent = gateway.create_payment_intent(amount=amount, currency=currency, metadata={}, idempotency_key=str(minor))
    assert intent["amount"] == minor and intent["currency"] == currency.lower()
    assert gateway.major(intent["amount"], currency) == amount


def test_a_float_never_reaches_stripe(stripe_mode):
    with pytest.raises(TypeError):
        gateway.minor(12.3, "CNY")


@pytest.mark.parametrize(
    "configured, expected",
    [(["card"], ["card"]), (["card", "alipay"], ["card", "alipay"]), (["bogus"], ["card"]), ([], ["card"])],
)
def test_payment_methods_follow_the_setting(stripe_mode, settings, configured, expected):
    settings.STRIPE_PAYMENT_METHODS = configured
    assert gateway.payment_method_types() == expected
    gateway.create_payment_intent(amount=Decimal("1.00"), currency="CNY", metadata={}, idempotency_key="pm")


def test_wechat_pay_is_asked_for_the_web_client(stripe_mode, settings):
    settings.STRIPE_PAYMENT_METHODS = ["card", "wechat_pay"]
    intent = gateway.create_payment_intent(amount=Decimal("2.00"), currency="CNY", metadata={}, idempotency_key="wx")
    assert intent["status"] == "requires_payment_method"


def test_a_decline_leaves_the_booking_unconfirmed_and_the_slot_held_for_the_hold_time(
    stripe_mode, client, buyer, booking, post_event, settings
):
    settings.PAYMENT_HOLD_MINUTES = 30
    payment, _page = start_card_payment(client, buyer, booking)
    with pytest.raises(stripe.CardError):
        pay_with_card(payment.stripe_payment_intent_id, DECLINED)
    deliver(post_event, "payment_intent.payment_failed", payment.stripe_payment_intent_id)
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert booking.status == BookingStatus.APPROVED
    assert timedelta(minutes=29) < payment.hold_until - timezone.now() <= timedelta(minutes=30)

    # Within the hold nothing is released.
    assert holds.release_expired_holds(now=payment.hold_until - timedelta(minutes=1)) == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED

    # After it, the payment is cancelled (at Stripe too) and the slot is free again.
    assert holds.release_expired_holds(now=payment.hold_until + timedelta(seconds=1)) == 1
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert booking.status == BookingStatus.CANCELLED
    assert gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)["status"] == "canceled"
    # The cancellation event Stripe then sends changes nothing more.
    deliver(post_event, "payment_intent.canceled", payment.stripe_payment_intent_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED


def test_a_paid_intent_is_never_released(stripe_mode, client, buyer, booking, post_event):
    payment, _page = start_card_payment(client, buyer, booking)
    pay_with_card(payment.stripe_payment_intent_id)
    assert holds.release_expired_holds(now=timezone.now() + timedelta(days=1)) == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    deliver(post_event, "payment_intent.succeeded", payment.stripe_payment_intent_id)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_money_arriving_after_the_slot_was_released_is_refunded_in_full(
    stripe_mode, client, buyer, booking, post_event
):
    payment, _page = start_card_payment(client, buyer, booking)
    intent_id = payment.stripe_payment_intent_id
    # The buyer pays at Stripe, but our release ran first and saw the intent still unpaid.
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CANCELLED, hold_until=None)
    equipment_services.release_unpaid_booking(booking, note="test")
    pay_with_card(intent_id)
    deliver(post_event, "payment_intent.succeeded", intent_id)
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == payment.amount
    charge = gateway.retrieve_payment_intent(intent_id, expand_charge=True)["latest_charge"]
    assert charge["amount_refunded"] == gateway.minor(payment.amount, "CNY")


def test_choosing_invoice_cancels_the_payment_intent(stripe_mode, client, buyer, booking):
    payment, _page = start_card_payment(client, buyer, booking)
    response = client.post(f"/payments/{payment.pk}/use-invoice/")
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.provider == Provider.INVOICE and payment.status == PaymentStatus.PENDING
    assert payment.hold_until is None
    assert gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)["status"] == "canceled"


def test_choosing_invoice_after_paying_by_card_is_refused(stripe_mode, client, buyer, booking):
    payment, _page = start_card_payment(client, buyer, booking)
    pay_with_card(payment.stripe_payment_intent_id)
    client.post(f"/payments/{payment.pk}/use-invoice/")
    payment.refresh_from_db()
    assert payment.provider == Provider.STRIPE


def test_an_invoice_paid_and_a_card_payment_too_gives_the_card_money_back(
    stripe_mode, client, buyer, booking, facility_manager, post_event
):
    payment, _page = start_card_payment(client, buyer, booking)
    intent_id = payment.stripe_payment_intent_id
    pay_with_card(intent_id)  # paid at Stripe, but the event is late
    Payment.objects.filter(pk=payment.pk).update(provider=Provider.INVOICE)
    invoices.mark_invoice_paid(payment, actor=facility_manager, reference="BANK-1")
    deliver(post_event, "payment_intent.succeeded", intent_id)
    deliver(post_event, "charge.refunded", intent_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.refunded_amount == 0
    charge = gateway.retrieve_payment_intent(intent_id, expand_charge=True)["latest_charge"]
    assert charge["amount_refunded"] == charge["amount"]
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.PAYMENT_RECEIVED).count() == 1


# --- refunds follow the cancellation policy -----------------------------------------------------


def test_cancelling_within_the_window_refunds_everything(
    stripe_mode, client, buyer, booking, post_event, django_capture_on_commit_callbacks
):
    payment = paid_booking(client, buyer, booking, post_event)
    # The refund is made at Stripe once the cancellation is committed.
    with django_capture_on_commit_callbacks(execute=True):
        equipment_services.cancel_booking(booking, actor=buyer, reason="plans changed")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == payment.amount
    refund = payment.refunds.get()
    assert refund.stripe_refund_id.startswith("re_")
    charge = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id, expand_charge=True)["latest_charge"]
    assert charge["amount_refunded"] == gateway.minor(payment.amount, "CNY")
    # Stripe's events about that refund change nothing more.
    deliver(post_event, "charge.refunded", payment.stripe_payment_intent_id)
    payment.refresh_from_db()
    assert payment.refunds.count() == 1 and payment.refunded_amount == payment.amount
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.PAYMENT_REFUNDED).count() == 1


def test_the_facility_cancelling_late_refunds_everything(
    stripe_mode, client, buyer, approved_booking, facility_manager, post_event, django_capture_on_commit_callbacks
):
    booking = approved_booking(days_ahead=3)
    payment = paid_booking(client, buyer, booking, post_event)
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_for_cancelled(
            booking, actor=facility_manager, by_payee=True, now=booking.start - timedelta(hours=1)
        )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


@pytest.mark.parametrize(
    "percent, expected_status",
    [(50, PaymentStatus.PARTIALLY_REFUNDED), (100, PaymentStatus.REFUNDED), (0, PaymentStatus.SUCCEEDED)],
)
def test_a_late_cancellation_refunds_the_policy_share(
    stripe_mode,
    client,
    buyer,
    booking,
    post_event,
    settings,
    percent,
    expected_status,
    django_capture_on_commit_callbacks,
):
    settings.PAYMENT_LATE_CANCELLATION_REFUND_PERCENT = percent
    payment = paid_booking(client, buyer, booking, post_event)
    late = booking.start - timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_for_cancelled(booking, actor=buyer, by_payee=False, now=late)
        services.refund_for_cancelled(booking, actor=buyer, by_payee=False, now=late)  # twice: once
    payment.refresh_from_db()

    expected = quantize(payment.amount * percent / 100)
    assert payment.status == expected_status
    assert payment.refunded_amount == expected
    charge = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id, expand_charge=True)["latest_charge"]
    assert charge["amount_refunded"] == gateway.minor(expected, "CNY")


def test_a_refund_is_never_more_than_what_remains(
    stripe_mode, client, buyer, booking, post_event, django_capture_on_commit_callbacks
):
    payment = paid_booking(client, buyer, booking, post_event)
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_payment(payment, amount=Decimal("1.00"), key="one")
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_payment(payment, amount=payment.amount * 2, key="rest")
    payment.refresh_from_db()
    assert payment.refunded_amount == payment.amount and payment.status == PaymentStatus.REFUNDED
    assert [r.amount for r in payment.refunds.all()] == [Decimal("1.00"), payment.amount - Decimal("1.00")]
    refunds.refund_payment(payment, amount=Decimal("1.00"), key="more")
    assert payment.refunds.count() == 2


def test_an_unpaid_payment_cannot_be_refunded(stripe_mode, buyer, booking):

    payment = services.start_payment(booking, actor=buyer, provider=Provider.STRIPE)
    with pytest.raises(ValidationError):
        refunds.refund_payment(payment, amount=Decimal("1.00"))


def test_a_booking_confirmed_by_other_means_gets_its_card_money_back(
    stripe_mode, client, buyer, booking, facility_manager, post_event
):
    payment, _page = start_card_payment(client, buyer, booking)
    equipment_services.confirm_booking(booking, actor=facility_manager, reference="INV-EXTERNAL")
    pay_with_card(payment.stripe_payment_intent_id)
    deliver(post_event, "payment_intent.succeeded", payment.stripe_payment_intent_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == payment.amount


def test_the_booking_pages_show_the_pay_button_and_then_the_payment(
    stripe_mode, client, buyer, booking, facility_manager
):
    client.force_login(buyer)
    page = client.get(f"/equipment/bookings/{booking.pk}/").content.decode()
    assert f"/payments/booking/{booking.pk}/" in page
    payment, _page = start_card_payment(client, buyer, booking)
    page = client.get(f"/equipment/bookings/{booking.pk}/").content.decode()
    assert f"/payments/{payment.pk}/" in page and payment.number in page
    client.force_login(facility_manager)
    page = client.get(f"/equipment/manage/bookings/{booking.pk}/").content.decode()
    assert f"/payments/{payment.pk}/" in page


def test_release_expired_holds_command(stripe_mode, buyer, booking):

    payment = services.start_payment(booking, actor=buyer, provider=Provider.STRIPE)
    Payment.objects.filter(pk=payment.pk).update(hold_until=timezone.now() - timedelta(minutes=1))
    call_command("release_expired_holds")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
