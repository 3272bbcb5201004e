"""Small, known data sets for the transfer statistics: ledger rows written directly."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from cms.models import InstitutePage
from equipment.models import InstrumentPage
from marketplace.statistics.models import TransferEvent

K = TransferEvent.Kind
_ids = itertools.count(1)


def at(year, month, day, hour=0, minute=0, second=0):
    """An instant in the site time zone (Asia/Shanghai)."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=timezone.get_default_timezone())


def event(kind, institute, when, *, source_type="test.source", source_id=None, **fields):
    """One ledger row as a domain service would have written it."""
    return TransferEvent.objects.create(
        kind=kind,
        institute=institute,
        occurred_at=when,
        source_type=source_type,
        source_id=str(source_id if source_id is not None else next(_ids)),
        **fields,
    )


def make_instrument(institute, title="Electron microscope", *, published=None, **costs):
    """An instrument page under the institute's page, first published at `published`."""

    parent = InstitutePage.objects.get(organization=institute)
    defaults = {
        "purchase_price": Decimal("1000000"),
        "service_life_years": 10,
        "annual_maintenance": Decimal("50000"),
        "annual_staff_share": Decimal("50000"),
        "planned_hours_per_year": 1000,
        "consumables_per_hour": Decimal("10"),
        "utilities_per_hour": Decimal("5"),
        "operator_per_hour": Decimal("20"),
        "booking_mode": "self_service",
    }
    defaults.update(costs)
    page = parent.add_child(instance=InstrumentPage(title=title, title_en=title, **defaults))
    page.first_published_at = published or at(2020, 1, 1)
    page.save(update_fields=["first_published_at"])
    return page


@pytest.fixture
def instrument(institute):
    return make_instrument(institute)


@pytest.fixture
def other_instrument(other_institute):
    return make_instrument(other_institute, "Mass spectrometer")


@pytest.fixture
def known_year(institute, other_institute, enterprise, other_enterprise, instrument, other_instrument):
    """A known 2025 for `institute`, with rows just outside the year and another institute's rows.

    Hand count for `institute`, 2025:
    - agreements: assignment 100 000, exclusive 300 000, non-exclusive 50 000 + 25 000, equity 400 000,
      option 10 000 → 6 agreements, 885 000; licences and options executed 4
    - inquiries 3; impact reports 2 (jobs 7 + 5 = 12, one startup, revenue 2 000 000)
    - completed bookings 2 (4 h ¥2 000 + 6 h ¥3 000), usage 3.5 h + 6 h; a refund of ¥500 on the
      second booking → instrument income ¥4 500
    - payments: agreement payment ¥100 000 (kept), agreement payment ¥50 000 refunded in full,
      booking payment ¥3 000 → received ¥153 000, refunded ¥50 500, net ¥102 500; licence income
      ¥100 000; agreements paid (funnel) 1
    - enterprises served: `enterprise` (small, booking + agreement), `other_enterprise` (medium, agreement)
    """
    other_enterprise.size_class = "medium"
    other_enterprise.save(update_fields=["size_class"])
    a = institute
    agreement = {"source_type": "ip_listings.licenceagreement"}
    event(
        K.AGREEMENT_SIGNED,
        a,
        at(2025, 1, 1),
        deal_mode="assignment",
        amount=Decimal("100000"),
        enterprise=enterprise,
        **agreement,
        source_id=1,
    )
    event(
        K.AGREEMENT_SIGNED,
        a,
        at(2025, 3, 5),
        deal_mode="exclusive",
        amount=Decimal("300000"),
        enterprise=other_enterprise,
        **agreement,
        source_id=2,
    )
    event(
        K.AGREEMENT_SIGNED,
        a,
        at(2025, 4, 1),
        deal_mode="non_exclusive",
        amount=Decimal("50000"),
        **agreement,
        source_id=3,
    )
    event(
        K.AGREEMENT_SIGNED,
        a,
        at(2025, 6, 1),
        deal_mode="non_exclusive",
        amount=Decimal("25000"),
        **agreement,
        source_id=4,
    )
    event(K.AGREEMENT_SIGNED, a, at(2025, 7, 1), deal_mode="equity", amount=Decimal("400000"), **agreement, source_id=5)
    event(
        K.AGREEMENT_SIGNED,
        a,
        at(2025, 12, 31, 23, 59, 59),
        deal_mode="option",
        amount=Decimal("10000"),
        **agreement,
        source_id=6,
    )
    # Outside 2025: the end instant itself, and just before the start.
    event(
        K.AGREEMENT_SIGNED, a, at(2026, 1, 1), deal_mode="assignment", amount=Decimal("999"), **agreement, source_id=7
    )
    event(
        K.AGREEMENT_SIGNED,
        a,
        at(2024, 12, 31, 23, 59, 59),
        deal_mode="assignment",
        amount=Decimal("999"),
        **agreement,
        source_id=8,
    )
    for day in (2, 3, 4):
        event(K.INQUIRY_OPENED, a, at(2025, 2, day))
    event(K.IMPACT_REPORTED, a, at(2025, 9, 1), jobs=7, startup_formed=True, amount=Decimal("2000000"))
    event(K.IMPACT_REPORTED, a, at(2025, 10, 1), jobs=5)
    booking = {"source_type": "equipment.booking", "listing_id": instrument.pk}
    event(
        K.BOOKING_COMPLETED,
        a,
        at(2025, 5, 10),
        hours=Decimal("4"),
        amount=Decimal("2000"),
        enterprise=enterprise,
        subject="equipment.booking:101",
        source_id=101,
        **booking,
    )
    event(
        K.BOOKING_COMPLETED,
        a,
        at(2025, 5, 20),
        hours=Decimal("6"),
        amount=Decimal("3000"),
        enterprise=enterprise,
        subject="equipment.booking:102",
        source_id=102,
        **booking,
    )
    event(
        K.USAGE_RECORDED,
        a,
        at(2025, 5, 10),
        hours=Decimal("3.5"),
        listing_id=instrument.pk,
        subject="equipment.booking:101",
        source_type="equipment.usagerecord",
        source_id=1,
    )
    event(
        K.USAGE_RECORDED,
        a,
        at(2025, 5, 20),
        hours=Decimal("6"),
        listing_id=instrument.pk,
        subject="equipment.booking:102",
        source_type="equipment.usagerecord",
        source_id=2,
    )
    # A booking confirmed but later cancelled: never completed, so it never counts.
    event(
        K.BOOKING_CONFIRMED,
        a,
        at(2025, 6, 1),
        hours=Decimal("8"),
        amount=Decimal("4000"),
        enterprise=other_enterprise,
        subject="equipment.booking:103",
        source_id=103,
        **booking,
    )
    payment = {"source_type": "payments.payment"}
    event(
        K.PAYMENT_RECEIVED,
        a,
        at(2025, 3, 6),
        amount=Decimal("100000"),
        subject="ip_listings.licenceagreement:2",
        source_id=201,
        **payment,
    )
    event(
        K.PAYMENT_RECEIVED,
        a,
        at(2025, 4, 2),
        amount=Decimal("50000"),
        subject="ip_listings.licenceagreement:3",
        source_id=202,
        **payment,
    )
    event(
        K.PAYMENT_REFUNDED,
        a,
        at(2025, 4, 9),
        amount=Decimal("50000"),
        subject="ip_listings.licenceagreement:3",
        source_id=202,
        **payment,
    )
    event(
        K.PAYMENT_RECEIVED,
        a,
        at(2025, 5, 19),
        amount=Decimal("3000"),
        subject="equipment.booking:102",
        source_id=203,
        listing_id=instrument.pk,
        **payment,
    )
    event(
        K.PAYMENT_REFUNDED,
        a,
        at(2025, 5, 25),
        amount=Decimal("500"),
        subject="equipment.booking:102",
        source_id="203-r1",
        listing_id=instrument.pk,
        **payment,
    )
    # The other institute, same year: must never show in `institute`'s figures.
    b = other_institute
    event(
        K.AGREEMENT_SIGNED,
        b,
        at(2025, 5, 5),
        deal_mode="assignment",
        amount=Decimal("777777"),
        enterprise=other_enterprise,
        **agreement,
        source_id=50,
    )
    event(
        K.BOOKING_COMPLETED,
        b,
        at(2025, 5, 5),
        hours=Decimal("11"),
        amount=Decimal("1111"),
        enterprise=other_enterprise,
        listing_id=other_instrument.pk,
        subject="equipment.booking:150",
        source_id=150,
        source_type="equipment.booking",
    )
    event(K.IMPACT_REPORTED, b, at(2025, 5, 5), jobs=40, startup_formed=True)
    return a
