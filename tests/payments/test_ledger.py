"""Payments' ledger facts are mapped once (payments/ledger.py): the services record exactly what the
ledger rebuild maps the same payment and refund to, and the rebuild finds them through the source
payments registered with statistics."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from marketplace.payments import ledger, services
from marketplace.payments.models import Provider
from marketplace.payments.services import invoices, refunds
from marketplace.statistics import rebuild, registry
from marketplace.statistics.models import TransferEvent

pytestmark = pytest.mark.django_db
K = TransferEvent.Kind
FACT_FIELDS = ("institute_id", "enterprise_id", "amount", "currency", "listing_id", "subject", "data", "occurred_at")


@pytest.fixture
def paid_and_partly_refunded(invoice_mode, booking, buyer, facility_manager):
    payment = services.start_payment(booking, actor=buyer, provider=Provider.INVOICE)
    invoices.mark_invoice_paid(payment, actor=facility_manager, reference="bank 7")
    refunds.refund_payment(payment, amount=Decimal("10.00"), actor=facility_manager, reason="goodwill", key="one")
    payment.refresh_from_db()
    return payment


def test_payments_register_their_rebuild_sources_with_statistics():
    registered = [(s.kind, s.source_type) for s in registry.sources()]
    assert (K.PAYMENT_RECEIVED, "payments.payment") in registered
    assert (K.PAYMENT_REFUNDED, "payments.payment") in registered


def test_services_write_what_the_rebuild_maps_the_same_facts_to(paid_and_partly_refunded, booking):
    compared = set()
    for source in ledger.sources():
        written = {
            e.source_id: e for e in TransferEvent.objects.filter(kind=source.kind, source_type=source.source_type)
        }
        for row in source.queryset():
            rebuilt = source.build(row)
            fact = written[rebuilt.source_id]
            assert {f: getattr(fact, f) for f in FACT_FIELDS} == {f: getattr(rebuilt, f) for f in FACT_FIELDS}
            compared.add(source.kind)
    assert compared == {K.PAYMENT_RECEIVED, K.PAYMENT_REFUNDED}
    received = TransferEvent.objects.get(kind=K.PAYMENT_RECEIVED)
    # Filed under the booking paid for, and its instrument: a refund subtracts from the same subject.
    assert (received.subject, received.listing_id) == (f"equipment.booking:{booking.pk}", booking.instrument_id)
    assert TransferEvent.objects.get(kind=K.PAYMENT_REFUNDED).subject == received.subject


def test_rebuild_restores_lost_payment_facts_once(paid_and_partly_refunded):
    facts = {(e.kind, e.source_id) for e in TransferEvent.objects.filter(source_type="payments.payment")}
    TransferEvent.objects.filter(source_type="payments.payment").delete()  # a lost ledger
    rebuild.rebuild()
    rebuild.rebuild()
    assert {(e.kind, e.source_id) for e in TransferEvent.objects.filter(source_type="payments.payment")} == facts
    call_command("rebuild_ledger", "--check", "--no-progress", verbosity=0)
