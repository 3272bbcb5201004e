import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from marketplace.accounts.models import Invitation, Membership, Role
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def invite(client, organization, **data):
    return client.post(f"/accounts/organisations/{organization.pk}/members/", data)


def link_in(mail):
    return re.search(r"/accounts/invitations/[\w-]+/", mail.body).group(0)


def test_tto_invites_a_researcher_who_creates_an_account(
    client, institute, tto, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(tto)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, institute, email="New.Person@East.example.com", role="researcher")
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@east.example.com" and invitation.invited_by == tto
    assert mailoutbox[0].to == ["new.person@east.example.com"]

    client.logout()
    link = link_in(mailoutbox[0])
    response = client.post(
        link,
        {
            "first_name": "Zhang",
            "last_name": "San",
            "password1": "another-long-passphrase-7",
            "password2": "another-long-passphrase-7",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@east.example.com")
    assert Membership.objects.filter(user=user, organization=institute, role=Role.RESEARCHER).exists()
    assert user.groups.filter(pk=institute.cms_access.staff_group_id).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    # The link cannot be used twice.
    client.logout()
    assert client.get(link).status_code == 404


def test_platform_staff_can_invite_a_tto_officer_to_any_institute(
    client, institute, staff_user, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, institute, email="tto2@east.example.com", role="tto_officer")
    assert Invitation.objects.filter(email="tto2@east.example.com", role="tto_officer").exists()


def test_existing_user_accepts_after_signing_in(
    client, institute, tto, other_institute, django_capture_on_commit_callbacks
):
    person = UserFactory(email="known@example.com", username="known@example.com")
    client.force_login(tto)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, institute, email="known@example.com", role="facility_manager")
    token = Invitation.objects.get().token
    client.logout()
    response = client.get(f"/accounts/invitations/{token}/")
    assert "Sign in to accept" in response.content.decode()
    # Someone else who is signed in cannot take the invitation.
    stranger = UserFactory()
    client.force_login(stranger)
    client.post(f"/accounts/invitations/{token}/")
    assert not Membership.objects.filter(user=stranger, organization=institute).exists()
    client.force_login(person)
    client.post(f"/accounts/invitations/{token}/")
    assert Membership.objects.filter(user=person, organization=institute, role=Role.FACILITY_MANAGER).exists()


def test_invitation_to_an_existing_member_is_refused_and_changes_nothing(client, institute, tto, researcher):
    client.force_login(tto)
    response = invite(client, institute, email=researcher.email, role="researcher")
    assert response.status_code == 200
    assert "already holds this role" in response.content.decode()
    assert not Invitation.objects.exists()


def test_second_open_invitation_for_same_person_and_role_is_refused(
    client, institute, tto, django_capture_on_commit_callbacks
):
    client.force_login(tto)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, institute, email="x@example.com", role="researcher")
    response = invite(client, institute, email="X@example.com", role="researcher")
    assert "already open" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_buyer_role_cannot_be_invited_to_an_institute(client, institute, tto):
    client.force_login(tto)
    response = invite(client, institute, email="x@example.com", role="buyer")
    assert "Select a valid choice." in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["researcher", "facility_manager", "other_tto", "buyer"])
def test_only_the_institutes_tto_or_staff_may_invite(client, institute, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = invite(client, institute, email="x@example.com", role="researcher")
    # Members without the right get 403; outsiders do not even learn the organisation exists.
    assert response.status_code == (403 if who in {"researcher", "facility_manager"} else 404)
    assert not Invitation.objects.exists()


def test_forged_organisation_id_answers_404(client, tto):
    client.force_login(tto)
    for bad in ["999999", "abc", "-1"]:
        assert (
            client.post(
                f"/accounts/organisations/{bad}/members/", {"email": "x@example.com", "role": "researcher"}
            ).status_code
            == 404
        )
    assert not Invitation.objects.exists()


def test_expired_or_revoked_invitation_cannot_be_accepted(client, institute, tto, django_capture_on_commit_callbacks):
    client.force_login(tto)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, institute, email="late@example.com", role="researcher")
        invite(client, institute, email="revoked@example.com", role="researcher")
    Invitation.objects.filter(email="late@example.com").update(expires_at=timezone.now() - timedelta(minutes=1))
    revoked = Invitation.objects.get(email="revoked@example.com")
    assert client.post(f"/accounts/invitations/{revoked.pk}/revoke/").status_code == 302
    client.logout()
    for invitation in Invitation.objects.all():
        assert client.get(f"/accounts/invitations/{invitation.token}/").status_code == 404
        client.post(
            f"/accounts/invitations/{invitation.token}/",
            {"first_name": "a", "last_name": "b", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert not User.objects.filter(email__in=["late@example.com", "revoked@example.com"]).exists()


def test_tto_of_another_institute_cannot_revoke(client, institute, tto, other_tto, django_capture_on_commit_callbacks):
    client.force_login(tto)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, institute, email="x@example.com", role="researcher")
    client.force_login(other_tto)
    # Another institute's invitation answers like a missing one: its id cannot be probed.
    assert client.post(f"/accounts/invitations/{Invitation.objects.get().pk}/revoke/").status_code == 404
    assert Invitation.objects.get().revoked_at is None


def test_invitation_email_is_in_the_recipients_language(
    client, institute, tto, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="en@example.com", username="en@example.com", preferred_language="en")
    UserFactory(email="zh@example.com", username="zh@example.com", preferred_language="zh-hans")
    client.force_login(tto)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, institute, email="en@example.com", role="researcher")
        invite(client, institute, email="zh@example.com", role="researcher")
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert "Invitation to join" in by_recipient["en@example.com"].subject
    assert "邀请" in by_recipient["zh@example.com"].subject
