"""Chinese names read family name first (李明, never 明 李), in either interface language; Latin-letter
names given name first; forms ask 姓 before 名 in Chinese."""

import re

import pytest
from django.core import mail
from django.utils import translation

from marketplace.accounts.demo import demo_name
from marketplace.accounts.forms import AcceptInvitationForm, EnterpriseSignupForm
from marketplace.core.i18n import person_name
from tests.accounts.test_signup import GOOD
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        ("明", "李", "李明"),
        ("秀英", "欧阳", "欧阳秀英"),
        (" 明 ", " 李 ", "李明"),
        ("Ann", "Lee", "Ann Lee"),
        ("Zoë", "O'Brien-Smith", "Zoë O'Brien-Smith"),
        ("Ann", "", "Ann"),
        ("", "李", "李"),
        ("", "", ""),
    ],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_person_name_follows_the_name_not_the_interface(given, family, expected, language):
    with translation.override(language):
        assert person_name(given, family) == expected


@pytest.mark.django_db
def test_a_user_shows_as_family_name_then_given_name():
    user = UserFactory(first_name="明", last_name="李", email="li@example.com")
    assert str(user) == user.get_full_name() == "李明"
    assert str(UserFactory(first_name="", last_name="", email="nobody@example.com")) == "nobody@example.com"


@pytest.mark.parametrize("form_class", [EnterpriseSignupForm, AcceptInvitationForm])
def test_forms_ask_family_name_first_in_chinese_and_given_name_first_in_english(form_class):
    def order(language):
        with translation.override(language):
            names = list(form_class().fields)
        return names.index("last_name") < names.index("first_name")

    assert order("zh-hans") is True
    assert order("en") is False


@pytest.mark.django_db
def test_the_verification_email_greets_a_chinese_name_family_name_first(client, django_capture_on_commit_callbacks):
    client.cookies["language"] = "zh-hans"
    data = {**GOOD, "first_name": "明", "last_name": "李"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/signup/", data).status_code == 200
    body = mail.outbox[-1].body
    assert "李明" in body and "明 李" not in body


def test_demo_names_are_chinese_names_and_stable():
    given, family = demo_name("buyer@microsense.example.com")
    assert (given, family) == demo_name("buyer@microsense.example.com")
    assert re.fullmatch(r"[\u4e00-\u9fff]{1,2}", given) and re.fullmatch(r"[\u4e00-\u9fff]", family)
    assert person_name(given, family) == family + given
