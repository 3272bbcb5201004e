"""The scope-conflict rule: field of use × territory × exclusivity."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ip_listings import scope, services
from ip_listings.models import AgreementStatus, DealMode, LicenceAgreement, Territory
from ip_listings.selectors import annotate_availability, offer_is_available

from .conftest import field, make_result, offer

EXCLUSIVE_TYPE = [DealMode.ASSIGNMENT, DealMode.EXCLUSIVE, DealMode.SOLE, DealMode.OPTION, DealMode.EQUITY]


class _S:
    def __init__(self, mode, field_id, territory):
        self.mode, self.field_of_use_id, self.territory = mode, field_id, territory


@pytest.mark.parametrize(
    ("a_field", "b_field", "a_terr", "b_terr", "overlap"),
    [
        (1, 1, "cn", "cn", True),
        (1, 2, "cn", "cn", False),
        (None, 2, "cn", "cn", True),
        (1, None, "cn", "cn", True),
        (1, 1, "cn", "europe", False),
        (1, 1, "worldwide", "europe", True),
        (1, 1, "cn", "worldwide", True),
        (None, None, "worldwide", "worldwide", True),
        (1, 2, "worldwide", "worldwide", False),
    ],
)
def test_scopes_overlap_on_same_or_all_fields_and_same_or_worldwide_territory(
    a_field, b_field, a_terr, b_terr, overlap
):
    a, b = _S(DealMode.EXCLUSIVE, a_field, a_terr), _S(DealMode.EXCLUSIVE, b_field, b_terr)
    assert scope.scopes_overlap(a, b) is overlap
    assert scope.scopes_overlap(b, a) is overlap


@pytest.mark.parametrize("granted", EXCLUSIVE_TYPE)
@pytest.mark.parametrize("offered", [*EXCLUSIVE_TYPE, DealMode.NON_EXCLUSIVE])
def test_an_exclusive_type_grant_blocks_every_overlapping_offer(granted, offered):
    assert scope.conflicts(_S(offered, 1, "cn"), _S(granted, 1, "cn"))
    assert not scope.conflicts(_S(offered, 2, "cn"), _S(granted, 1, "cn"))


def test_a_non_exclusive_grant_blocks_exclusive_type_offers_but_not_other_non_exclusive_ones():
    granted = _S(DealMode.NON_EXCLUSIVE, 1, "cn")
    assert not scope.conflicts(_S(DealMode.NON_EXCLUSIVE, 1, "cn"), granted)
    for mode in EXCLUSIVE_TYPE:
        assert scope.conflicts(_S(mode, 1, "cn"), granted)
        assert not scope.conflicts(_S(mode, 1, "europe"), granted)


def _negotiate(result, tto, buyer, enterprise, **terms):
    inquiry = services.open_inquiry(result=result, buyer=buyer, enterprise=enterprise, message="We are interested.")
    for stage in ("discussion", "terms_proposed", "agreed"):
        services.move_inquiry(inquiry, stage, actor=tto)
    defaults = {"starts_on": timezone.localdate(), "value": Decimal("300000.00"), "territory": Territory.CHINA_MAINLAND}
    defaults.update(terms)
    return services.record_agreement(inquiry, actor=tto, **defaults)


def test_negotiated_exclusive_licence_blocks_conflicting_offers_and_the_page_shows_what_remains(
    result, tto, buyer, enterprise
):
    medical = result.offers.get(field_of_use__slug="medical-devices")
    transport = result.offers.get(field_of_use__slug="transport")
    non_exclusive = result.offers.get(mode=DealMode.NON_EXCLUSIVE)
    _negotiate(result, tto, buyer, enterprise, mode=DealMode.EXCLUSIVE, field_of_use=field("medical-devices"))
    [annotated] = annotate_availability([result])
    available = {o.pk for o in annotated.available_offers}
    assert medical.pk not in available
    # The non-exclusive offer covers all fields in mainland China: it overlaps the exclusive medical scope.
    assert non_exclusive.pk not in available
    assert transport.pk in available
    assert not offer_is_available(medical)
    assert offer_is_available(transport)


def test_accepting_an_offer_that_became_unavailable_is_refused_and_changes_nothing(
    result, tto, buyer, enterprise, other_buyer, other_enterprise
):
    _negotiate(result, tto, buyer, enterprise, mode=DealMode.EXCLUSIVE, field_of_use=None)
    express = result.offers.get(express=True)
    before = LicenceAgreement.objects.count()
    with pytest.raises(ValidationError, match="no longer available"):
        services.accept_express_offer(express, buyer=other_buyer, enterprise=other_enterprise, accept_terms=True)
    assert LicenceAgreement.objects.count() == before


def test_recording_an_exclusive_licence_over_a_signed_non_exclusive_one_is_refused(
    result, tto, buyer, enterprise, other_buyer, other_enterprise
):
    express = result.offers.get(express=True)
    agreement = services.accept_express_offer(express, buyer=buyer, enterprise=enterprise, accept_terms=True)
    services.confirm_agreement_payment(agreement, actor=tto)
    with pytest.raises(ValidationError, match="no longer available"):
        _negotiate(result, tto, other_buyer, other_enterprise, mode=DealMode.SOLE, field_of_use=field("transport"))
    # Another non-exclusive licence on the same scope is fine.
    second = services.accept_express_offer(express, buyer=other_buyer, enterprise=other_enterprise, accept_terms=True)
    assert second.status == AgreementStatus.AWAITING_PAYMENT


def test_an_ended_or_cancelled_agreement_no_longer_holds_its_scope(institute, tto, buyer, enterprise):
    page = make_result(institute, offers=[offer(DealMode.EXCLUSIVE, express=True, territory=Territory.EUROPE)])
    exclusive = page.offers.get()
    agreement = services.accept_express_offer(exclusive, buyer=buyer, enterprise=enterprise, accept_terms=True)
    assert not offer_is_available(exclusive)
    services.cancel_agreement(agreement, actor=tto)
    assert offer_is_available(exclusive)
    again = services.accept_express_offer(exclusive, buyer=buyer, enterprise=enterprise, accept_terms=True)
    services.confirm_agreement_payment(again, actor=tto)
    LicenceAgreement.objects.filter(pk=again.pk).update(
        starts_on=timezone.localdate() - timedelta(days=400), ends_on=timezone.localdate() - timedelta(days=1)
    )
    assert offer_is_available(exclusive)


def test_two_buyers_cannot_both_take_the_same_exclusive_express_offer(
    institute, buyer, enterprise, other_buyer, other_enterprise
):
    page = make_result(institute, offers=[offer(DealMode.EXCLUSIVE, express=True)])
    exclusive = page.offers.get()
    services.accept_express_offer(exclusive, buyer=buyer, enterprise=enterprise, accept_terms=True)
    with pytest.raises(ValidationError):
        services.accept_express_offer(exclusive, buyer=other_buyer, enterprise=other_enterprise, accept_terms=True)
    assert LicenceAgreement.objects.filter(result=page).count() == 1
