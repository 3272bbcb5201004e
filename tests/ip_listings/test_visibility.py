"""No enterprise or institute sees another's inquiries or agreements; foreign ids answer 404."""

import pytest

from ip_listings import selectors, services


@pytest.fixture
def deals(result, other_result, buyer, enterprise, other_buyer, other_enterprise):
    """One inquiry and one agreement of (enterprise, institute) and of (other_enterprise, other_institute)."""
    mine_inquiry = services.open_inquiry(result=result, buyer=buyer, enterprise=enterprise, message="Hi")
    mine_agreement = services.accept_express_offer(
        result.offers.get(express=True), buyer=buyer, enterprise=enterprise, accept_terms=True
    )
    theirs_inquiry = services.open_inquiry(
        result=other_result, buyer=other_buyer, enterprise=other_enterprise, message="Hi"
    )
    theirs_agreement = services.accept_express_offer(
        other_result.offers.get(), buyer=other_buyer, enterprise=other_enterprise, accept_terms=True
    )
    return mine_inquiry, mine_agreement, theirs_inquiry, theirs_agreement


def test_buyers_see_only_their_enterprises_deals(deals, buyer, other_buyer):
    mine_inquiry, mine_agreement, theirs_inquiry, theirs_agreement = deals
    assert list(selectors.inquiries_for(buyer)) == [mine_inquiry]
    assert list(selectors.agreements_for(buyer)) == [mine_agreement]
    assert list(selectors.inquiries_for(other_buyer)) == [theirs_inquiry]
    assert list(selectors.agreements_for(other_buyer)) == [theirs_agreement]


def test_tto_officers_see_only_their_institutes_deals(deals, tto, other_tto):
    mine_inquiry, mine_agreement, theirs_inquiry, theirs_agreement = deals
    assert list(selectors.inquiries_for(tto)) == [mine_inquiry]
    assert list(selectors.agreements_for(tto)) == [mine_agreement]
    assert list(selectors.agreements_for(other_tto)) == [theirs_agreement]


def test_researchers_and_staff(deals, researcher, staff_user):
    assert not selectors.agreements_for(researcher).exists()
    assert not selectors.inquiries_for(researcher).exists()
    assert selectors.agreements_for(staff_user).count() == 2
    assert selectors.inquiries_for(staff_user).count() == 2


@pytest.mark.parametrize(
    "url",
    [
        "/ip/agreements/{a}/",
        "/ip/agreements/{a}/document/",
        "/ip/agreements/{a}/download/",
        "/ip/agreements/{a}/impact/",
        "/ip/inquiries/{i}/",
        "/ip/inquiries/{i}/record-agreement/",
    ],
)
@pytest.mark.parametrize("who", ["other_buyer", "other_tto", "researcher"])
def test_foreign_ids_answer_404(client, request, deals, url, who):
    mine_inquiry, mine_agreement, *_ = deals
    client.force_login(request.getfixturevalue(who))
    assert client.get(url.format(a=mine_agreement.pk, i=mine_inquiry.pk)).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/ip/agreements/{a}/confirm-payment/",
        "/ip/agreements/{a}/cancel/",
        "/ip/inquiries/{i}/stage/",
        "/ip/inquiries/{i}/message/",
    ],
)
def test_foreign_posts_answer_404_and_change_nothing(client, deals, other_tto, url):
    mine_inquiry, mine_agreement, *_ = deals
    client.force_login(other_tto)
    response = client.post(url.format(a=mine_agreement.pk, i=mine_inquiry.pk), {"stage": "discussion", "body": "x"})
    assert response.status_code == 404
    mine_agreement.refresh_from_db()
    mine_inquiry.refresh_from_db()
    assert mine_agreement.status == "awaiting_payment" and mine_inquiry.stage == "new"


def test_lists_show_only_own_rows(client, deals, buyer, other_tto):
    mine_inquiry, mine_agreement, theirs_inquiry, theirs_agreement = deals
    client.force_login(buyer)
    page = client.get("/ip/agreements/").content.decode()
    assert mine_agreement.number in page and theirs_agreement.number not in page
    client.force_login(other_tto)
    page = client.get("/ip/inquiries/").content.decode()
    assert f"/ip/inquiries/{theirs_inquiry.pk}/" in page and f"/ip/inquiries/{mine_inquiry.pk}/" not in page
