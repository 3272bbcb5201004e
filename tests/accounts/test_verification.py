"""Signing in before verifying says so and can send the link again; sign-up and reset reveal nothing."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.accounts.test_signup import GOOD
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

PASSWORD1 = "a-long-unusual-passphrase-42"


@pytest.fixture
def unverified(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", GOOD)
    return User.objects.get(email="founder@microchip.example.com")


def sign_in(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_signing_in_before_verifying_says_so_and_offers_the_link(unverified):
    browser = Client()
    response = sign_in(browser, unverified.email, PASSWORD1)
    page = response.content.decode()
    assert response.status_code == 200 and "_auth_user_id" not in browser.session
    assert "not verified yet" in page and "Send the confirmation link again" in page


def test_a_wrong_password_on_an_unverified_account_tells_nothing(unverified):
    response = sign_in(Client(), unverified.email, "wrong-password")
    page = response.content.decode()
    assert "not verified" not in page and "Send the confirmation link again" not in page
    unknown = sign_in(Client(), "nobody@nowhere.example.com", "wrong-password").content.decode()
    assert "Please enter a correct" in page and "Please enter a correct" in unknown


def test_the_link_is_sent_again_a_limited_number_of_times(
    unverified, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.VERIFICATION_RESEND_LIMIT = 2
    browser = Client()
    sign_in(browser, unverified.email, PASSWORD1)
    mailoutbox.clear()
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post("/accounts/verify/resend/", follow=True)
    assert len(mailoutbox) == 2 and all(m.to == [unverified.email] for m in mailoutbox)
    assert "/accounts/verify/" in mailoutbox[-1].body
    assert "Too many links" in response.content.decode()
    # The newest link works (in another browser, with the password).

    url = re.search(r"/accounts/verify/[^\s]+/", mailoutbox[-1].body).group(0)
    assert Client().post(url, {"password": PASSWORD1}).status_code == 302


def test_resend_without_proving_the_password_sends_nothing(unverified, mailoutbox, django_capture_on_commit_callbacks):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/accounts/verify/resend/", follow=True)
    assert mailoutbox == [] and "Sign in with your email address and password first" in response.content.decode()


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(
    mailoutbox, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="owner@example.com", username="owner@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        known = Client().post("/accounts/password-reset/", {"email": owner.email})
        unknown = Client().post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert [m.to for m in mailoutbox] == [[owner.email]]
    assert owner.check_password(PASSWORD)
