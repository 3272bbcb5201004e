"""Inquiries: stages, forbidden transitions, who may move them, emails, recording the agreement."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ip_listings import services
from ip_listings.models import AgreementSource, AgreementStatus, InquiryStage, LicenceAgreement, Territory
from marketplace.statistics.models import TransferEvent

S = InquiryStage


@pytest.fixture
def inquiry(result, buyer, enterprise):
    offer = result.offers.get(field_of_use__slug="medical-devices")
    return services.open_inquiry(
        result=result, offer=offer, buyer=buyer, enterprise=enterprise, message="We make catheters."
    )


def test_opening_an_inquiry_records_it_and_emails_the_institutes_tto(
    result, buyer, enterprise, tto, other_tto, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = services.open_inquiry(result=result, buyer=buyer, enterprise=enterprise, message="Hello")
    assert inquiry.stage == S.NEW and inquiry.institute_id == result.institute_id
    assert [m.to for m in mailoutbox] == [[tto.email]]
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.INQUIRY_OPENED, enterprise=enterprise).count() == 1
    assert list(inquiry.stage_changes.values_list("from_stage", "to_stage")) == [("", S.NEW)]


def test_each_stage_change_is_recorded_with_who_and_emailed_to_both_sides(
    inquiry, tto, buyer, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.move_inquiry(inquiry, S.DISCUSSION, actor=tto, note="Call on Monday")
    change = inquiry.stage_changes.last()
    assert (change.from_stage, change.to_stage, change.actor, change.note) == (
        S.NEW,
        S.DISCUSSION,
        tto,
        "Call on Monday",
    )
    assert sorted(m.to[0] for m in mailoutbox) == sorted([tto.email, buyer.email])


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [
        ([], S.AGREED),
        ([], S.NDA_SIGNED),
        ([], S.TERMS_PROPOSED),
        ([S.DISCUSSION], S.AGREED),
        ([S.DISCUSSION], S.NEW),
        ([S.DISCUSSION, S.NDA_SIGNED], S.DISCUSSION),
        ([S.DISCUSSION, S.DECLINED], S.DISCUSSION),
        ([S.DISCUSSION, S.TERMS_PROPOSED, S.AGREED], S.TERMS_PROPOSED),
        ([], "bogus"),
    ],
)
def test_forbidden_transitions_raise_a_clear_error_and_change_nothing(inquiry, tto, path, forbidden):
    for stage in path:
        services.move_inquiry(inquiry, stage, actor=tto)
    count = inquiry.stage_changes.count()
    with pytest.raises(services.InvalidTransitionError, match="cannot go from"):
        services.move_inquiry(inquiry, forbidden, actor=tto)
    inquiry.refresh_from_db()
    assert inquiry.stage == (path[-1] if path else S.NEW)
    assert inquiry.stage_changes.count() == count


def test_the_full_path_to_agreed_is_allowed(inquiry, tto, buyer):
    services.move_inquiry(inquiry, S.DISCUSSION, actor=tto)
    services.move_inquiry(inquiry, S.NDA_SIGNED, actor=tto)
    services.move_inquiry(inquiry, S.TERMS_PROPOSED, actor=tto)
    services.move_inquiry(inquiry, S.AGREED, actor=buyer)
    inquiry.refresh_from_db()
    assert inquiry.stage == S.AGREED


def test_the_enterprise_may_accept_or_decline_but_not_run_the_tto_stages(inquiry, buyer, tto):
    with pytest.raises(PermissionDenied):
        services.move_inquiry(inquiry, S.DISCUSSION, actor=buyer)
    services.move_inquiry(inquiry, S.DISCUSSION, actor=tto)
    with pytest.raises(PermissionDenied):
        services.move_inquiry(inquiry, S.NDA_SIGNED, actor=buyer)
    services.move_inquiry(inquiry, S.DECLINED, actor=buyer)
    inquiry.refresh_from_db()
    assert inquiry.stage == S.DECLINED


@pytest.mark.parametrize("who", ["other_tto", "other_buyer", "researcher"])
def test_outsiders_can_neither_move_nor_write(request, inquiry, who):
    outsider = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.move_inquiry(inquiry, S.DISCUSSION, actor=outsider)
    with pytest.raises(PermissionDenied):
        services.post_message(inquiry, author=outsider, body="hi")


def test_messages_go_to_the_other_side(inquiry, tto, buyer, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(inquiry, author=tto, body="Please sign the NDA.")
    assert [m.to for m in mailoutbox] == [[buyer.email]]
    assert inquiry.messages.last().from_institute


def _to_agreed(inquiry, tto):
    for stage in (S.DISCUSSION, S.TERMS_PROPOSED, S.AGREED):
        services.move_inquiry(inquiry, stage, actor=tto)


def test_tto_records_the_negotiated_agreement_as_active_and_the_ledger_counts_it(inquiry, tto, enterprise):
    _to_agreed(inquiry, tto)
    agreement = services.record_agreement(
        inquiry,
        actor=tto,
        mode="exclusive",
        field_of_use=inquiry.offer.field_of_use,
        territory=Territory.CHINA_MAINLAND,
        starts_on=timezone.localdate(),
        term_months=120,
        value=Decimal("800000.00"),
        royalty_percent=Decimal("4.5"),
    )
    assert agreement.status == AgreementStatus.ACTIVE and agreement.source == AgreementSource.NEGOTIATED
    assert agreement.enterprise == enterprise and agreement.inquiry == inquiry
    event = TransferEvent.objects.get(kind=TransferEvent.Kind.AGREEMENT_SIGNED)
    assert event.amount == Decimal("800000.00") and event.deal_mode == "exclusive"
    with pytest.raises(ValidationError, match="already recorded"):
        services.record_agreement(
            inquiry, actor=tto, mode="exclusive", territory="cn", starts_on=timezone.localdate(), value=1
        )
    with pytest.raises(services.InvalidTransitionError):
        services.move_inquiry(inquiry, S.DECLINED, actor=tto)


def test_an_agreement_is_recorded_only_for_an_agreed_inquiry_and_only_by_its_tto(inquiry, tto, other_tto):
    kwargs = {"mode": "exclusive", "territory": "cn", "starts_on": timezone.localdate(), "value": Decimal("1.00")}
    with pytest.raises(ValidationError, match="Agreed"):
        services.record_agreement(inquiry, actor=tto, **kwargs)
    _to_agreed(inquiry, tto)
    with pytest.raises(PermissionDenied):
        services.record_agreement(inquiry, actor=other_tto, **kwargs)
    assert not LicenceAgreement.objects.exists()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"value": Decimal("-1.00")}, "value"),
        ({"royalty_percent": Decimal("100.01")}, "royalty_percent"),
        ({"royalty_percent": Decimal("-0.01")}, "royalty_percent"),
        ({"upfront_fee": Decimal("-5")}, "upfront_fee"),
        ({"term_months": 0}, "term_months"),
        ({"mode": "rental"}, "mode"),
        ({"territory": "mars"}, "territory"),
    ],
)
def test_bad_agreement_terms_are_refused_with_a_message_and_change_nothing(inquiry, tto, override, field):
    _to_agreed(inquiry, tto)
    kwargs = {"mode": "exclusive", "territory": "cn", "starts_on": timezone.localdate(), "value": Decimal("10.00")}
    kwargs.update(override)
    with pytest.raises(ValidationError) as error:
        services.record_agreement(inquiry, actor=tto, **kwargs)
    assert field in error.value.message_dict
    assert not LicenceAgreement.objects.exists()
