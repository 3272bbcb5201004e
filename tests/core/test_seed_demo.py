from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from marketplace.accounts.demo import DEMO_PASSWORD
from marketplace.accounts.models import Membership, Organization, Role

pytestmark = pytest.mark.django_db(transaction=False)


PROJECT_APPS = {"accounts", "cms", "equipment", "ip_listings", "payments", "statistics", "wagtailcore", "auth"}


def snapshot():
    """Row counts of every project model: running the seeder again must change none of them."""
    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            counts[model._meta.label] = model.objects.count()
    return counts


def seed():
    call_command("seed_demo", "--no-progress", stdout=StringIO(), stderr=StringIO())


def test_seed_demo_builds_the_demo_site_and_is_idempotent(client):
    seed()
    first = snapshot()
    assert Organization.objects.filter(kind="institute").count() >= 5
    assert Organization.objects.filter(kind="enterprise").count() >= 10
    for role in Role:
        assert Membership.objects.filter(role=role).exists(), role
    seed()
    assert snapshot() == first
    # The documented logins work.
    assert client.login(username="admin@example.com", password=DEMO_PASSWORD)
    assert client.login(username="tto@east.example.com", password=DEMO_PASSWORD)
    assert client.login(username="buyer@microsense.example.com", password=DEMO_PASSWORD)
    response = client.get("/")
    assert response.status_code == 200
    assert "East China Institute of Materials Science" in response.content.decode()


def test_seed_demo_if_empty_leaves_existing_data_alone(enterprise):
    call_command("seed_demo", "--if-empty", "--no-progress", stdout=StringIO(), stderr=StringIO())
    assert Organization.objects.count() == 1


def test_seed_demo_refuses_production_settings(settings):
    settings.ENVIRONMENT = "production"
    with pytest.raises(CommandError, match="production"):
        seed()
    assert not Organization.objects.exists()


def test_seed_demo_shows_check_ins_an_overrun_and_no_shows():
    from equipment.models import Booking, BookingStatus, Overrun, UsageRecord

    seed()
    assert Booking.objects.filter(status=BookingStatus.COMPLETED, checked_out_at__isnull=False).exists()
    assert UsageRecord.objects.filter(started_at__isnull=False, ended_at__isnull=False).exists()
    overrun = Overrun.objects.get()
    assert overrun.minutes == 40 and overrun.booking.checked_out_at > overrun.booking.end
    assert Booking.objects.filter(status=BookingStatus.NO_SHOW).exists()
