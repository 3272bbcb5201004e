import pytest
from django.core.exceptions import ValidationError

from marketplace.accounts import services
from marketplace.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_member_sees_own_organisations_members(client, institute, tto, researcher):
    client.force_login(researcher)
    response = client.get(f"/accounts/organisations/{institute.pk}/members/")
    assert response.status_code == 200
    assert tto.email in response.content.decode()


@pytest.mark.parametrize("who", ["other_tto", "other_researcher", "buyer"])
def test_outsiders_cannot_see_an_organisations_members(client, institute, researcher, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(f"/accounts/organisations/{institute.pk}/members/")
    assert response.status_code == 404
    assert researcher.email not in response.content.decode()


def test_buyer_cannot_see_another_enterprises_members(client, enterprise, other_enterprise, buyer, other_buyer):
    client.force_login(buyer)
    assert client.get(f"/accounts/organisations/{other_enterprise.pk}/members/").status_code == 404
    assert client.get(f"/accounts/organisations/{enterprise.pk}/members/").status_code == 200


def test_anonymous_is_sent_to_sign_in(client, institute):
    response = client.get(f"/accounts/organisations/{institute.pk}/members/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_dashboard_lists_only_own_memberships(client, institute, other_institute, researcher):
    client.force_login(researcher)
    html = client.get("/accounts/").content.decode()
    assert "East Test Institute" in html and "North Test Institute" not in html


def test_one_person_may_hold_several_roles(institute, researcher):
    services.add_membership(researcher, institute, Role.TTO_OFFICER)
    access = institute.cms_access
    assert set(researcher.groups.values_list("pk", flat=True)) == {access.staff_group_id, access.tto_group_id}


def test_a_buyer_role_is_refused_for_an_institute(institute, researcher):
    with pytest.raises(ValidationError):
        services.add_membership(researcher, institute, Role.BUYER)
    assert researcher.memberships.count() == 1
