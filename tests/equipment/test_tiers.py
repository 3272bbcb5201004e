"""Internal and academic users: who books for which organisation at which tier, the internal charge,
the database check, the statement section and the figures (issue 13, point 2)."""

from datetime import timedelta
from decimal import Decimal
from itertools import combinations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from equipment import selectors, services
from equipment.charges import statement_section
from equipment.models import Booking, BookingStatus, RateTier
from equipment.rates import price_for, tier_for, tier_rate
from marketplace.accounts.models import Role
from marketplace.accounts.services import add_membership
from marketplace.payments.payables import get_payable
from marketplace.statistics.models import TransferEvent
from marketplace.statistics.periods import Period
from marketplace.statistics.selectors import enterprises_served, ledger_totals
from tests.equipment.conftest import make_instrument, slot
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db

K = TransferEvent.Kind


# --- the tier decision: every membership combination ------------------------------------------------


def test_tier_follows_the_organisation_for_every_membership_combination(
    instrument, institute, other_institute, enterprise
):
    """Each subset of these seven memberships (none included) gives exactly the organisations the rule
    allows, each at the tier its kind and the instrument decide."""
    possible = [
        (institute, Role.RESEARCHER),
        (institute, Role.FACILITY_MANAGER),
        (institute, Role.TTO_OFFICER),
        (other_institute, Role.RESEARCHER),
        (other_institute, Role.FACILITY_MANAGER),
        (other_institute, Role.TTO_OFFICER),
        (enterprise, Role.BUYER),
    ]
    seen = 0
    for size in range(len(possible) + 1):
        for chosen in combinations(possible, size):
            user = UserFactory()
            for organization, role in chosen:
                add_membership(user, organization, role)
            expected = set()
            for organization, role in chosen:
                if organization == enterprise:
                    expected.add((organization.pk, RateTier.ENTERPRISE))
                elif organization == institute and role in (Role.RESEARCHER, Role.FACILITY_MANAGER):
                    expected.add((organization.pk, RateTier.INTERNAL))
                elif organization == other_institute and role == Role.RESEARCHER:
                    expected.add((organization.pk, RateTier.ACADEMIC))
            got = {(org.pk, tier_for(org, instrument)) for org in selectors.booking_organizations(user, instrument)}
            assert got == expected, chosen
            seen += 1
    assert seen == 2 ** len(possible)


def test_anonymous_and_memberless_users_book_for_nobody(instrument):
    assert not selectors.booking_organizations(AnonymousUser(), instrument).exists()
    assert not selectors.booking_organizations(UserFactory(), instrument).exists()


def test_an_inactive_organisation_is_no_choice(instrument, institute, researcher):
    institute.is_active = False
    institute.save()
    assert not selectors.booking_organizations(researcher, instrument).exists()


def test_the_same_researcher_books_internal_here_and_academic_elsewhere(
    instrument, other_instrument, researcher, institute
):
    assert [tier_for(o, instrument) for o in selectors.booking_organizations(researcher, instrument)] == ["internal"]
    assert [tier_for(o, other_instrument) for o in selectors.booking_organizations(researcher, other_instrument)] == [
        "academic"
    ]


# --- booking at each tier ------------------------------------------------------------------------------


def _book(instrument, user, organization, *, code="PRJ-2026-01", when=None, **kwargs):
    start, end = when or slot()
    return services.request_booking(
        instrument=instrument, user=user, organization=organization, start=start, end=end, charge_code=code, **kwargs
    )


def test_a_researcher_books_at_the_internal_tier_with_a_project_code(instrument, researcher, institute):
    booking = _book(instrument, researcher, institute, code=" CC-4711/a ")
    assert booking.tier == RateTier.INTERNAL
    assert booking.organization == institute and booking.enterprise is None
    assert booking.charge_code == "CC-4711/a"
    assert booking.hourly_rate == tier_rate(instrument, RateTier.INTERNAL)
    assert booking.subsidy_percent == instrument.internal_subsidy_percent
    assert booking.price_amount == price_for(booking.hourly_rate, Decimal("1.00"))
    assert booking.status == BookingStatus.REQUESTED


def test_a_facility_manager_books_at_the_internal_tier(instrument, facility_manager, institute):
    assert _book(instrument, facility_manager, institute).tier == RateTier.INTERNAL


def test_a_researcher_of_another_institute_books_at_the_academic_tier(instrument, other_researcher, other_institute):
    booking = _book(instrument, other_researcher, other_institute)
    assert booking.tier == RateTier.ACADEMIC
    assert booking.organization == other_institute and booking.enterprise is None
    assert booking.hourly_rate == tier_rate(instrument, RateTier.ACADEMIC)


def test_tiers_differ_only_by_the_documented_subsidy(
    institute, researcher, other_researcher, other_institute, buyer, enterprise
):
    instrument = make_instrument(
        institute,
        internal_subsidy_percent=Decimal("50"),
        academic_subsidy_percent=Decimal("20"),
        subsidy_basis="院内共享基金",
    )
    internal = _book(instrument, researcher, institute, when=slot(hour=9))
    academic = _book(instrument, other_researcher, other_institute, when=slot(hour=11))
    by_enterprise = _book(instrument, buyer, enterprise, when=slot(hour=13))
    assert by_enterprise.hourly_rate == Decimal("357.75")
    assert internal.hourly_rate == Decimal("178.88")  # 357.75 × 50 %, rounded once, half up
    assert academic.hourly_rate == Decimal("286.20")
    assert by_enterprise.charge_code == "" and by_enterprise.enterprise == enterprise


def test_a_researcher_cannot_book_another_institutes_internal_tier(instrument, other_researcher, institute):
    with pytest.raises(PermissionDenied):
        _book(instrument, other_researcher, institute)
    assert not Booking.objects.exists()


def test_a_researcher_cannot_book_for_an_institute_they_do_not_belong_to(other_instrument, researcher, other_institute):
    with pytest.raises(PermissionDenied):
        _book(other_instrument, researcher, other_institute)


def test_a_tto_officer_alone_cannot_book(instrument, tto, institute):
    with pytest.raises(PermissionDenied):
        _book(instrument, tto, institute)


def test_a_researcher_cannot_book_for_an_enterprise(instrument, researcher, enterprise):
    with pytest.raises(PermissionDenied):
        _book(instrument, researcher, enterprise)


def test_nobody_chooses_a_tier(instrument, researcher, institute):
    with pytest.raises(TypeError):
        _book(instrument, researcher, institute, tier=RateTier.ENTERPRISE)


@pytest.mark.parametrize("code", ["", "   ", "x" * 65, "项目一", "A B", "a;b", "<script>"])
def test_an_institute_user_must_give_a_sound_charge_code(instrument, researcher, institute, code):
    with pytest.raises(ValidationError) as error:
        _book(instrument, researcher, institute, code=code)
    assert "charge_code" in error.value.message_dict
    assert not Booking.objects.exists()


def test_an_enterprise_booking_keeps_no_charge_code(book):
    assert book(*slot(), charge_code="IGNORED").charge_code == ""


def test_one_researchers_open_requests_do_not_block_a_colleague(settings, instrument, researcher, institute):
    settings.BOOKING_MAX_OPEN_REQUESTS_PER_INSTRUMENT = 1
    colleague = make_member(institute, Role.RESEARCHER)
    _book(instrument, researcher, institute, when=slot(hour=9))
    with pytest.raises(ValidationError, match="open request"):
        _book(instrument, researcher, institute, when=slot(hour=11))
    _book(instrument, colleague, institute, when=slot(hour=13))


# --- internal charge: confirmed on approval, never paid -------------------------------------------------


def test_approval_confirms_an_internal_booking_at_once(instrument, researcher, institute, facility_manager, mailoutbox):
    booking = _book(instrument, researcher, institute)
    services.approve_booking(booking, actor=facility_manager)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert [t.to_status for t in booking.transitions.all()] == ["requested", "approved", "confirmed"]
    assert booking.confirmation_reference == "PRJ-2026-01"
    fact = TransferEvent.objects.get(kind=K.BOOKING_CONFIRMED)
    assert fact.enterprise_id is None and fact.data["tier"] == "internal" and fact.institute_id == institute.pk
    assert not get_payable("booking").can_be_paid(booking)


def test_auto_approval_confirms_an_academic_booking_at_once(institute, other_researcher, other_institute):
    instrument = make_instrument(institute, auto_approve=True)
    booking = _book(instrument, other_researcher, other_institute)
    assert booking.status == BookingStatus.CONFIRMED
    assert [t.to_status for t in booking.transitions.all()] == ["requested", "approved", "confirmed"]


def test_an_enterprise_booking_still_waits_for_payment(book, facility_manager):
    booking = services.approve_booking(book(*slot()), actor=facility_manager)
    assert booking.status == BookingStatus.APPROVED
    assert get_payable("booking").can_be_paid(booking)
    services.confirm_booking(booking, actor=facility_manager, reference="INV-9")
    fact = TransferEvent.objects.get(kind=K.BOOKING_CONFIRMED)
    assert fact.enterprise_id == booking.enterprise_id and fact.data["tier"] == "enterprise"


def test_the_booker_and_only_the_booker_cancels_an_internal_booking(instrument, researcher, institute):
    booking = _book(instrument, researcher, institute)
    colleague = make_member(institute, Role.RESEARCHER)
    with pytest.raises(PermissionDenied):
        services.cancel_booking(booking, actor=colleague)
    assert services.cancel_booking(booking, actor=researcher).status == BookingStatus.CANCELLED


def test_a_confirmed_internal_booking_is_cancelled_without_refund(instrument, researcher, institute, facility_manager):
    booking = _book(instrument, researcher, institute)
    services.approve_booking(booking, actor=facility_manager)
    assert services.cancel_booking(booking, actor=researcher).status == BookingStatus.CANCELLED


# --- the database keeps tier and organisation consistent ----------------------------------------------


def _row(instrument, user, organization, **fields):
    values = {
        "instrument": instrument,
        "institute_id": instrument.institute_id,
        "organization": organization,
        "user": user,
        "start": slot()[0],
        "end": slot()[1],
        "tier": RateTier.INTERNAL,
        "hourly_rate": Decimal("1"),
        "hours": Decimal("1"),
        "price_amount": Decimal("1"),
        "charge_code": "P-1",
    }
    values.update(fields)
    return Booking(**values)


@pytest.mark.parametrize(
    "case",
    [
        "enterprise tier for an institute",
        "internal tier for another institute",
        "academic tier for the own institute",
        "internal tier without a code",
        "academic tier without a code",
        "internal tier with an enterprise",
        "enterprise tier booked for another organisation than its enterprise",
    ],
)
def test_the_database_refuses_a_tier_that_does_not_follow_the_organisation(
    case, instrument, researcher, institute, other_institute, enterprise
):
    fields = {
        "enterprise tier for an institute": {"tier": RateTier.ENTERPRISE},
        "internal tier for another institute": {"organization": other_institute},
        "academic tier for the own institute": {"tier": RateTier.ACADEMIC},
        "internal tier without a code": {"charge_code": ""},
        "academic tier without a code": {"tier": RateTier.ACADEMIC, "organization": other_institute, "charge_code": ""},
        "internal tier with an enterprise": {"enterprise": enterprise},
        "enterprise tier booked for another organisation than its enterprise": {
            "tier": RateTier.ENTERPRISE,
            "enterprise": enterprise,
            "charge_code": "",
        },
    }[case]
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(instrument, researcher, fields.pop("organization", institute), **fields).save()


def test_the_database_accepts_each_consistent_tier(instrument, researcher, institute, other_institute, enterprise):
    _row(instrument, researcher, institute).save()
    _row(
        instrument, researcher, other_institute, tier=RateTier.ACADEMIC, start=slot(hour=12)[0], end=slot(hour=12)[1]
    ).save()
    _row(
        instrument,
        researcher,
        enterprise,
        enterprise=enterprise,
        tier=RateTier.ENTERPRISE,
        charge_code="",
        start=slot(hour=14)[0],
        end=slot(hour=14)[1],
    ).save()
    assert Booking.objects.count() == 3


# --- used: on the statement and in the figures ---------------------------------------------------------


def _used(instrument, user, organization, facility_manager, *, hour, code="PRJ-7"):
    start, end = slot(days_ahead=-1, hour=hour)
    booking = _book(instrument, user, organization, code=code, when=(start, end), now=start - timedelta(days=2))
    services.approve_booking(booking, actor=facility_manager)
    services.complete_booking(booking, actor=facility_manager, hours="1")
    booking.refresh_from_db()
    return booking


@pytest.fixture
def used_by_everyone(instrument, researcher, institute, other_researcher, other_institute, buyer, enterprise,
                     facility_manager):  # fmt: skip
    internal = _used(instrument, researcher, institute, facility_manager, hour=9, code="CC-INT")
    academic = _used(instrument, other_researcher, other_institute, facility_manager, hour=11, code="CC-ACA")
    start, end = slot(days_ahead=-1, hour=13)
    by_enterprise = services.request_booking(
        instrument=instrument, user=buyer, enterprise=enterprise, start=start, end=end, now=start - timedelta(days=2)
    )
    services.approve_booking(by_enterprise, actor=facility_manager)
    services.confirm_booking(by_enterprise, actor=facility_manager, reference="INV-1")
    services.complete_booking(by_enterprise, actor=facility_manager, hours="2")
    return internal, academic, by_enterprise


def test_the_statement_lists_internal_charges_as_their_own_section(used_by_everyone, institute):
    internal, academic, by_enterprise = used_by_everyone
    today = timezone.localdate()
    section = statement_section(institute, today - timedelta(days=1), today + timedelta(days=1))
    codes = [row[6] for row in section.rows]
    assert codes == ["CC-INT", "CC-ACA"]
    assert [(label, amount) for label, amount, _c in section.totals] == [
        ("Academic use (other institutes)", academic.price_amount),
        ("Internal use (own institute)", internal.price_amount),
    ]
    assert statement_section(institute, today + timedelta(days=1), today + timedelta(days=2)) is None


def test_the_statement_page_and_csv_show_the_internal_charges(client, used_by_everyone, facility_manager, institute):
    client.force_login(facility_manager)
    html = client.get(f"/payments/statements/{institute.pk}/").content.decode()
    assert "Internal charges" in html and "CC-INT" in html and "CC-ACA" in html
    csv = client.get(f"/payments/statements/{institute.pk}/?format=csv").content.decode()
    assert "CC-INT" in csv and "Internal charges" in csv


def test_figures_count_everyone_and_keep_enterprise_use_apart(used_by_everyone, institute, enterprise):
    period = Period.between(timezone.localdate() - timedelta(days=3), timezone.localdate())
    totals = ledger_totals([institute.pk], period)
    assert totals["bookings"] == 3
    assert totals["used_hours"] == Decimal("4.00")
    assert totals["enterprise_used_hours"] == Decimal("2.00")
    assert totals["internal_used_hours"] == Decimal("1.00")
    assert totals["academic_used_hours"] == Decimal("1.00")
    internal, academic, by_enterprise = used_by_everyone
    assert totals["instrument_income"] == internal.price_amount + academic.price_amount + by_enterprise.price_amount
    served = {row["key"]: row["count"] for row in enterprises_served([institute.pk], period)}
    assert sum(served.values()) == 1


# --- pages ----------------------------------------------------------------------------------------------


def test_the_booking_form_asks_an_institute_user_for_a_code_and_never_for_a_tier(client, instrument, researcher):
    client.force_login(researcher)
    html = client.get(f"/equipment/book/{instrument.pk}/").content.decode()
    assert 'name="charge_code"' in html
    assert 'name="tier"' not in html
    assert "Internal (own institute)" in html


def test_a_researcher_books_through_the_form_and_a_posted_tier_is_ignored(client, instrument, researcher, institute):
    client.force_login(researcher)
    start, end = slot()
    response = client.post(
        f"/equipment/book/{instrument.pk}/",
        {
            "date": start.date().isoformat(),
            "start_time": "09:00",
            "end_time": "10:00",
            "charge_code": "PRJ-42",
            "tier": "enterprise",
            "enterprise": str(institute.pk),
        },
    )
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert booking.tier == RateTier.INTERNAL and booking.charge_code == "PRJ-42"
    detail = client.get(f"/equipment/bookings/{booking.pk}/").content.decode()
    assert "PRJ-42" in detail and "Pay" not in detail.split("History")[0].replace("Payment", "")


def test_the_form_refuses_a_missing_code(client, instrument, researcher):
    client.force_login(researcher)
    start, _end = slot()
    response = client.post(
        f"/equipment/book/{instrument.pk}/",
        {"date": start.date().isoformat(), "start_time": "09:00", "end_time": "10:00"},
    )
    assert response.status_code == 400
    assert "project or cost-centre code" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_person_with_several_memberships_chooses_whom_to_book_for(client, instrument, researcher, enterprise):
    add_membership(researcher, enterprise, Role.BUYER)
    client.force_login(researcher)
    html = client.get(f"/equipment/book/{instrument.pk}/").content.decode()
    assert f'value="{enterprise.pk}"' in html and f'value="{instrument.institute_id}"' in html
    start, _end = slot()
    client.post(
        f"/equipment/book/{instrument.pk}/",
        {"date": start.date().isoformat(), "start_time": "09:00", "end_time": "10:00", "enterprise": enterprise.pk},
    )
    booking = Booking.objects.get()
    assert booking.tier == RateTier.ENTERPRISE and booking.enterprise == enterprise


def test_a_researcher_cannot_open_another_researchers_booking_nor_pay_it(client, instrument, researcher, institute):
    booking = _book(instrument, researcher, institute)
    colleague = make_member(institute, Role.RESEARCHER)
    client.force_login(colleague)
    assert client.get(f"/equipment/bookings/{booking.pk}/").status_code == 404
    client.force_login(researcher)
    assert client.get(f"/equipment/bookings/{booking.pk}/").status_code == 200
    assert client.get(f"/payments/booking/{booking.pk}/").status_code == 404


def test_the_manager_sees_the_internal_booking_and_its_code(
    client, instrument, researcher, institute, facility_manager
):
    booking = _book(instrument, researcher, institute)
    client.force_login(facility_manager)
    html = client.get("/equipment/manage/").content.decode()
    assert "PRJ-2026-01" in html and institute.name_en in html
    page = client.get(f"/equipment/manage/bookings/{booking.pk}/").content.decode()
    assert "Internal charge" in page
