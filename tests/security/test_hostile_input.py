"""Hostile input: arbitrary strings, numbers and dates thrown at bookings, licence offers and payments
(property-based, hypothesis); upload limits and type checks; rich text sanitised by the editor; typed
text escaped wherever it is shown; security headers of the production settings.

Invariants: never a 500 (the test client re-raises any exception), bad input gets a clear message,
nothing is created or changed when refused, money never goes negative or loses cents."""

import io
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from equipment import services as equipment_services
from equipment.models import Booking
from ip_listings.models import LicenceAgreement, LicenceOffer, ResultPage
from ip_listings.scope import offer_errors
from marketplace.core.money import from_minor_units, to_minor_units
from marketplace.payments.models import Payment, StripeEvent

FEW = hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
NASTY = [
    "",
    " ",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "-1",
    "-0.01",
    "0",
    "1e309",
    "9" * 40,
    "0x10",
    "１２",
    "2026-02-30",
    "24:00",
    "23:59:60",
    "9999-12-31",
    "0001-01-01",
    "\x00",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "١٢:٠٠",
]
nasty_text = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))


@contextmanager
def rolled_back():
    """One hypothesis example: whatever it creates is undone before the next."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _errors_shown(response):
    text = response.content.decode()
    return "errorlist" in text or 'class="error' in text or "messages" in text


# --- (a) bookings ---------------------------------------------------------------------------------------


@FEW
@given(
    day=st.one_of(nasty_text, st.dates().map(str)),
    start=st.one_of(nasty_text, st.times().map(lambda t: t.strftime("%H:%M"))),
    end=st.one_of(nasty_text, st.times().map(lambda t: t.strftime("%H:%M"))),
    purpose=st.text(max_size=2500),
    enterprise=st.one_of(nasty_text, st.integers(min_value=-(2**63), max_value=2**63)),
)
def test_booking_form_answers_any_input_with_a_booking_or_a_message(
    world, db, client, day, start, end, purpose, enterprise
):
    client.force_login(world.x.people.buyer)
    url = reverse("equipment:book", args=[world.x.instrument.pk])
    with rolled_back():
        before = Booking.objects.count()
        data = {"date": day, "start_time": start, "end_time": end, "purpose": purpose, "enterprise": enterprise}
        response = client.post(url, data)
        if response.status_code == 302:
            booking = Booking.objects.latest("pk")
            assert Booking.objects.count() == before + 1
            # The only enterprise of this buyer, whatever was posted.
            assert booking.enterprise == world.x.enterprise
            assert booking.end > booking.start
            assert booking.price_amount >= 0 and booking.price_amount.as_tuple().exponent == -2
        else:
            assert response.status_code == 400
            assert _errors_shown(response)
            assert Booking.objects.count() == before


timezones = st.timezones()
moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.one_of(timezones, st.none())
)


@FEW
@given(start=moments, end=moments, purpose=st.text(max_size=3000))
def test_request_booking_refuses_any_bad_period_and_creates_nothing(world, db, start, end, purpose):
    with rolled_back():
        before = Booking.objects.count()
        try:
            booking = equipment_services.request_booking(
                instrument=world.x.instrument,
                user=world.x.people.buyer,
                enterprise=world.x.enterprise,
                start=start,
                end=end,
                purpose=purpose,
            )
        except ValidationError as error:
            assert error.messages and all(m.strip() for m in error.messages)
            assert Booking.objects.count() == before
        else:
            assert start.tzinfo is not None and end > start
            assert booking.price_amount >= 0 and booking.price_amount.as_tuple().exponent == -2
            assert len(booking.purpose) <= 2000


@FEW
@given(offset_hours=st.integers(min_value=-48, max_value=48), zone=timezones)
def test_request_booking_reads_any_time_zone_as_the_same_instant(world, db, offset_hours, zone):
    """A start given in any zone is the same instant: either bookable or refused with a message."""
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=5, hours=offset_hours)
    start = base.astimezone(zone)
    with rolled_back():
        try:
            booking = equipment_services.request_booking(
                instrument=world.x.instrument,
                user=world.x.people.buyer,
                enterprise=world.x.enterprise,
                start=start,
                end=start + timedelta(hours=1),
            )
        except ValidationError as error:
            assert error.messages
        else:
            booking.refresh_from_db()
            assert booking.start == base and booking.hours == Decimal("1.00")


def test_a_buyer_cannot_book_for_an_enterprise_they_do_not_belong_to(world, db):
    start, end = timezone.now() + timedelta(days=5), timezone.now() + timedelta(days=5, hours=1)
    before = Booking.objects.count()
    with pytest.raises(PermissionDenied):
        equipment_services.request_booking(
            instrument=world.x.instrument,
            user=world.x.people.buyer,
            enterprise=world.y.enterprise,
            start=start,
            end=end,
        )
    assert Booking.objects.count() == before


# --- (b) licence offers and the express accept view --------------------------------------------------------

numbers = st.one_of(
    nasty_text,
    st.decimals(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.none(),
)


@FEW
@given(
    fee=numbers,
    royalty=numbers,
    term=st.one_of(st.none(), st.integers(min_value=-(10**6), max_value=10**6)),
    express=st.booleans(),
    terms=st.text(max_size=20),
)
def test_offer_terms_are_either_refused_with_a_message_or_sane(fee, royalty, term, express, terms):
    errors = offer_errors(
        upfront_fee=fee, royalty_percent=royalty, express=express, standard_terms=terms, term_months=term
    )
    assert all(str(message).strip() for message in errors.values())
    if "upfront_fee" not in errors and fee is not None:
        assert Decimal(fee).is_finite() and Decimal(fee) >= 0
    if "royalty_percent" not in errors and royalty is not None:
        assert Decimal(royalty).is_finite() and 0 <= Decimal(royalty) <= 100
    if "term_months" not in errors and term is not None:
        assert term > 0


@FEW
@given(fee=st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**11), max_value=10**11))
def test_an_offer_fee_is_stored_to_the_cent_or_refused(world, db, fee):
    offer = LicenceOffer(
        result=world.x.result,
        mode="non_exclusive",
        territory="worldwide",
        upfront_fee=fee,
        royalty_percent=Decimal("1"),
    )
    try:
        offer.full_clean()
    except ValidationError as error:
        assert fee < 0 and "upfront_fee" in error.message_dict
    else:
        assert fee >= 0 and offer.upfront_fee == fee


@FEW
@given(trl=st.integers(min_value=-1000, max_value=1000))
def test_a_result_trl_outside_1_to_9_is_refused(world, db, trl):
    page = ResultPage.objects.get(pk=world.x.result.pk)
    page.trl = trl
    try:
        page.clean()
    except ValidationError as error:
        assert not 1 <= trl <= 9 and "trl" in error.message_dict
    else:
        assert 1 <= trl <= 9


@FEW
@given(
    enterprise=st.one_of(nasty_text, st.integers(min_value=-(2**63), max_value=2**63)),
    accept=st.one_of(nasty_text, st.sampled_from(["on", "true", "1", "false", "0", "off"])),
    offer_id=st.one_of(st.none(), nasty_text, st.integers(min_value=-(2**63), max_value=2**63)),
)
def test_express_accept_view_licenses_only_for_the_buyers_enterprise(world, db, client, enterprise, accept, offer_id):
    client.force_login(world.x.people.buyer)
    target = world.y.express_offer.pk if offer_id is None else offer_id
    with rolled_back():
        before = LicenceAgreement.objects.count()
        try:
            url = reverse("ip_listings:accept_offer", args=[target])
        except Exception:  # noqa: BLE001 - a path the URL pattern itself refuses cannot be requested
            return
        response = client.post(url, {"enterprise": enterprise, "accept_terms": accept})
        assert response.status_code in (302, 400, 404)
        if response.status_code == 302 and LicenceAgreement.objects.count() > before:
            agreement = LicenceAgreement.objects.latest("pk")
            assert agreement.enterprise == world.x.enterprise
            assert agreement.price_amount >= 0 and agreement.price_amount.as_tuple().exponent == -2
        else:
            assert LicenceAgreement.objects.count() == before
            if response.status_code == 400:
                assert _errors_shown(response)


def test_express_accept_with_another_enterprises_id_creates_nothing(world, db, client):
    client.force_login(world.x.people.buyer)
    before = LicenceAgreement.objects.count()
    response = client.post(
        reverse("ip_listings:accept_offer", args=[world.y.express_offer.pk]),
        {"enterprise": world.y.enterprise.pk, "accept_terms": "on"},
    )
    assert response.status_code in (302, 400)
    assert not LicenceAgreement.objects.filter(enterprise=world.y.enterprise, buyer=world.x.people.buyer).exists()
    assert LicenceAgreement.objects.count() == before


# --- (c) payments ----------------------------------------------------------------------------------------


@hsettings(max_examples=200, deadline=None)
@given(amount=st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_minor_units_keep_every_cent(amount):
    minor = to_minor_units(amount, "CNY")
    assert minor >= 0 and minor == int(amount * 100)
    assert from_minor_units(minor, "CNY") == amount


@FEW
@given(amount=st.one_of(nasty_text, st.decimals(allow_nan=True, allow_infinity=True)))
def test_minor_units_refuse_what_is_not_an_amount(amount):
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return
    if value.is_finite():
        return
    with pytest.raises((InvalidOperation, ValueError, TypeError)):
        to_minor_units(value, "CNY")


@FEW
@given(
    payload=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
    signature=st.one_of(
        nasty_text,
        st.builds(lambda t, v: f"t={t},v1={v}", st.integers(), st.text(alphabet="0123456789abcdef", max_size=64)),
    ),
)
def test_webhook_with_a_bad_signature_is_refused_and_stores_nothing(world, db, client, settings, payload, signature):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_hostile"
    payment = Payment.objects.get(pk=world.x.payment.pk)
    response = client.post(
        reverse("payments:stripe_webhook"),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert Payment.objects.get(pk=payment.pk).status == payment.status


def test_webhook_signed_with_another_secret_or_too_old_is_refused(world, db, client, settings):
    from tests.payments.conftest import make_event, sign

    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_hostile"
    payment = world.x.payment
    body = json.dumps(
        make_event("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent", "amount": 1})
    ).encode()
    url = reverse("payments:stripe_webhook")
    for header in (
        sign(body, secret="whsec_someone_else"),
        sign(body, secret="whsec_test_hostile", timestamp=int(timezone.now().timestamp()) - 3600),
        "",
    ):
        response = client.post(url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
        assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert Payment.objects.get(pk=payment.pk).status == payment.status


@FEW
@given(reference=st.one_of(nasty_text, st.text(min_size=100, max_size=400)))
def test_marking_an_invoice_paid_keeps_its_amount_whatever_reference_is_typed(world, db, client, reference):
    client.force_login(world.x.people.manager)
    payment = world.x.payment
    with rolled_back():
        response = client.post(reverse("payments:mark_paid", args=[payment.pk]), {"reference": reference})
        assert response.status_code == 302
        after = Payment.objects.get(pk=payment.pk)
        assert after.amount == payment.amount and after.amount >= 0
        assert after.amount.as_tuple().exponent == -2


@FEW
@given(
    pk=st.one_of(
        nasty_text.filter(lambda s: "/" not in s and s.strip()), st.integers(min_value=-(2**70), max_value=2**70)
    )
)
def test_nonsense_ids_answer_404(world, db, client, pk):
    client.force_login(world.x.people.buyer)
    for name in ("payments:detail", "equipment:booking", "ip_listings:agreement", "ip_listings:inquiry"):
        try:
            url = reverse(name, args=[pk])
        except Exception:  # noqa: BLE001 - the URL pattern refuses it before any view runs
            continue
        assert client.get(url).status_code == 404


# --- uploads ---------------------------------------------------------------------------------------------


def _png(size=(2, 2)):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def admin_client(world, db, client):
    client.force_login(world.staff)
    return client


def _upload_image(client, name, content, content_type="image/png"):
    from wagtail.images import get_image_model

    before = get_image_model().objects.count()
    response = client.post(
        reverse("wagtailimages:add"),
        {"title": name, "file": SimpleUploadedFile(name, content, content_type=content_type), "collection": 1},
    )
    return response, get_image_model().objects.count() - before


def _upload_document(client, name, content, content_type="application/octet-stream"):
    from wagtail.documents import get_document_model

    before = get_document_model().objects.count()
    response = client.post(
        reverse("wagtaildocs:add"),
        {"title": name, "file": SimpleUploadedFile(name, content, content_type=content_type), "collection": 1},
    )
    return response, get_document_model().objects.count() - before


def test_a_real_small_image_is_accepted(admin_client, db):
    response, added = _upload_image(admin_client, "photo.png", _png())
    assert response.status_code == 302 and added == 1


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/octet-stream"),
        ("setup.png", b"MZ\x90\x00" + b"\x00" * 200, "image/png"),  # a program renamed
        ("page.png", b"<html><script>alert(1)</script></html>", "image/png"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
        ),
    ],
)
def test_images_that_are_not_allowed_pictures_are_refused(admin_client, db, name, content, content_type):
    response, added = _upload_image(admin_client, name, content, content_type)
    assert response.status_code == 200 and added == 0
    assert "error" in response.content.decode()


def test_an_image_over_the_upload_limit_is_refused(admin_client, db):
    content = _png() + b"\x00" * settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
    response, added = _upload_image(admin_client, "big.png", content)
    assert added == 0 and response.status_code == 200


@pytest.mark.parametrize(
    ("name", "content"),
    [("virus.exe", b"MZ\x90\x00"), ("page.html", b"<script>alert(1)</script>"), ("logo.svg", b"<svg onload=x>")],
)
def test_documents_of_a_disallowed_type_are_refused(admin_client, db, name, content):
    response, added = _upload_document(admin_client, name, content)
    assert added == 0 and response.status_code == 200


def test_a_document_over_the_upload_limit_is_refused_and_a_small_pdf_accepted(admin_client, db):
    response, added = _upload_document(admin_client, "ok.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    assert added == 1
    big = b"%PDF-1.4\n" + b"0" * settings.WAGTAILDOCS_MAX_UPLOAD_SIZE
    response, added = _upload_document(admin_client, "big.pdf", big, "application/pdf")
    assert added == 0 and response.status_code == 200


def test_a_request_body_over_the_limit_is_refused(world, db, client):
    body = "q=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(reverse("accounts:login"), data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


# --- rich text and typed text ------------------------------------------------------------------------------

DIRTY_HTML = (
    '<p onclick="steal()">Abstract<script>alert("s1")</script>'
    '<a href="javascript:alert(\'s2\')">link</a><img src="x" onerror="alert(\'s3\')"/>'
    '<iframe src="https://evil.example"></iframe></p>'
)
DIRTY_CONTENTSTATE = json.dumps(
    {
        "blocks": [
            {
                "key": "a",
                "type": "unstyled",
                "depth": 0,
                "text": '<script>alert("s4")</script> click',
                "inlineStyleRanges": [],
                "entityRanges": [{"offset": 31, "length": 5, "key": 0}],
            }
        ],
        "entityMap": {"0": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": "javascript:alert('s5')"}}},
    }
)
FORBIDDEN_IN_PAGES = ("<script>alert", "javascript:", "onerror=", "onclick=", "<iframe")


def _clean_through_editor(features, html=None, contentstate=None):
    """What the Wagtail editor stores for a rich text field: HTML → editor → database, or what the
    browser sends (contentstate JSON) → database."""
    from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter

    converter = ContentstateConverter(features)
    if html is not None:
        contentstate = converter.from_database_format(html)
    return converter.to_database_format(contentstate)


@pytest.mark.parametrize("source", ["html", "contentstate"])
def test_rich_text_from_the_editor_reaches_the_result_page_without_scripts(world, db, client, source):
    from ip_listings.models import RICH_TEXT_FEATURES

    kwargs = {"html": DIRTY_HTML} if source == "html" else {"contentstate": DIRTY_CONTENTSTATE}
    stored = _clean_through_editor(RICH_TEXT_FEATURES, **kwargs)
    page = ResultPage.objects.get(pk=world.x.result.pk)
    page.abstract = page.abstract_en = page.advantages = stored
    page.save_revision().publish()
    text = client.get(page.url).content.decode()
    assert "Result X" in text
    for forbidden in FORBIDDEN_IN_PAGES:
        assert forbidden not in text.lower(), forbidden


def test_rich_text_blocks_of_an_instrument_page_reach_it_without_scripts(world, db, client):
    from wagtail.rich_text import RichText

    from equipment.models import InstrumentPage

    stored = _clean_through_editor(["bold", "italic", "ul", "ol", "link"], html=DIRTY_HTML)
    page = InstrumentPage.objects.get(pk=world.x.instrument.pk)
    assert "text" in page.specifications.stream_block.child_blocks
    page.specifications = [("text", RichText(stored))]
    page.save_revision().publish()
    text = client.get(page.url).content.decode()
    assert "Abstract" in text
    for forbidden in FORBIDDEN_IN_PAGES:
        assert forbidden not in text.lower(), forbidden


SCRIPT = '<script>alert("typed")</script><img src=x onerror=alert(1)>'


def test_typed_text_is_escaped_on_every_page_that_shows_it(world, db, client):
    """Purposes, reasons, inquiry subjects and messages, notes: shown as text, never as markup."""
    from ip_listings import services as ip_services

    x = world.x
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=8)
    booking = equipment_services.request_booking(
        instrument=x.instrument,
        user=x.people.buyer,
        enterprise=x.enterprise,
        start=start,
        end=start + timedelta(hours=1),
        purpose=SCRIPT,
    )
    equipment_services.reject_booking(booking, actor=x.people.manager, reason=SCRIPT)
    inquiry = ip_services.open_inquiry(
        result=x.result, buyer=x.people.buyer, enterprise=x.enterprise, subject=SCRIPT, message=SCRIPT
    )
    ip_services.post_message(inquiry, author=x.people.tto, body=SCRIPT)
    ip_services.move_inquiry(inquiry, "discussion", actor=x.people.tto, note=SCRIPT)
    pages = {
        x.people.buyer: [
            reverse("equipment:booking", args=[booking.pk]),
            reverse("equipment:my_bookings"),
            reverse("ip_listings:inquiry", args=[inquiry.pk]),
            reverse("ip_listings:inquiries"),
        ],
        x.people.manager: [
            reverse("equipment:manage_booking", args=[booking.pk]),
            reverse("equipment:manage") + f"?day={start.date().isoformat()}",
        ],
        x.people.tto: [
            reverse("ip_listings:inquiry", args=[inquiry.pk]),
            reverse("ip_listings:inquiries"),
            reverse("ip_listings:tto"),
        ],
    }
    shown = 0
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            text = client.get(url).content.decode()
            assert "<script>alert(&quot;typed" not in text and '<script>alert("typed")' not in text, url
            assert "<img src=x onerror" not in text, url
            shown += "&lt;script&gt;alert(" in text
    assert shown >= len([u for urls in pages.values() for u in urls]) - 2


# --- headers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        lambda w: "/",
        lambda w: reverse("instruments"),
        lambda w: reverse("results"),
        lambda w: reverse("statistics:public"),
        lambda w: w.x.instrument.url,
        lambda w: w.x.result.url,
        lambda w: reverse("accounts:login"),
        lambda w: reverse("accounts:signup"),
    ],
    ids=["home", "instruments", "results", "stats", "instrument", "result", "login", "signup"],
)
def test_main_public_pages_send_csp_and_security_headers(world, db, client, url):
    response = client.get(url(world))
    assert response.status_code == 200
    policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_check_deploy_is_clean_under_production_settings():
    root = Path(settings.BASE_DIR) if hasattr(settings, "BASE_DIR") else Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
        "SECRET_KEY": "production-like-" + "k" * 20 + "Zq8-!x" + "7" * 30,
        "ALLOWED_HOSTS": "marketplace.example.com",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests of the same run
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
