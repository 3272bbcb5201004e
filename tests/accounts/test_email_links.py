"""Accounts emails: links built on SITE_URL (`absolute_url`), names in the recipient's language."""

import pytest
from django.test import Client

from marketplace.accounts import services
from marketplace.accounts.models import Role
from tests.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_password_reset_link_is_built_on_site_url(settings, mailoutbox):
    settings.SITE_URL = "https://market.example.cn"
    owner = UserFactory(email="owner@example.com", username="owner@example.com")
    Client().post("/accounts/password-reset/", {"email": owner.email})
    (mail,) = mailoutbox
    assert "https://market.example.cn/accounts/password-reset/" in mail.body
    assert "testserver" not in mail.body


@pytest.mark.parametrize("language, name", [("en", "East Test Institute"), ("zh-hans", "华东测试研究院")])
def test_an_invitation_names_the_institute_in_the_recipients_language(
    institute, tto, settings, language, name, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://market.example.cn"
    UserFactory(email="person@example.com", username="person@example.com", preferred_language=language)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite(
            inviter=tto, organization=institute, email="person@example.com", role=Role.RESEARCHER
        )
    (mail,) = mailoutbox
    assert name in mail.subject and name in mail.body
    assert f"https://market.example.cn/accounts/invitations/{invitation.token}/" in mail.body


def test_staff_see_both_names_of_lookalike_organisations(settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://market.example.cn"
    UserFactory(is_staff=True, preferred_language="en")
    original = EnterpriseFactory(name="苏州微芯科技有限公司", name_en="Suzhou MicroChip")
    copy = EnterpriseFactory(name="苏州微芯科技有限公司 ", name_en="")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.flag_if_lookalike(copy) == original
    (mail,) = mailoutbox
    assert '"苏州微芯科技有限公司 (Suzhou MicroChip)"' in mail.body
    assert f"https://market.example.cn/admin/organization/edit/{copy.pk}/" in mail.body


def test_an_id_too_large_for_the_database_is_a_404(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/accounts/organisations/99999999999999999999/members/").status_code == 404
    assert client.post("/accounts/invitations/99999999999999999999/revoke/").status_code == 404
