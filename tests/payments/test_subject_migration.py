"""The move from two foreign keys (booking, agreement) to a generic subject keeps every payment's subject,
forwards and backwards (payments migrations 0004–0006)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from marketplace.payments import services
from marketplace.payments.models import Payment

BEFORE = [("payments", "0003_outbox_and_iso_currencies")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_payments_keep_their_booking_or_agreement_across_the_subject_migration(
    invoice_mode, booking, express_agreement, buyer
):
    for_booking = services.start_payment(booking, actor=buyer)
    for_agreement = services.start_payment(express_agreement, actor=buyer)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("payments")

    _migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, booking_id, agreement_id FROM payments_payment ORDER BY id")
        old = cursor.fetchall()
    assert old == [(for_booking.pk, booking.pk, None), (for_agreement.pk, None, express_agreement.pk)]

    _migrate(latest)
    assert list(Payment.objects.order_by("pk").values_list("pk", "subject_kind", "subject_id")) == [
        (for_booking.pk, "booking", booking.pk),
        (for_agreement.pk, "agreement", express_agreement.pk),
    ]
