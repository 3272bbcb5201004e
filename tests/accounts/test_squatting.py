"""Accounts cannot be squatted: an address belongs to whoever proves it (issue 11, §5)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from marketplace.accounts import services
from marketplace.accounts.models import Invitation, Membership, Organization, Role
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

VICTIM = "victim@east.example.com"
SQUATTER_PASSWORD = "squatters-own-passphrase-99"
VICTIM_PASSWORD = "the-victims-own-passphrase-7"
SIGNUP = {
    "email": VICTIM,
    "first_name": "Squat",
    "last_name": "Ter",
    "password1": SQUATTER_PASSWORD,
    "password2": SQUATTER_PASSWORD,
    "organization_name": "冒名顶替有限公司",
    "organization_name_en": "Squatter Ltd",
    "credit_code": "",
    "size_class": "small",
}
ACCEPT = {"first_name": "Real", "last_name": "Owner", "password1": VICTIM_PASSWORD, "password2": VICTIM_PASSWORD}


def link(mail, kind):
    return re.search(rf"/accounts/{kind}/[^\s]+/", mail.body).group(0)


@pytest.fixture
def squatted(client, mailoutbox, django_capture_on_commit_callbacks):
    """Someone else signs up with the victim's address (from their own browser, `client`)."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", SIGNUP)
    squatter_account = User.objects.get(email=VICTIM)
    assert not squatter_account.is_active and Membership.objects.filter(user=squatter_account).exists()
    return squatter_account


@pytest.fixture
def invitation(institute, tto, squatted, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite(inviter=tto, organization=institute, email=VICTIM, role=Role.TTO_OFFICER)
    return invitation


def test_the_invitee_claims_an_unverified_account_someone_else_created(institute, invitation, squatted, mailoutbox):
    victim = Client()
    url = f"/accounts/invitations/{invitation.token}/"
    page = victim.get(url).content.decode()
    assert "Create account and join" in page and "Sign in to accept" not in page
    response = victim.post(url, ACCEPT)
    assert response.status_code == 302 and response.url == "/accounts/"
    account = User.objects.get(email=VICTIM)
    assert account.pk == squatted.pk  # the address has one account, now the invitee's
    assert account.is_active and account.email_verified_at is not None
    assert account.check_password(VICTIM_PASSWORD) and not account.check_password(SQUATTER_PASSWORD)
    assert (account.first_name, account.last_name) == ("Real", "Owner")
    # Only the invited role: the squatter's enterprise membership is not inherited.
    assert list(Membership.objects.filter(user=account).values_list("organization", "role")) == [
        (institute.pk, Role.TTO_OFFICER)
    ]
    assert victim.get("/accounts/").status_code == 200
    # The squatter's password opens nothing, and the sign-up's verification link is dead.
    squatter = Client()
    assert not squatter.login(username=VICTIM, password=SQUATTER_PASSWORD)
    assert squatter.get(link(mailoutbox[0], "verify")).status_code == 400


def test_the_squatters_password_never_holds_the_invited_role(institute, invitation, squatted, mailoutbox):
    """Whatever the squatter does with their password, it never reaches an account with the role."""
    squatter = Client()
    # Signing in is refused (unverified): at most the message, no session.
    response = squatter.post("/accounts/login/", {"username": VICTIM, "password": SQUATTER_PASSWORD})
    assert "_auth_user_id" not in squatter.session and "not verified" in response.content.decode()
    # Even holding the invitation link, the squatter can only claim by choosing a new password: the account
    # they created is then claimed away from their own password and enterprise.
    Client().post(f"/accounts/invitations/{invitation.token}/", ACCEPT)
    assert not squatter.login(username=VICTIM, password=SQUATTER_PASSWORD)
    assert not Membership.objects.filter(user=squatted, role=Role.BUYER).exists()


def test_a_verification_link_opened_by_someone_else_needs_the_sign_up_password(
    institute, invitation, squatted, mailoutbox
):
    """The victim opening the squatter's verification link neither verifies the account nor signs in to it."""
    victim = Client()
    verify = link(mailoutbox[0], "verify")
    page = victim.get(verify)
    assert page.status_code == 200 and "_auth_user_id" not in victim.session
    response = victim.post(verify, {"password": "a guess"})
    assert response.status_code == 200 and "not the password chosen" in response.content.decode()
    squatted.refresh_from_db()
    assert not squatted.is_active and squatted.email_verified_at is None
    # So the address stays claimable, and the invitation still goes to the victim alone.
    response = victim.post(f"/accounts/invitations/{invitation.token}/", ACCEPT)
    assert response.status_code == 302
    assert User.objects.get(email=VICTIM).check_password(VICTIM_PASSWORD)


def test_the_verification_link_opened_elsewhere_verifies_with_the_right_password(squatted, mailoutbox):
    other_browser = Client()
    response = other_browser.post(link(mailoutbox[0], "verify"), {"password": SQUATTER_PASSWORD})
    assert response.status_code == 302 and response.url == "/accounts/"
    squatted.refresh_from_db()
    assert squatted.is_active and squatted.email_verified_at is not None


def test_wrong_verification_passwords_are_limited(squatted, mailoutbox):
    browser = Client()
    verify = link(mailoutbox[0], "verify")
    for _ in range(5):
        browser.post(verify, {"password": "wrong"})
    response = browser.post(verify, {"password": SQUATTER_PASSWORD})  # right, but too late
    assert "not the password chosen" in response.content.decode()
    squatted.refresh_from_db()
    assert not squatted.is_active


def test_a_verified_account_is_not_claimable_by_invitation(institute, tto, django_capture_on_commit_callbacks):
    owner = UserFactory(email="owner@east.example.com", username="owner@east.example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite(inviter=tto, organization=institute, email=owner.email, role=Role.RESEARCHER)
    browser = Client()
    url = f"/accounts/invitations/{invitation.token}/"
    assert "Sign in to accept" in browser.get(url).content.decode()
    browser.post(url, ACCEPT)
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and not Membership.objects.filter(user=owner).exists()
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None


def test_an_active_unverified_account_is_marked_verified_when_it_accepts(
    institute, tto, django_capture_on_commit_callbacks
):
    person = UserFactory(email="known@east.example.com", username="known@east.example.com")
    assert person.email_verified_at is None
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite(inviter=tto, organization=institute, email=person.email, role=Role.RESEARCHER)
    browser = Client()
    browser.force_login(person)
    browser.post(f"/accounts/invitations/{invitation.token}/")
    person.refresh_from_db()
    assert person.email_verified_at is not None
    assert Membership.objects.filter(user=person, organization=institute, role=Role.RESEARCHER).exists()


def test_claiming_keeps_the_squatters_enterprise_but_not_its_membership(institute, invitation, squatted):
    enterprise = Organization.objects.get(name="冒名顶替有限公司")
    Client().post(f"/accounts/invitations/{invitation.token}/", ACCEPT)
    assert Organization.objects.filter(pk=enterprise.pk).exists()
    assert not Membership.objects.filter(organization=enterprise).exists()
