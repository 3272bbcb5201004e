import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


def attempt(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_repeated_failed_sign_ins_lock_the_account_out(client, buyer, axes_on):
    for _ in range(2):
        response = attempt(client, buyer.email, "wrong-password")
        assert response.status_code == 200  # the form again, with its error
    response = attempt(client, buyer.email, "wrong-password")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    # Even the right password is refused while locked out.
    response = attempt(client, buyer.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_resets_the_failure_count(client, buyer, axes_on):
    attempt(client, buyer.email, "wrong-password")
    attempt(client, buyer.email, "wrong-password")
    assert attempt(client, buyer.email, PASSWORD).status_code == 302
    client.logout()
    attempt(client, buyer.email, "wrong-password")
    assert attempt(client, buyer.email, PASSWORD).status_code == 302


def test_the_wagtail_admin_sign_in_is_rate_limited_too(client, staff_user, axes_on):
    for _ in range(3):
        response = client.post("/admin/login/", {"username": staff_user.email, "password": "nope"})
    assert response.status_code == 429


def test_public_pages_send_a_content_security_policy(client, institute):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_changes_require_a_csrf_token(institute, tto):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tto)
    response = client.post(
        f"/accounts/organisations/{institute.pk}/members/", {"email": "x@example.com", "role": "researcher"}
    )
    assert response.status_code == 403
