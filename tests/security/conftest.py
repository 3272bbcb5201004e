"""One world for the security tests: institutes X and Y, enterprises A and B, a person in every role of
each, platform staff, and in each institute/enterprise pair one of every owned object, made through the
apps' services. It is built once per test module inside a transaction that is rolled back at the end;
each test runs in a savepoint of it, so a test that changes data leaves the world as it was."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from equipment import services as equipment_services
from equipment.models import Booking, BookingMode
from ip_listings import services as ip_services
from ip_listings.models import DealMode, InquiryStage, Territory
from marketplace.accounts import services as account_services
from marketplace.accounts.models import Role
from marketplace.payments import services as payment_services
from marketplace.payments.models import Provider
from tests.equipment.conftest import make_instrument, slot
from tests.factories import EnterpriseFactory, UserFactory, make_institute, make_member
from tests.ip_listings.conftest import make_result, offer

ROLES = (
    "anon",
    "buyer_a",
    "buyer_b",
    "researcher_x",
    "manager_x",
    "tto_x",
    "researcher_y",
    "manager_y",
    "tto_y",
    "staff",
)
# Roles that are not a party to anything X (institute) and A (enterprise) own or share.
OUTSIDERS = ("anon", "buyer_b", "researcher_y", "manager_y", "tto_y")


def _side(tag, institute_names, enterprise_names, days_ahead):
    """One institute and one enterprise, their people, and one of every object they own or share.

    Texts typed by people carry `secret-<tag>` so a test can prove they never reach an outsider."""
    institute = make_institute(*institute_names, slug=f"institute-{tag.lower()}")
    enterprise = EnterpriseFactory(
        name=enterprise_names[0], name_en=enterprise_names[1], slug=f"enterprise-{tag.lower()}"
    )
    people = SimpleNamespace(
        researcher=make_member(institute, Role.RESEARCHER, username=f"researcher-{tag}@inst.test"),
        manager=make_member(institute, Role.FACILITY_MANAGER, username=f"manager-{tag}@inst.test"),
        tto=make_member(institute, Role.TTO_OFFICER, username=f"tto-{tag}@inst.test"),
        buyer=make_member(enterprise, Role.BUYER, username=f"buyer-{tag}@ent.test"),
    )
    secret = f"secret-{tag}"
    instrument = make_instrument(institute, title=f"仪器 {tag}", title_en=f"Instrument {tag}")
    draft_instrument = make_instrument(institute, title=f"草稿仪器 {secret}", title_en=f"Draft instrument {secret}")
    draft_instrument.unpublish()

    def booking(hour, *, approve=False):
        start, end = slot(days_ahead=days_ahead, hour=hour)
        made = equipment_services.request_booking(
            instrument=instrument,
            user=people.buyer,
            enterprise=enterprise,
            start=start,
            end=end,
            purpose=f"Purpose {secret}-booking-{hour}",
        )
        if approve:
            equipment_services.approve_booking(made, actor=people.manager)
        made.refresh_from_db()
        return made

    booking_requested = booking(9)
    booking_approved = booking(11, approve=True)
    booking_invoiced = booking(14, approve=True)
    payment = payment_services.start_payment(booking_invoiced, actor=people.buyer, provider=Provider.INVOICE)
    booking_confirmed = booking(16, approve=True)
    booking_confirmed = equipment_services.confirm_booking(booking_confirmed, actor=people.manager, reference="PO-1")
    start, end = slot(days_ahead=days_ahead, hour=18)
    booking_internal = equipment_services.request_booking(
        instrument=instrument,
        user=people.researcher,
        organization=institute,
        start=start,
        end=end,
        purpose=f"Purpose {secret}-internal",
        charge_code=f"CC-{tag}",
    )
    qualification = equipment_services.grant_qualification(
        instrument,
        people.buyer,
        actor=people.manager,
        valid_until=timezone.localdate() + timedelta(days=365),
        note=f"Qualification {secret}",
    )
    blackout_start = timezone.now().replace(microsecond=0) + timedelta(days=30)
    blackout = equipment_services.add_blackout(
        instrument,
        actor=people.manager,
        start=blackout_start,
        end=blackout_start + timedelta(hours=4),
        note=f"Blackout {secret}",
    )
    calendar_token = equipment_services.reset_calendar_token(people.buyer)
    # Training and waitlist: a self-service instrument with the buyer's training request; the buyer waits
    # for the taken slot of the requested booking.
    self_service = make_instrument(
        institute,
        title=f"自助仪器 {tag}",
        title_en=f"Self-service instrument {tag}",
        booking_mode=BookingMode.SELF_SERVICE,
    )
    # A resource booked by access period with seats (equipment/units.py).
    access_resource = make_instrument(
        institute, title=f"数据集 {tag}", title_en=f"Data set {tag}", booking_unit="access", seats=8
    )
    training_request = equipment_services.request_training(
        instrument=self_service,
        user=people.buyer,
        enterprise=enterprise,
        preferred_dates=f"Dates {secret}",
        note=f"Training {secret}",
    )
    # Usage as it happens: on the self-service instrument, a confirmed booking of the buyer under way now
    # (check-in open) and one that was checked in and has ended (check-out still open); on the
    # operator-run instrument, a confirmed booking under way now.
    equipment_services.grant_qualification(
        self_service, people.buyer, actor=people.manager, valid_until=timezone.localdate() + timedelta(days=365)
    )

    def under_way(target, hour, start, minutes, *, checked_in=False):
        ok_start, ok_end = slot(days_ahead=days_ahead + 1, hour=hour)
        made = equipment_services.request_booking(
            instrument=target,
            user=people.buyer,
            enterprise=enterprise,
            start=ok_start,
            end=ok_end,
            purpose=f"Purpose {secret}-use-{hour}",
        )
        equipment_services.approve_booking(made, actor=people.manager)
        equipment_services.confirm_booking(made, actor=people.manager, reference="PO-2")
        fields = {"start": start, "end": start + timedelta(minutes=minutes)}
        if checked_in:
            fields.update(checked_in_at=start, checked_in_by=people.buyer)
        Booking.objects.filter(pk=made.pk).update(**fields)
        made.refresh_from_db()
        return made

    now = timezone.now().replace(microsecond=0)
    booking_now_self = under_way(self_service, 9, now - timedelta(minutes=10), 60)
    booking_checked_in = under_way(self_service, 11, now - timedelta(hours=3), 60, checked_in=True)
    booking_now_operated = under_way(instrument, 10, now - timedelta(minutes=10), 60)
    booking_overrun = under_way(self_service, 13, now - timedelta(hours=5), 60, checked_in=True)
    equipment_services.check_out(booking_overrun, actor=people.buyer, now=now - timedelta(hours=3))
    overrun = booking_overrun.overrun
    waitlist_entry = equipment_services.join_waitlist(
        instrument=instrument, user=people.buyer, start=booking_requested.start, end=booking_requested.end
    )

    result = make_result(
        institute,
        title=f"成果 {tag}",
        title_en=f"Result {tag}",
        offers=[
            offer(DealMode.NON_EXCLUSIVE, express=True, upfront_fee=Decimal("20000.00")),
            offer(DealMode.EXCLUSIVE, field_slug="medical-devices", territory=Territory.CHINA_MAINLAND),
        ],
    )
    express_offer, negotiated_offer = result.offers.order_by("sort_order", "pk")
    draft_result = make_result(
        institute,
        live=False,
        title=f"草稿 {secret}",
        title_en=f"Draft result {secret}",
        offers=[offer(DealMode.NON_EXCLUSIVE, express=True)],
    )
    inquiry = ip_services.open_inquiry(
        result=result,
        offer=negotiated_offer,
        buyer=people.buyer,
        enterprise=enterprise,
        subject=f"Subject {secret}",
        message=f"Message {secret}",
    )
    inquiry_agreed = ip_services.open_inquiry(
        result=result, buyer=people.buyer, enterprise=enterprise, message=f"Second message {secret}"
    )
    for stage in (InquiryStage.DISCUSSION, InquiryStage.TERMS_PROPOSED, InquiryStage.AGREED):
        ip_services.move_inquiry(inquiry_agreed, stage, actor=people.tto)
        inquiry_agreed.refresh_from_db()
    agreement_awaiting = ip_services.accept_express_offer(
        express_offer, buyer=people.buyer, enterprise=enterprise, accept_terms=True
    )
    agreement_active = ip_services.accept_express_offer(
        express_offer, buyer=people.buyer, enterprise=enterprise, accept_terms=True
    )
    ip_services.confirm_agreement_payment(agreement_active, actor=people.tto, reference=f"REF-{tag}")
    agreement_active.refresh_from_db()
    agreement_reportable = ip_services.accept_express_offer(
        express_offer, buyer=people.buyer, enterprise=enterprise, accept_terms=True
    )
    ip_services.confirm_agreement_payment(agreement_reportable, actor=people.tto)
    year, quarter = ip_services.quarter_of(timezone.localdate())
    impact = ip_services.report_impact(
        agreement_active,
        actor=people.buyer,
        year=year,
        quarter=quarter,
        jobs_created=3,
        note=f"Impact {secret}",
    )
    invitation = account_services.invite(
        inviter=people.tto, organization=institute, email=f"invitee-{tag}@inst.test", role=Role.RESEARCHER
    )
    return SimpleNamespace(
        tag=tag,
        institute=institute,
        enterprise=enterprise,
        people=people,
        instrument=instrument,
        draft_instrument=draft_instrument,
        booking_requested=booking_requested,
        booking_approved=booking_approved,
        booking_invoiced=booking_invoiced,
        booking_confirmed=booking_confirmed,
        booking_internal=booking_internal,
        booking_now_self=booking_now_self,
        booking_checked_in=booking_checked_in,
        booking_now_operated=booking_now_operated,
        overrun=overrun,
        payment=payment,
        qualification=qualification,
        blackout=blackout,
        calendar_token=calendar_token,
        self_service=self_service,
        access_resource=access_resource,
        training_request=training_request,
        waitlist_entry=waitlist_entry,
        result=result,
        express_offer=express_offer,
        negotiated_offer=negotiated_offer,
        draft_result=draft_result,
        inquiry=inquiry,
        inquiry_agreed=inquiry_agreed,
        agreement_awaiting=agreement_awaiting,
        agreement_active=agreement_active,
        agreement_reportable=agreement_reportable,
        impact=impact,
        invitation=invitation,
        # Texts only the parties may ever see.
        markers=[
            secret,
            enterprise_names[0],
            enterprise_names[1],
            people.buyer.email,
            people.researcher.email,
            invitation.email,
            agreement_active.number,
            payment.number,
        ],
    )


def build_world():
    x = _side("X", ("克桑材料研究院", "Xanthe Materials Institute"), ("艾克米阿尔法有限公司", "Acme Alpha Ltd"), 3)
    y = _side("Y", ("伊特比化学研究所", "Ytterby Chemistry Institute"), ("布拉沃贝塔有限公司", "Bravo Beta Ltd"), 4)
    staff = UserFactory(username="staff@platform.test", is_staff=True, is_superuser=True)
    users = {
        "anon": None,
        "buyer_a": x.people.buyer,
        "buyer_b": y.people.buyer,
        "researcher_x": x.people.researcher,
        "manager_x": x.people.manager,
        "tto_x": x.people.tto,
        "researcher_y": y.people.researcher,
        "manager_y": y.people.manager,
        "tto_y": y.people.tto,
        "staff": staff,
    }
    return SimpleNamespace(x=x, y=y, staff=staff, users=users)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, built once per module in a transaction rolled back after the module's last test."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_world()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
        cache.clear()


@pytest.fixture
def as_role(world, client):
    """as_role(role) → the test client signed in as that role's person (anonymous for "anon")."""

    def _as(role):
        client.logout()
        user = world.users[role]
        if user is not None:
            client.force_login(user)
        return client

    return _as
