"""Money received outside Stripe, recorded by institute staff from the booking or agreement page,
is one invoice payment like any other: it confirms the subject, feeds the ledger and the statement."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from equipment.models import BookingStatus
from ip_listings.models import AgreementStatus
from marketplace.payments import services
from marketplace.payments.models import Payment, PaymentStatus, Provider
from marketplace.statistics.models import TransferEvent

pytestmark = pytest.mark.django_db


def received_events(subject_payment):
    return TransferEvent.objects.filter(kind=TransferEvent.Kind.PAYMENT_RECEIVED, source_id=str(subject_payment.pk))


def test_facility_manager_confirming_by_invoice_records_one_paid_invoice(
    invoice_mode, client, facility_manager, booking
):
    client.force_login(facility_manager)
    response = client.post(f"/equipment/manage/bookings/{booking.pk}/confirm/", {"reference": "INV-77"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    payment = Payment.objects.for_subject(booking).get()
    assert (payment.provider, payment.status) == (Provider.INVOICE, PaymentStatus.SUCCEEDED)
    assert payment.amount == booking.price_amount and payment.institute_id == booking.institute_id
    assert "INV-77" in payment.reference
    assert received_events(payment).count() == 1
    # Pressing the button again changes nothing.
    client.post(f"/equipment/manage/bookings/{booking.pk}/confirm/", {"reference": "INV-77"})
    assert Payment.objects.for_subject(booking).count() == 1
    assert received_events(payment).count() == 1


def test_staff_receipt_uses_the_invoice_the_buyer_opened(invoice_mode, buyer, facility_manager, booking):
    opened = services.start_payment(booking, actor=buyer, provider=Provider.INVOICE)
    paid = services.receive_invoice_payment(booking, actor=facility_manager, reference="bank slip 4")
    assert paid.pk == opened.pk and paid.status == PaymentStatus.SUCCEEDED
    assert Payment.objects.for_subject(booking).count() == 1


def test_staff_receipt_waits_for_a_card_payment_under_way(stripe_mode, buyer, facility_manager, booking):
    services.start_payment(booking, actor=buyer, provider=Provider.STRIPE)
    with pytest.raises(ValidationError):
        services.receive_invoice_payment(booking, actor=facility_manager)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    assert not Payment.objects.for_subject(booking).filter(provider=Provider.INVOICE).exists()


@pytest.mark.parametrize("who", ["buyer", "researcher", "tto", "other_tto"])
def test_only_the_facility_staff_record_a_booking_receipt(invoice_mode, booking, who, request):
    with pytest.raises(PermissionDenied):
        services.receive_invoice_payment(booking, actor=request.getfixturevalue(who))
    assert not Payment.objects.exists()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED


def test_tto_confirming_a_licence_by_invoice_records_one_paid_invoice(invoice_mode, client, tto, express_agreement):

    client.force_login(tto)
    client.post(f"/ip/agreements/{express_agreement.pk}/confirm-payment/", {"reference": "INV-9"})
    express_agreement.refresh_from_db()
    assert express_agreement.status == AgreementStatus.ACTIVE
    payment = Payment.objects.for_subject(express_agreement).get()
    assert payment.amount == Decimal("20000.00") and payment.status == PaymentStatus.SUCCEEDED
    assert received_events(payment).count() == 1


@pytest.mark.parametrize("who", ["buyer", "facility_manager", "other_tto"])
def test_only_the_tto_records_a_licence_receipt(invoice_mode, express_agreement, who, request):
    with pytest.raises(PermissionDenied):
        services.receive_invoice_payment(express_agreement, actor=request.getfixturevalue(who))
    assert not Payment.objects.exists()
