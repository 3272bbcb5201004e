"""Names refuse invisible and direction-changing characters; lookalike organisation names are flagged."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from marketplace.accounts import services
from marketplace.accounts.models import Organization, Role
from marketplace.accounts.validators import name_key, validate_visible_text
from tests.accounts.test_signup import GOOD
from tests.factories import EnterpriseFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db
User = get_user_model()

FORBIDDEN = [
    *[chr(c) for c in range(0x202A, 0x202F)],  # bidi embeddings and overrides
    *[chr(c) for c in range(0x2066, 0x206A)],  # bidi isolates
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",  # zero-width
    "\x00", "\x07", "\t", "\n", "\r", "\x1b", "\x7f", "\x85",  # control characters
]  # fmt: skip
ALLOWED = ["苏州微芯科技有限公司", "Zoë O'Brien-Smith", "株式会社テスト", "Ünïcödé Ltd.", "A & B (Suzhou) Co., Ltd."]


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_the_validator_refuses_each_forbidden_character(char):
    with pytest.raises(ValidationError) as error:
        validate_visible_text(f"Acme{char}Ltd")
    assert f"U+{ord(char):04X}" in error.value.messages[0]


@pytest.mark.parametrize("value", ALLOWED)
def test_the_validator_accepts_ordinary_names(value):
    validate_visible_text(value)


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\x00", "\u2066"], ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", ["first_name", "last_name", "organization_name", "organization_name_en"])
def test_signup_refuses_hidden_characters_in_every_name(client, field, char):
    response = client.post("/accounts/signup/", {**GOOD, field: f"Evil{char}Name"})
    if char == "\x00":  # refused for every form before any view (RefuseNulMiddleware)
        assert response.status_code == 400
        assert "NUL character" in response.content.decode()
    else:
        assert response.status_code == 200
        assert "may not contain control characters" in response.content.decode()
    assert not User.objects.exists() and not Organization.objects.exists()


def test_the_service_refuses_them_too():
    with pytest.raises(ValidationError) as error:
        services.register_enterprise(
            email="x@example.com", password="a-long-unusual-passphrase-42", organization_name="Acme\u202eLtd",
            size_class="small",
        )  # fmt: skip
    assert "organization_name" in error.value.message_dict
    assert not Organization.objects.exists()


def test_model_validation_refuses_them_for_users_and_organisations():
    user = UserFactory()
    user.first_name = "Bob\u200b"
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "first_name" in error.value.message_dict
    org = EnterpriseFactory.build(name_en="Acme\u2067Ltd")
    with pytest.raises(ValidationError) as error:
        org.full_clean()
    assert "name_en" in error.value.message_dict


def test_accepting_an_invitation_refuses_them(institute, tto, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite(inviter=tto, organization=institute, email="n@east.example.com", role="researcher")
    password = "another-long-passphrase-7"
    response = Client().post(
        f"/accounts/invitations/{invitation.token}/",
        {"first_name": "Ann\u202e", "last_name": "Lee", "password1": password, "password2": password},
    )
    assert response.status_code == 200 and "may not contain control characters" in response.content.decode()
    assert not User.objects.filter(email="n@east.example.com").exists()


@pytest.mark.parametrize(
    "a, b",
    [
        ("Acme Ltd", "ACME  LTD."),
        ("Acme Ltd", "Ａｃｍｅ Ｌｔｄ"),  # full-width
        ("Acme Ltd", "Acmе Ltd"),  # Cyrillic е
        ("Acme Ltd", "Acme-Ltd"),
        ("Microchip", "Mlcrochip"),
        ("Modern", "Modem"),  # rn / m
        ("Bolt", "B0lt"),
        ("苏州微芯科技有限公司", "苏州微芯科技有限公司 "),
        ("苏州微芯科技有限公司", "苏州 微芯·科技（有限公司）"),
    ],
)
def test_lookalike_names_share_a_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize("a, b", [("Acme Ltd", "Acne Ltd"), ("苏州微芯科技", "苏州微芯电子"), ("Bolt", "Bold")])
def test_different_names_do_not(a, b):
    assert name_key(a) != name_key(b)


def test_a_signup_whose_name_looks_like_an_existing_one_is_flagged_and_staff_are_told(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True)
    UserFactory(is_staff=True, is_active=False)  # inactive staff get nothing
    plain = UserFactory()
    original = EnterpriseFactory(name="苏州微芯科技有限公司", name_en="Suzhou MicroChip")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {**GOOD, "organization_name": "苏州微芯科技有限公司（新）", "organization_name_en": "SUZHOU MICR0CHIP"},
        )
    assert response.status_code == 200  # accepted, not refused
    new = Organization.objects.get(name="苏州微芯科技有限公司（新）")
    assert new.name_flagged and new.resembles == original
    notices = [m for m in mailoutbox if "苏州微芯科技有限公司（新）" in m.subject]
    assert [m.to for m in notices] == [[staff.email]]
    assert "/admin/organization/edit/" in notices[0].body
    assert plain.email not in {a for m in mailoutbox for a in m.to}
    original.refresh_from_db()
    assert not original.name_flagged


def test_a_distinct_name_is_not_flagged(client, mailoutbox, django_capture_on_commit_callbacks):
    UserFactory(is_staff=True)
    EnterpriseFactory(name="杭州光电有限公司", name_en="Hangzhou Optics")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", GOOD)
    new = Organization.objects.get(name=GOOD["organization_name"])
    assert not new.name_flagged and new.resembles is None
    assert [m.to for m in mailoutbox] == [["founder@microchip.example.com"]]  # only the verification link


def test_keys_follow_name_changes():
    org = EnterpriseFactory(name="甲公司", name_en="Alpha")
    org.name_en = "Beta Co."
    org.save(update_fields=["name_en"])
    org.refresh_from_db()
    assert org.name_en_key == name_key("Beta Co.")


def test_staff_creating_a_lookalike_in_the_admin_see_it_flagged(
    client, staff_user, mailoutbox, django_capture_on_commit_callbacks
):
    original = EnterpriseFactory(name="宁波海天有限公司", name_en="Ningbo Haitian")
    client.force_login(staff_user)
    data = {
        "kind": "enterprise",
        "name": "宁波 海天 有限公司",
        "name_en": "",
        "slug": "haitian-copy",
        "size_class": "small",
        "credit_code": "",
        "province": "",
        "city": "",
        "address": "",
        "website": "",
        "contact_email": "",
        "contact_phone": "",
        "bank_details": "",
        "is_active": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/organization/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    copy = Organization.objects.get(slug="haitian-copy")
    assert copy.name_flagged and copy.resembles == original
    assert any(m.to == [staff_user.email] for m in mailoutbox)
    # The list filter shows only flagged organisations.
    listing = client.get("/admin/organization/?name_flagged=true").content.decode()
    assert "haitian-copy" in listing or "宁波 海天 有限公司" in listing
    assert "宁波海天有限公司" not in listing


def test_tto_and_buyers_cannot_see_the_flag_in_the_admin(institute, client):
    tto = make_member(institute, Role.TTO_OFFICER)
    client.force_login(tto)
    response = client.get("/admin/organization/?name_flagged=true")
    assert response.status_code in (302, 403)
