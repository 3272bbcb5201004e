"""Two-factor sign-in (TOTP): set up, second step on every sign-in path, turn off, and the staff switch."""

import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace.accounts.models import Role
from tests.factories import PASSWORD, UserFactory, make_member

pytestmark = pytest.mark.django_db


def code(device, offset=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset
    return totp.token_str() if hasattr(totp, "token_str") else f"{totp.token():0{device.digits}d}"


def codes_around(device, offset=0):
    """Every code the device accepts now (django-otp allows one step of drift either way)."""
    return {code(device, offset + step) for step in (-60, -30, 0, 30, 60)}


def wrong_code(*devices):
    taken = set().union(*(codes_around(d) for d in devices))
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in taken)


def pending_device(client):
    """The device being set up: its key waits in the session until a code confirms it."""
    return TOTPDevice(key=client.session["accounts_otp_setup_key"])


def with_device(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sign_in(client, user):
    return client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})


@pytest.fixture
def people(institute, enterprise):
    return {
        "staff": UserFactory(is_staff=True, is_superuser=True),
        "tto": make_member(institute, Role.TTO_OFFICER),
        "manager": make_member(institute, Role.FACILITY_MANAGER),
        "researcher": make_member(institute, Role.RESEARCHER),
        "buyer": make_member(enterprise, Role.BUYER),
    }


def test_setting_up_shows_a_qr_code_and_a_key_and_needs_a_valid_code(client, tto):
    client.force_login(tto)
    page = client.get("/accounts/two-factor/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    assert not TOTPDevice.objects.exists()  # opening the page stores nothing
    device = pending_device(client)
    assert pending_device(client).key == device.key  # the same key until it is confirmed
    response = client.post("/accounts/two-factor/", {"token": wrong_code(device)})
    assert "This code is not valid" in response.content.decode()
    assert not TOTPDevice.objects.exists()
    response = client.post("/accounts/two-factor/", {"token": code(device)})
    assert response.status_code == 302
    saved = TOTPDevice.objects.get(user=tto)
    assert saved.confirmed and saved.key == device.key
    # This session is verified: pages open without a second step.
    assert client.get("/accounts/").status_code == 200


@pytest.mark.parametrize("role", ["staff", "tto", "manager", "researcher", "buyer"])
@pytest.mark.parametrize("path", ["/accounts/", "/admin/", "/stats/", "/accounts/two-factor/disable/"])
def test_with_a_device_every_page_waits_for_the_code(people, role, path):
    user = people[role]
    device = with_device(user)
    browser = Client()
    assert sign_in(browser, user).status_code == 302
    response = browser.get(path)
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/verify/?next=")
    response = browser.post("/accounts/two-factor/verify/", {"token": code(device), "next": path})
    assert response.status_code == 302 and response.url == path
    assert (
        not browser.get(path).url.startswith("/accounts/two-factor/verify/")
        if browser.get(path).status_code == 302
        else True
    )


def test_the_wagtail_admin_sign_in_also_needs_the_second_step(people):
    staff = people["staff"]
    device = with_device(staff)
    browser = Client()
    response = browser.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    response = browser.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/verify/")
    browser.post("/accounts/two-factor/verify/", {"token": code(device), "next": "/admin/"})
    assert browser.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_and_later_tries_are_throttled(people, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 600  # the first wait lasts 10 minutes, longer than this test
    user = people["tto"]
    device = with_device(user)
    browser = Client()
    sign_in(browser, user)
    response = browser.post("/accounts/two-factor/verify/", {"token": "12345x"})
    assert "Enter the 6-digit code." in response.content.decode()
    response = browser.post("/accounts/two-factor/verify/", {"token": wrong_code(device)})
    assert "This code is not valid" in response.content.decode()
    # Straight after a failure even the right code waits (django-otp's throttling).
    response = browser.post("/accounts/two-factor/verify/", {"token": code(device)})
    assert response.status_code == 200
    assert browser.get("/accounts/").status_code == 302


def test_a_code_from_another_persons_device_does_not_verify(people):
    mine = with_device(people["tto"])
    theirs = with_device(people["staff"])
    while code(theirs) in codes_around(mine):  # another key until their code is not also one of mine
        theirs.delete()
        theirs = with_device(people["staff"])
    browser = Client()
    sign_in(browser, people["tto"])
    response = browser.post("/accounts/two-factor/verify/", {"token": code(theirs)})
    assert "This code is not valid" in response.content.decode()
    assert browser.get("/accounts/").status_code == 302


def test_next_never_leaves_the_site(people):
    device = with_device(people["tto"])
    browser = Client()
    sign_in(browser, people["tto"])
    response = browser.post("/accounts/two-factor/verify/", {"token": code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == "/accounts/"


def test_turning_off_needs_a_current_code(people):
    user = people["staff"]
    device = with_device(user)
    browser = Client()
    sign_in(browser, user)
    browser.post("/accounts/two-factor/verify/", {"token": code(device)})
    device.refresh_from_db()
    device.throttle_reset()
    browser.post("/accounts/two-factor/disable/", {"token": wrong_code(device)})
    assert TOTPDevice.objects.filter(user=user).exists()
    device.refresh_from_db()
    device.throttle_reset()
    response = browser.post("/accounts/two-factor/disable/", {"token": code(device, 30)})
    assert response.status_code == 302 and not TOTPDevice.objects.filter(user=user).exists()
    # Next sign-in: no second step.
    browser = Client()
    sign_in(browser, user)
    assert browser.get("/accounts/").status_code == 200


@pytest.mark.parametrize(
    "role, required",
    [("staff", True), ("tto", True), ("manager", False), ("researcher", False), ("buyer", False)],
)
def test_the_staff_switch_sends_staff_and_tto_to_set_up(people, settings, role, required):
    settings.OTP_REQUIRED_FOR_STAFF = True
    user = people[role]
    browser = Client()
    sign_in(browser, user)
    for path in ("/accounts/", "/admin/"):
        response = browser.get(path)
        if required:
            assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/?next=")
        else:
            assert not (response.status_code == 302 and "/two-factor/" in response.url)
    if required:
        browser.get("/accounts/two-factor/")
        device = pending_device(browser)
        browser.post("/accounts/two-factor/", {"token": code(device)})
        assert browser.get("/accounts/").status_code == 200


def test_the_switch_also_reaches_sessions_signed_in_before_it(people, settings):
    browser = Client()
    browser.force_login(people["tto"])
    assert browser.get("/accounts/").status_code == 200
    settings.OTP_REQUIRED_FOR_STAFF = True
    session = browser.session
    session.pop("accounts_second_step", None)  # as a session from before the rule
    session.save()
    assert browser.get("/accounts/").url.startswith("/accounts/two-factor/")


def test_without_the_switch_nobody_is_asked(people):
    for user in people.values():
        browser = Client()
        sign_in(browser, user)
        assert browser.get("/accounts/").status_code == 200


def test_signing_out_works_before_the_second_step(people):
    with_device(people["tto"])
    browser = Client()
    sign_in(browser, people["tto"])
    assert browser.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in browser.session


def test_the_rate_limit_on_passwords_still_holds(settings, people):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    user = people["tto"]
    with_device(user)
    browser = Client()
    for _ in range(2):
        browser.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    assert sign_in(browser, user).status_code == 429


def test_guessing_set_up_codes_is_limited(tto, client):
    client.force_login(tto)
    client.get("/accounts/two-factor/")
    device = pending_device(client)
    for _ in range(10):
        client.post("/accounts/two-factor/", {"token": wrong_code(device)})
    response = client.post("/accounts/two-factor/", {"token": code(device)})
    assert "Too many codes were tried" in response.content.decode()
    assert not TOTPDevice.objects.exists()
