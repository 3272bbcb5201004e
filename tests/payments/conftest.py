"""Fixtures of the payments tests: a local fake Stripe server (localstripe) on 127.0.0.1, signed
webhook events built exactly as Stripe builds them, and approved bookings to pay."""

import asyncio
import hashlib
import hmac
import json
import pickle
import socket
import tempfile
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from cms.models import InstitutePage
from equipment import services as equipment_services
from equipment.models import BookingMode, InstrumentCategory, InstrumentPage, OpeningHours
from ip_listings import services as ip_services
from ip_listings.models import DealMode
from marketplace.payments import gateway
from marketplace.payments.models import Payment, PaymentStatus, Provider
from tests.ip_listings.conftest import make_result, offer

WEBHOOK_SECRET = "whsec_test_secret_0123456789"
SECRET_KEY = "sk_test_localstripe"
PUBLISHABLE_KEY = "pk_test_localstripe"


# --- localstripe ----------------------------------------------------------------------------------


class LocalStripe:
    """localstripe's aiohttp app served from a background thread, bound to 127.0.0.1 on a free port,
    its state pickled into a temporary folder instead of /tmp."""

    def __init__(self):
        from localstripe import resources, server  # the fake Stripe server: loaded only by tests that start it

        self.resources = resources
        self.server = server
        self.folder = tempfile.TemporaryDirectory(prefix="localstripe-")
        state = Path(self.folder.name) / "state.pickle"
        store = resources.store

        def dump_to_disk():
            with open(state, "wb") as f:
                pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)

        store.dump_to_disk = dump_to_disk
        store.try_load_from_disk = lambda: None
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def _run(self):
        from aiohttp import web  # localstripe's web framework: loaded only with it

        asyncio.set_event_loop(self.loop)
        self.runner = web.AppRunner(self.server.app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        self.loop.run_until_complete(site.start())
        self.ready.set()
        self.loop.run_forever()

    def start(self):
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("localstripe did not start")
        return self

    def stop(self):
        async def _cleanup():
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(_cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.folder.cleanup()

    def flush(self):
        self.resources.store.clear()


@pytest.fixture(scope="session")
def localstripe_server():
    server = LocalStripe().start()
    yield server
    server.stop()


@pytest.fixture
def stripe_mode(settings, localstripe_server):
    """Stripe mode against the local fake server, with a clean Stripe state for each test."""
    localstripe_server.flush()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_server.url
    settings.STRIPE_PAYMENT_METHODS = ["card"]
    return localstripe_server


@pytest.fixture
def invoice_mode(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    return settings


def pay_with_card(intent_id, number="4242424242424242"):
    """What the Payment Element does in the browser: a card payment method, set on the intent, then
    confirmed. Returns the PaymentIntent (dict) or raises stripe.CardError on a decline."""

    client = gateway.client()
    method = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    client.v1.payment_intents.update(intent_id, {"payment_method": method.id})
    return client.v1.payment_intents.confirm(intent_id).to_dict()


# --- webhook events --------------------------------------------------------------------------------


def sign(payload: bytes, secret=WEBHOOK_SECRET, timestamp=None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


_counter = iter(range(1, 10**9))


def make_event(event_type, obj, *, event_id=None):
    return {
        "id": event_id or f"evt_test_{next(_counter):08d}",
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }


@pytest.fixture
def post_event(client, settings):
    """post_event(event_dict, secret=..., timestamp=...) → the response of the webhook endpoint."""

    def _post(event, *, secret=None, timestamp=None, signature=None):
        payload = json.dumps(event).encode()
        header = signature if signature is not None else sign(payload, secret or WEBHOOK_SECRET, timestamp)
        return client.post(
            "/payments/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )

    return _post


def intent_object(payment, *, status="succeeded", amount=None, currency=None, charge="ch_test_1", **extra):
    """A PaymentIntent as Stripe sends it in events, for `payment` (amounts in minor units)."""

    minor = gateway.minor(payment.amount, payment.currency) if amount is None else amount
    obj = {
        "id": payment.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": minor,
        "amount_received": minor if status == "succeeded" else 0,
        "currency": (currency or payment.currency).lower(),
        "status": status,
        "latest_charge": charge,
        "metadata": {"payment": str(payment.uid)},
    }
    obj.update(extra)
    return obj


def charge_object(payment, *, refunded_minor, charge="ch_test_1", refunds=None):

    return {
        "id": charge,
        "object": "charge",
        "amount": gateway.minor(payment.amount, payment.currency),
        "amount_refunded": refunded_minor,
        "currency": payment.currency.lower(),
        "payment_intent": payment.stripe_payment_intent_id,
        "refunded": refunded_minor >= gateway.minor(payment.amount, payment.currency),
        "refunds": {"object": "list", "data": refunds or []},
    }


# --- bookings -------------------------------------------------------------------------------------


def make_instrument(institute, *, title_en="Scanning electron microscope", currency="CNY", **fields):
    defaults = {
        "slug": f"instrument-{InstrumentPage.objects.count() + 1}",
        "category": InstrumentCategory.objects.get(slug="electron-optics"),
        "booking_mode": BookingMode.ASSISTED,
        "purchase_price": Decimal("3000000.00"),
        "service_life_years": 10,
        "annual_maintenance": Decimal("120000.00"),
        "annual_staff_share": Decimal("80000.00"),
        "planned_hours_per_year": 2000,
        "consumables_per_hour": Decimal("35.50"),
        "utilities_per_hour": Decimal("12.25"),
        "operator_per_hour": Decimal("60.00"),
        "min_notice_hours": 24,
        "cancellation_window_hours": 48,
        "currency": currency,
    }
    defaults.update(fields)
    page = InstrumentPage(
        title="扫描电子显微镜",
        title_en=title_en,
        opening_hours=[OpeningHours(weekday=d, opens="08:00", closes="20:00") for d in range(7)],
        **defaults,
    )
    InstitutePage.objects.get(organization=institute).add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def slot(days_ahead=5, hour=9, hours=1):
    day = timezone.localdate() + timedelta(days=days_ahead)
    start = timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=hour)))
    return start, start + timedelta(hours=hours)


@pytest.fixture
def instrument(institute):
    return make_instrument(institute)


@pytest.fixture
def approved_booking(instrument, buyer, enterprise, facility_manager):
    """approved_booking(days_ahead=5, hour=9, hours=1) → an approved booking of `instrument` by `buyer`."""

    def _make(days_ahead=5, hour=9, hours=1, target=None):
        start, end = slot(days_ahead, hour, hours)
        booking = equipment_services.request_booking(
            instrument=target or instrument, user=buyer, enterprise=enterprise, start=start, end=end
        )
        equipment_services.approve_booking(booking, actor=facility_manager)
        booking.refresh_from_db()
        return booking

    return _make


@pytest.fixture
def booking(approved_booking):
    return approved_booking()


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET


@pytest.fixture
def card_payment(booking, buyer, webhook_secret):
    """An open card payment of `booking` whose PaymentIntent id is known (no Stripe call needed to
    apply events to it)."""

    return Payment.objects.create(
        subject_kind="booking",
        subject_id=booking.pk,
        institute=booking.institute,
        enterprise=booking.enterprise,
        created_by=buyer,
        amount=booking.price_amount,
        currency=booking.currency,
        provider=Provider.STRIPE,
        status=PaymentStatus.PENDING,
        stripe_payment_intent_id=f"pi_test_{booking.pk:06d}",
        hold_until=timezone.now() + timedelta(minutes=30),
    )


@pytest.fixture
def express_agreement(institute, buyer, enterprise):

    result = make_result(
        institute, offers=[offer(DealMode.NON_EXCLUSIVE, express=True, upfront_fee=Decimal("20000.00"))]
    )
    return ip_services.accept_express_offer(result.offers.get(), buyer=buyer, enterprise=enterprise, accept_terms=True)
