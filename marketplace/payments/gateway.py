"""The Stripe boundary: the only module that talks to Stripe, and the only place where amounts become
Stripe's integer minor units (and back)."""

from decimal import ROUND_HALF_UP, Decimal

import stripe
from django.conf import settings

from marketplace.core.money import quantize

from .currencies import exponent

# Tests may replace the HTTP client (recorded responses for what the local fake server cannot do).
http_client_override = None


def stripe_enabled() -> bool:
    """Stripe mode when a secret key is configured; invoice mode otherwise."""
    return bool(settings.STRIPE_SECRET_KEY)


def client(http_client=None) -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    base_addresses = {"api": base, "connect": base, "files": base} if base else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base_addresses,
        http_client=http_client or http_client_override,
        max_network_retries=2,
    )


def minor(amount: Decimal, currency: str) -> int:
    """`amount` in `currency`'s smallest unit as Stripe counts it: ¥1,234 JPY → 1234, 12.34 CNY → 1234,
    1.23 KWD → 1230. Raises ValueError for an unknown currency code."""
    if isinstance(amount, float):
        raise TypeError("Money must not be a float")
    scaled = Decimal(amount).scaleb(exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def major(value: int, currency: str) -> Decimal:
    """Stripe's minor units back into the project's two-place Decimal."""
    return quantize(Decimal(int(value or 0)).scaleb(-exponent(currency)))


def payment_method_types() -> list[str]:
    """Cards always; Alipay and WeChat Pay only where the account allows (STRIPE_PAYMENT_METHODS)."""
    allowed = {"card", "alipay", "wechat_pay"}
    types = [t for t in getattr(settings, "STRIPE_PAYMENT_METHODS", ["card"]) if t in allowed]
    return types or ["card"]


def create_payment_intent(*, amount: Decimal, currency: str, metadata: dict, idempotency_key: str) -> dict:
    types = payment_method_types()
    params = {
        "amount": minor(amount, currency),
        "currency": currency.lower(),
        "payment_method_types": types,
        "metadata": metadata,
    }
    if "wechat_pay" in types:
        params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    intent = client().v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
    return intent.to_dict()


def retrieve_payment_intent(intent_id: str, *, expand_charge=False) -> dict:
    params = {"expand": ["latest_charge"]} if expand_charge else {}
    return client().v1.payment_intents.retrieve(intent_id, params).to_dict()


def cancel_payment_intent(intent_id: str) -> dict:
    return client().v1.payment_intents.cancel(intent_id).to_dict()


def list_payment_intents():
    """Every PaymentIntent of the account, newest first on Stripe (pages fetched as needed)."""
    for intent in client().v1.payment_intents.list({"limit": 100}).auto_paging_iter():
        yield intent.to_dict()


def create_refund(*, payment_intent_id: str, amount: Decimal, currency: str, idempotency_key: str, metadata=None):
    params = {"payment_intent": payment_intent_id, "amount": minor(amount, currency)}
    if metadata:
        params["metadata"] = metadata
    return client().v1.refunds.create(params, {"idempotency_key": idempotency_key}).to_dict()


def create_transfer(*, amount: Decimal, currency: str, destination: str, idempotency_key: str, metadata=None):
    params = {
        "amount": minor(amount, currency),
        "currency": currency.lower(),
        "destination": destination,
        "metadata": metadata or {},
    }
    return client().v1.transfers.create(params, {"idempotency_key": idempotency_key}).to_dict()


def construct_event(payload: bytes, signature: str) -> dict:
    """Verify the signature (and its timestamp's freshness) and parse the event.

    Raises ValueError for an unreadable payload and stripe.SignatureVerificationError for a bad
    signature; with no webhook secret configured every event is refused.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise stripe.SignatureVerificationError("No webhook secret is configured.", signature)
    event = stripe.Webhook.construct_event(payload, signature, secret)
    return event.to_dict()


def charge_id(intent: dict) -> str:
    """The id of a PaymentIntent's latest charge (expanded or not); "" when it has none."""
    charge = intent.get("latest_charge") or ""
    return charge.get("id", "") if isinstance(charge, dict) else charge
