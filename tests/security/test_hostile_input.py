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
from collections import Counter
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
from hypothesis import HealthCheck, assume, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from equipment import services as equipment_services
from equipment.models import Booking
from ip_listings.models import LicenceAgreement, LicenceOffer, ResultPage
from ip_listings.scope import offer_errors
from marketplace.payments.gateway import major, minor
from marketplace.payments.models import Payment, StripeEvent

# The number of examples and derandomization come from the hypothesis profile (tests/conftest.py).
FEW = hsettings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
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
    """A form error, a flashed message or an error paragraph is on the page."""
    text = response.content.decode()
    if response["Content-Type"].startswith("text/plain"):  # refused before any view: a NUL byte
        return "NUL character" in text
    return "errorlist" in text or 'class="error' in text or 'class="messages"' in text or "message error" in text


# --- (a) bookings ---------------------------------------------------------------------------------------


def _open_slots(instrument):
    """A strategy of (date, start, end) the instrument accepts, built from its own rules: a day within
    its horizon past its notice, free of bookings and blackouts, inside one of that weekday's opening
    periods, on its step, between its minimum and maximum length."""
    periods = {}
    for period in instrument.opening_hours.all():
        periods.setdefault(period.weekday, []).append((period.opens, period.closes))
    taken = {b.start.astimezone(timezone.get_current_timezone()).date() for b in instrument.bookings.all()}
    taken |= {b.start.astimezone(timezone.get_current_timezone()).date() for b in instrument.blackouts.all()}
    today = timezone.localdate()
    first = 2 + instrument.min_notice_hours // 24
    days = [
        today + timedelta(days=n)
        for n in range(first, instrument.horizon_days)
        if (today + timedelta(days=n)).weekday() in periods and today + timedelta(days=n) not in taken
    ]
    step = instrument.slot_minutes

    @st.composite
    def slots(draw):
        day = draw(st.sampled_from(days))
        opens, closes = draw(st.sampled_from(periods[day.weekday()]))
        open_minutes, close_minutes = opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute
        length = draw(
            st.integers(instrument.min_booking_minutes // step, instrument.max_booking_minutes // step).map(
                lambda n: n * step
            )
        )
        assume(open_minutes + length <= close_minutes)
        start = draw(st.integers(0, (close_minutes - length - open_minutes) // step)) * step + open_minutes
        end = start + length
        return day, f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"

    return slots()


def test_booking_form_answers_any_input_with_a_booking_or_a_message(world, db, client):
    """Valid slots (from the instrument's opening hours and rules) with any posted enterprise and any
    purpose without NUL always become a booking of the buyer's own enterprise for exactly the posted period;
    anything else is a 400 with a message and creates nothing. Both kinds are reached."""
    instrument = world.x.instrument
    client.force_login(world.x.people.buyer)
    url = reverse("equipment:book", args=[instrument.pk])
    other_enterprise = str(world.y.enterprise.pk)
    any_enterprise = st.one_of(
        nasty_text,
        st.just(other_enterprise),
        st.just(str(world.x.enterprise.pk)),
        st.integers(min_value=-(2**63), max_value=2**63).map(str),
    )
    valid = st.builds(
        lambda slot, purpose, enterprise: ("valid", slot, purpose, enterprise),
        _open_slots(instrument),
        st.text(max_size=2000).filter(lambda text: "\x00" not in text),
        any_enterprise.filter(lambda value: "\x00" not in value),  # a NUL byte is refused at the door
    )
    garbage = st.builds(
        lambda day, start, end, purpose, enterprise: ("any", (day, start, end), purpose, enterprise),
        st.one_of(nasty_text, st.dates().map(str)),
        st.one_of(nasty_text, st.times().map(lambda t: t.strftime("%H:%M"))),
        st.one_of(nasty_text, st.times().map(lambda t: t.strftime("%H:%M"))),
        st.one_of(st.text(max_size=2500), st.just("\x00")),
        any_enterprise,
    )
    reached = Counter()
    hourly = set()

    @FEW
    @given(case=st.one_of(valid, garbage))
    def run(case):
        kind, (day, start, end), purpose, enterprise = case
        with rolled_back():
            before = Booking.objects.count()
            data = {"date": str(day), "start_time": start, "end_time": end, "purpose": purpose}
            data["enterprise"] = enterprise
            response = client.post(url, data)
            if kind == "valid":
                assert response.status_code == 302, response.content.decode()[:2000]
            if response.status_code == 302:
                reached[f"created ({kind})"] += 1
                event("booking created")
                booking = Booking.objects.latest("pk")
                assert Booking.objects.count() == before + 1
                # The only enterprise of this buyer, whatever was posted.
                assert booking.enterprise_id == world.x.enterprise.pk
                local = timezone.get_current_timezone()
                if kind == "valid":
                    assert booking.start.astimezone(local).strftime("%Y-%m-%d %H:%M") == f"{day} {start}"
                    assert booking.end.astimezone(local).strftime("%Y-%m-%d %H:%M") == f"{day} {end}"
                hours = Decimal((booking.end - booking.start).total_seconds()) / 3600
                assert booking.price_amount > 0 and booking.price_amount.as_tuple().exponent == -2
                hourly.add(booking.price_amount / hours)
            else:
                reached["refused"] += 1
                event("refused")
                assert response.status_code == 400
                assert _errors_shown(response)
                assert Booking.objects.count() == before

    run()
    assert reached["created (valid)"] and reached["refused"], reached
    # Every booking costs the same per hour (the buyer's tier rate), whatever its length.
    assert len(hourly) == 1, hourly


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


def test_express_accept_view_licenses_only_for_the_buyers_enterprise(world, db, client):
    """Whatever offer id, enterprise and acceptance are posted, an agreement is created exactly when the
    offer is a live express offer, the enterprise is the buyer's own and the terms are accepted, and it
    is always the buyer's own enterprise's; every refusal is a 404 or a 400 with a message.

    The expected outcome is computed from the kind of each drawn value, not by the view's own code."""
    client.force_login(world.x.people.buyer)
    own = str(world.x.enterprise.pk)
    express = [world.x.express_offer.pk, world.y.express_offer.pk]  # non-exclusive: always available
    not_express = [world.x.negotiated_offer.pk, world.y.negotiated_offer.pk]
    draft = [world.x.draft_result.offers.first().pk, world.y.draft_result.offers.first().pk]
    known = {str(pk) for pk in express + not_express + draft}
    offers = st.one_of(
        st.sampled_from(express).map(lambda pk: ("express", pk)),
        st.sampled_from(not_express).map(lambda pk: ("not express", pk)),
        st.sampled_from(draft).map(lambda pk: ("draft", pk)),
        st.one_of(nasty_text, st.integers(min_value=-(2**70), max_value=2**70).map(str))
        .filter(lambda value: value.strip().lstrip("0") not in known and "/" not in value and value)
        .map(lambda value: ("none", value)),
    )
    enterprises = st.one_of(
        st.just(("own", own)),
        st.just(("other", str(world.y.enterprise.pk))),
        nasty_text.filter(lambda value: value.strip() != own).map(lambda value: ("garbage", value)),
    )
    # A checkbox sends its value ("on") when ticked and nothing when not; an empty value or "false" (what a
    # script sends for an unticked box) reads as not ticked, any other value as ticked.
    acceptances = st.one_of(
        st.sampled_from(["on", "true", "1", "yes"]).map(lambda value: ("yes", value)),
        st.sampled_from([None, "", "false", "False"]).map(lambda value: ("no", value)),
    )
    reached = Counter()

    @FEW
    @given(offer=offers, enterprise=enterprises, accept=acceptances)
    def run(offer, enterprise, accept):
        (offer_kind, offer_id), (enterprise_kind, enterprise_value), (accept_kind, accept_value) = (
            offer,
            enterprise,
            accept,
        )
        data = {"enterprise": enterprise_value}
        if accept_value is not None:
            data["accept_terms"] = accept_value
        with rolled_back():
            before = LicenceAgreement.objects.count()
            response = client.post(reverse("ip_listings:accept_offer", args=[offer_id]), data)
            created = LicenceAgreement.objects.count() - before
            expected = offer_kind == "express" and enterprise_kind == "own" and accept_kind == "yes"
            reached["created" if expected else f"refused ({offer_kind})"] += 1
            event(f"offer {offer_kind}, enterprise {enterprise_kind}, accepted {accept_kind}")
            if expected:
                assert response.status_code == 302 and created == 1
                agreement = LicenceAgreement.objects.latest("pk")
                assert agreement.enterprise_id == world.x.enterprise.pk
                assert agreement.buyer_id == world.x.people.buyer.pk
                offer_row = LicenceOffer.objects.get(pk=offer_id)
                assert agreement.price_amount == offer_row.upfront_fee.quantize(Decimal("0.01"))
            else:
                assert created == 0
                if any("\x00" in str(value) for value in (offer_id, enterprise_value, accept_value)):
                    assert response.status_code == 400  # refused before any view: a NUL byte
                elif offer_kind in ("draft", "none"):
                    assert response.status_code == 404
                else:
                    assert response.status_code == 400
                    assert _errors_shown(response)

    run()
    assert reached["created"] and reached["refused (express)"] and reached["refused (not express)"], reached


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
    cents = minor(amount, "CNY")
    assert cents >= 0 and cents == int(amount * 100)
    assert major(cents, "CNY") == amount


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
        minor(value, "CNY")


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


odd_text = st.one_of(
    st.sampled_from(["\x00", "a\x00b", "\ud800", '"', "'", "\\", "\u202e", "\ud7ff", "\ufeff", "x" * 5000, "", "🙂"]),
    st.text(max_size=80),
)
odd_value = st.one_of(
    odd_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
    st.booleans(),
)


def test_a_signed_webhook_with_odd_characters_is_stored_or_refused_never_a_crash(world, db, client, settings):
    """Stripe retries any answer that is not 2xx for days: an event with NUL bytes, quotes, huge numbers or
    odd types in any field is stored (answered 200) or refused (400), never an exception, and a second
    delivery of it answers the same way."""
    from tests.payments.conftest import make_event, sign

    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_hostile"
    url = reverse("payments:stripe_webhook")
    reached = Counter()

    @FEW
    @given(
        event_id=st.one_of(st.just(None), odd_text.filter(bool)),
        kind=st.one_of(
            st.sampled_from(
                ["payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded", "transfer.created"]
            ),
            odd_text,
        ),
        fields=st.dictionaries(
            st.sampled_from(["id", "amount", "amount_received", "currency", "metadata", "status", "payment_intent"]),
            odd_value,
            max_size=5,
        ),
        metadata=st.dictionaries(odd_text, odd_text, max_size=3),
    )
    def run(event_id, kind, fields, metadata):
        obj = {"id": "pi_hostile", "object": "payment_intent", "amount": 100, "currency": "cny"}
        obj.update(fields)
        obj["metadata"] = metadata if "metadata" not in fields else fields["metadata"]
        data = make_event(kind, obj, event_id=event_id)
        body = json.dumps(data).encode()
        with rolled_back():
            before = StripeEvent.objects.count()
            for delivery in (1, 2):
                response = client.post(
                    url,
                    data=body,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=sign(body, secret=settings.STRIPE_WEBHOOK_SECRET),
                )
                assert response.status_code in (200, 400), (delivery, response.status_code)
                if response.status_code == 200:
                    assert StripeEvent.objects.filter(event_id=data["id"]).count() == 1
                    reached["stored"] += 1
                    event("stored")
                else:
                    assert StripeEvent.objects.count() == before
                    reached["refused"] += 1
                    event("refused")

    run()
    assert reached["stored"], reached


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
        # A NUL byte is refused before the view (no text may hold one); anything else is the view's answer.
        assert response.status_code == (400 if "\x00" in reference else 302)
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
