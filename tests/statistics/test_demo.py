"""On the demo data, the dashboard of a demo institute matches a hand count from the domain tables."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from equipment.models import Booking, UsageRecord
from marketplace.accounts.models import Organization, User
from marketplace.statistics import rebuild
from marketplace.statistics.models import TransferEvent
from marketplace.statistics.periods import Period
from marketplace.statistics.selectors import dashboards, figures

pytestmark = pytest.mark.django_db
EVER = Period(dt.date(2000, 1, 1), dt.date(2100, 1, 1))


def test_demo_institute_figures_match_the_domain_tables(client):
    call_command("seed_demo", "--no-progress", verbosity=0)
    east = Organization.objects.get(slug="east-materials")
    completed = Booking.objects.filter(institute=east, status="completed")
    assert completed.exists(), "the demo seeds completed bookings"
    # Counted straight from the domain tables, not from the ledger.
    expected_bookings = completed.count()
    expected_booked = completed.aggregate(h=Sum("hours"))["h"]
    expected_used = UsageRecord.objects.filter(booking__institute=east).aggregate(h=Sum("hours"))["h"]
    expected_income = completed.aggregate(a=Sum("price_amount"))["a"]
    # Enterprises served count enterprise bookings only (institute users' bookings have no enterprise).
    expected_enterprises = completed.filter(enterprise__isnull=False).values("enterprise").distinct().count()

    shown = dashboards.dashboard([east.pk], EVER)
    totals = shown["totals"]
    assert totals["bookings"] == expected_bookings
    assert totals["booked_hours"] == expected_booked
    assert totals["used_hours"] == expected_used
    assert totals["booking_income"] == expected_income
    assert shown["instrument_totals"]["bookings"] == expected_bookings
    assert shown["instrument_totals"]["income"] == expected_income - totals["booking_refunds"]
    assert shown["enterprises_total"] >= expected_enterprises
    # Cancelled bookings of the demo never count.
    cancelled = Booking.objects.filter(institute=east, status="cancelled").aggregate(h=Sum("hours"))["h"]
    assert cancelled is None or totals["booked_hours"] == expected_booked != expected_booked + cancelled
    # The ledger the domain services wrote already agrees with the domain tables, and rebuilding it
    # from them changes nothing.
    call_command("rebuild_ledger", "--check", "--no-progress", verbosity=0)
    call_command("rebuild_ledger", "--no-progress", verbosity=0)
    call_command("rebuild_ledger", "--check", "--no-progress", verbosity=0)
    assert figures.ledger_totals([east.pk], EVER)["booked_hours"] == expected_booked
    assert Decimal(totals["booked_hours"]) > 0
    # Institute users book beside enterprises; their use counts in the totals and apart from enterprise use.
    assert Booking.objects.filter(tier="internal").exists() and Booking.objects.filter(tier="academic").exists()
    used = UsageRecord.objects.filter(booking__institute=east)
    for tier, key in (("internal", "internal_used_hours"), ("academic", "academic_used_hours")):
        assert totals[key] == (used.filter(booking__tier=tier).aggregate(h=Sum("hours"))["h"] or 0)
    assert (
        totals["enterprise_used_hours"] == used.filter(booking__enterprise__isnull=False).aggregate(h=Sum("hours"))["h"]
    )


def test_demo_tto_sees_the_dashboard_and_exports_the_annual_xlsx(client):
    call_command("seed_demo", "--no-progress", verbosity=0)

    tto = User.objects.get(email="tto@east.example.com")
    client.force_login(tto)
    response = client.get("/admin/transfer-statistics/")
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    export = client.get("/admin/transfer-statistics/export/annual.xlsx")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


FACT_FIELDS = ("institute_id", "enterprise_id", "amount", "currency", "hours", "jobs", "listing_id", "subject", "data")


def test_demo_ledger_rows_are_what_the_rebuild_maps_the_same_facts_to():
    """Demo seeding, services and rebuild share one mapping per fact: every booking, usage and research
    fact the demo seeded is in the ledger exactly as the rebuild would write it (its time aside)."""
    call_command("seed_demo", "--no-progress", verbosity=0)
    compared = set()
    for source in rebuild.all_sources():
        if source.skip:
            continue
        rows = {
            event.source_id: event
            for event in TransferEvent.objects.filter(kind=source.kind, source_type=source.source_type)
        }
        for row in source.queryset():
            rebuilt = source.build(row)
            written = rows[rebuilt.source_id]
            assert {f: getattr(written, f) for f in FACT_FIELDS} == {f: getattr(rebuilt, f) for f in FACT_FIELDS}, (
                source.kind,
                rebuilt.source_id,
            )
            compared.add(source.kind)
    assert {"booking_confirmed", "booking_completed", "usage_recorded", "agreement_signed"} <= compared
