"""The shared mechanics in marketplace/core: row locks, form errors, absolute links, id converters, cache
versions, bilingual email texts; and accounts' members_with_role."""

import re

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch
from django.urls.converters import get_converters
from django.utils import translation

from marketplace.accounts.models import Organization, Role
from marketplace.accounts.selectors import members_with_role
from marketplace.core import versions
from marketplace.core.converters import IdConverter, register
from marketplace.core.emails import both, display, resolve, send_templated_email
from marketplace.core.forms import apply_errors, error_messages, flash_errors
from marketplace.core.ids import MAX_ID
from marketplace.core.links import absolute_url
from marketplace.core.locking import lock, locked
from tests.factories import make_member

# --- locking -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_lock_returns_the_row_and_locks_only_its_own_table_where_the_database_has_row_locks(enterprise):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        row = lock(Organization.objects.all(), pk=enterprise.pk)
    assert row == enterprise
    sql = queries.captured_queries[-1]["sql"].upper()
    if connection.features.has_select_for_update:
        assert "FOR UPDATE OF" in sql
    else:  # SQLite: the transaction's write lock (BEGIN IMMEDIATE) serialises writers instead
        assert "FOR UPDATE" not in sql


@pytest.mark.django_db
def test_lock_of_a_missing_row_raises_does_not_exist():
    with transaction.atomic(), pytest.raises(Organization.DoesNotExist):
        lock(Organization.objects.all(), pk=MAX_ID)


@pytest.mark.django_db
def test_locked_rows_with_a_nullable_join_can_be_locked(enterprise):
    # FOR UPDATE OF the row's own table: PostgreSQL would refuse to lock the nullable side of an outer join.
    with transaction.atomic():
        rows = list(locked(Organization.objects.select_related("resembles").filter(pk=enterprise.pk)))
    assert rows == [enterprise]


# --- form errors ---------------------------------------------------------------------------------------


class _Form(forms.Form):
    amount = forms.DecimalField(required=False)


def test_apply_errors_puts_field_errors_on_their_fields_and_unknown_ones_on_the_form():
    form = _Form({})
    assert form.is_valid()
    apply_errors(form, ValidationError({"amount": "Too much.", "nonexistent": "Something else."}))
    assert form.errors["amount"] == ["Too much."]
    assert form.non_field_errors() == ["Something else."]


@pytest.mark.parametrize(
    "error, expected",
    [
        (ValidationError("Closed."), ["Closed."]),
        (ValidationError(["One.", "Two."]), ["One.", "Two."]),
        (PermissionDenied("Not yours."), ["Not yours."]),
    ],
)
def test_apply_errors_puts_other_refusals_on_the_form(error, expected):
    form = _Form({})
    form.is_valid()
    apply_errors(form, error)
    assert form.non_field_errors() == expected
    assert error_messages(error) == expected


def test_flash_errors_shows_each_message():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    flash_errors(request, ValidationError(["One.", "Two."]))
    assert [m.message for m in get_messages(request)] == ["One.", "Two."]


# --- links and ids in URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize("site_url", ["https://market.example.com", "https://market.example.com/"])
def test_absolute_url_joins_the_site_address_and_the_path(settings, site_url):
    settings.SITE_URL = site_url
    assert absolute_url("accounts:login") == "https://market.example.com/accounts/login/"


def test_absolute_url_refuses_an_unknown_name():
    with pytest.raises(NoReverseMatch):
        absolute_url("no-such-view")


def test_the_id_converter_takes_database_ids_only():
    register()
    register()  # a second call changes nothing
    assert isinstance(get_converters()["id"], IdConverter)
    converter = IdConverter()
    assert converter.to_python("42") == 42
    assert converter.to_url(42) == "42"
    with pytest.raises(ValueError):
        converter.to_python("0")
    with pytest.raises(ValueError):
        converter.to_python(str(MAX_ID + 1))  # 19 digits never match the regex; the guard stays

    pattern = re.compile(f"^{IdConverter.regex}$")
    assert pattern.match("1") and pattern.match("9" * 18)
    assert not any(pattern.match(v) for v in ("", "9" * 19, "-1", "1.0", "１２", " 1", "0x1"))


# --- cache versions ------------------------------------------------------------------------------------


def test_a_version_moves_on_each_bump_and_starts_a_new_series_when_forgotten():
    from django.core.cache import cache

    version = versions.Version("test:toolkit-version")
    first = version.current()
    assert version.current() == first  # stable while nothing changes
    version.bump(sender=None, instance=None)  # usable as a signal receiver
    assert version.current() == first + 1
    cache.delete(version.key)  # evicted
    assert version.current() > first + 1  # a new series, from the clock
    cache.delete(version.key)
    version.bump()  # bumping an unknown version starts a series too
    assert version.current() > first + 1


# --- texts in both languages ---------------------------------------------------------------------------


def test_both_resolves_to_the_language_of_the_reader_and_falls_back_to_chinese():
    context = {"name": both("李明", "Li Ming"), "list": [both("上海", "")], "n": 3, "plain": "x"}
    with translation.override("en"):
        assert resolve(context) == {"name": "Li Ming", "list": ["上海"], "n": 3, "plain": "x"}
    with translation.override("zh-hans"):
        assert resolve(context) == {"name": "李明", "list": ["上海"], "n": 3, "plain": "x"}


@pytest.mark.django_db
def test_display_gives_an_organisation_name_in_both_languages(enterprise):
    with translation.override("en"):
        assert resolve(display(enterprise)) == enterprise.name_en
    with translation.override("zh-hans"):
        assert resolve(display(enterprise)) == enterprise.name


@pytest.mark.parametrize("language, expected", [("en", "Hello Li Ming"), ("zh-hans", "李明")])
def test_an_email_shows_names_in_the_recipients_language(language, expected):
    context = {"name": both("李明", "Li Ming"), "url": "https://example.com/v/"}
    send_templated_email.call("accounts/email/verify", "someone@example.com", context, language)
    (message,) = mail.outbox
    assert expected in message.body
    assert "Li Ming" not in message.body if language == "zh-hans" else "李明" not in message.body


# --- members with a role -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_members_with_role_are_the_active_holders_of_those_roles_in_that_organisation(institute, other_institute):
    manager = make_member(institute, Role.FACILITY_MANAGER)
    officer = make_member(institute, Role.TTO_OFFICER)
    make_member(institute, Role.RESEARCHER)
    make_member(other_institute, Role.FACILITY_MANAGER)
    gone = make_member(institute, Role.FACILITY_MANAGER)
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    assert set(members_with_role(institute.pk, Role.FACILITY_MANAGER)) == {manager}
    assert set(members_with_role(institute.pk, Role.FACILITY_MANAGER, Role.TTO_OFFICER)) == {manager, officer}
    assert not members_with_role(institute.pk)
