import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from marketplace.accounts.models import Membership, Organization, Role
from tests.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

GOOD = {
    "email": "Founder@MicroChip.example.com",
    "first_name": "Li",
    "last_name": "Wei",
    "password1": "a-long-unusual-passphrase-42",
    "password2": "a-long-unusual-passphrase-42",
    "organization_name": "苏州微芯科技有限公司",
    "organization_name_en": "Suzhou MicroChip",
    "credit_code": "91320500MA1XK7L25C",
    "size_class": "small",
    "province": "江苏",
    "city": "苏州",
    "specialised_innovative": "on",
}


def signup(client, **changes):
    data = {**GOOD, **changes}
    return client.post("/accounts/signup/", data)


def verification_link(mail):
    match = re.search(r"http://[^\s]+/accounts/verify/[^\s]+/", mail.body)
    assert match, mail.body
    return match.group(0).split("8000", 1)[1]


def test_enterprise_signup_creates_inactive_buyer_and_emails_a_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client)
    assert response.status_code == 200
    assert "founder@microchip.example.com" in response.content.decode()
    user = User.objects.get(email="founder@microchip.example.com")
    assert not user.is_active and user.email_verified_at is None
    org = Organization.objects.get(credit_code="91320500MA1XK7L25C")
    assert org.kind == Organization.Kind.ENTERPRISE and org.size_class == "small" and org.specialised_innovative
    assert Membership.objects.filter(user=user, organization=org, role=Role.BUYER).exists()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["founder@microchip.example.com"]


def test_unverified_account_cannot_sign_in(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client)
    assert not client.login(username="founder@microchip.example.com", password=GOOD["password1"])


def test_verification_link_activates_once_and_signs_in(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client)
    link = verification_link(mailoutbox[0])
    response = client.get(link)
    assert response.status_code == 302 and response.url == "/accounts/"
    user = User.objects.get(email="founder@microchip.example.com")
    assert user.is_active and user.email_verified_at is not None
    assert client.get("/accounts/").status_code == 200
    # The link is one-time: after use it no longer verifies anything.
    client.logout()
    assert client.get(link).status_code == 400


def test_tampered_verification_link_is_refused(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client)
    link = verification_link(mailoutbox[0])
    assert client.get(link[:-3] + "xx/").status_code == 400
    assert client.get("/accounts/verify/garbage/garbage/").status_code == 400
    assert not User.objects.get(email="founder@microchip.example.com").is_active


def test_signup_with_a_registered_address_answers_the_same_and_tells_the_owner(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="founder@microchip.example.com", username="someone", preferred_language="en")
    before = (User.objects.count(), Organization.objects.count(), Membership.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        known = signup(client, email="FOUNDER@microchip.example.com")
    # Exactly the page a new address gets: nothing tells the visitor the address is registered.
    with django_capture_on_commit_callbacks(execute=True):
        new = Client().post("/accounts/signup/", {**GOOD, "email": "fresh@microchip.example.com", "credit_code": ""})
    assert known.status_code == new.status_code == 200
    page = known.content.decode()
    assert page == new.content.decode().replace("fresh@microchip.example.com", "founder@microchip.example.com")
    assert "already" not in page
    assert (User.objects.count() - 1, Organization.objects.count() - 1, Membership.objects.count() - 1) == before
    # The owner of the address hears about it; no verification link goes out for the attempt.
    attempt = [m for m in mailoutbox if m.to == [owner.email]]
    assert len(attempt) == 1 and "tried to register" in attempt[0].body
    assert "/accounts/verify/" not in attempt[0].body
    assert not User.objects.filter(email__iexact=owner.email).exclude(pk=owner.pk).exists()


def test_duplicate_credit_code_is_refused_and_changes_nothing(client):
    EnterpriseFactory(credit_code="91320500MA1XK7L25C")
    before = (User.objects.count(), Organization.objects.count())
    response = signup(client)
    assert "already registered" in response.content.decode()
    assert (User.objects.count(), Organization.objects.count()) == before


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"password2": "something-else-entirely"}, "The two passwords differ."),
        ({"password1": "123", "password2": "123"}, "This password is too short."),
        ({"credit_code": "NOT-A-CODE-123456"}, "unified social credit code"),
        ({"size_class": "gigantic"}, "Select a valid choice."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"organization_name": ""}, "This field is required."),
    ],
)
def test_bad_signup_input_gets_a_clear_message_and_creates_nothing(client, changes, message):
    response = signup(client, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists() and not Organization.objects.exists()


def test_signup_in_chinese_shows_chinese_labels(client):
    client.cookies["language"] = "zh-hans"
    response = client.get("/accounts/signup/")
    assert "注册企业" in response.content.decode()


def test_user_signs_in_with_email(client, buyer):
    assert client.login(username=buyer.email.upper(), password="correct-horse-battery-staple")
    assert not client.login(username=buyer.email, password="wrong")
