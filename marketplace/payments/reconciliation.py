"""Compare local payments with Stripe's PaymentIntents; optionally repair from Stripe's truth.

Stripe is the truth for money: whether a PaymentIntent succeeded, failed or was cancelled, and how
much of it was refunded. Repairs go through the same service functions as webhooks, so they confirm
bookings, write the ledger and never move a payment backwards. Amount differences and payments that
are paid locally but not at Stripe are only reported: a person must look at them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from . import gateway
from .models import OPEN_STATUSES, PAID_STATUSES, Payment, PaymentEvent, PaymentStatus, Provider, SideEffect
from .services import webhooks
from .services.records import lock_payment
from .services.refunds import refund_unneeded_payment
from .services.side_effects import execute_side_effect
from .services.subjects import confirmed_by

MISSING_LOCALLY = "missing_locally"
MISSING_AT_STRIPE = "missing_at_stripe"
STATUS_MISMATCH = "status_mismatch"
AMOUNT_MISMATCH = "amount_mismatch"
REFUND_MISMATCH = "refund_mismatch"

# A side effect or stored event still pending this long after it was recorded is finished (or
# reported) by reconcile_payments.
STALE_AFTER = timedelta(minutes=5)


@dataclass
class Finding:
    kind: str
    intent_id: str
    payment_id: int | None
    local: str
    remote: str
    repaired: bool = False

    def __str__(self):
        mark = " (repaired)" if self.repaired else ""
        return f"{self.kind}: {self.intent_id} payment={self.payment_id} local={self.local} stripe={self.remote}{mark}"


def _charge(intent):
    charge = intent.get("latest_charge")
    return charge if isinstance(charge, dict) else None


def expected_status(intent, charge=None) -> str:
    """The local status Stripe's state of a PaymentIntent implies."""
    status = intent.get("status")
    if status == "succeeded":
        refunded = int((charge or {}).get("amount_refunded") or 0)
        if refunded <= 0:
            return PaymentStatus.SUCCEEDED
        if refunded >= int(intent.get("amount_received") or intent.get("amount") or 0):
            return PaymentStatus.REFUNDED
        return PaymentStatus.PARTIALLY_REFUNDED
    if status == "canceled":
        return PaymentStatus.CANCELLED
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        return PaymentStatus.FAILED
    return PaymentStatus.PENDING


def reconcile(*, since=None, repair=False, progress=None) -> list[Finding]:
    """Findings for every PaymentIntent created since `since` (a datetime; all when None) and every
    local card payment of that period. `progress` wraps the iteration (e.g. tqdm)."""
    findings = []
    seen = set()
    since_ts = int(since.timestamp()) if since else None
    intents = gateway.list_payment_intents()
    if progress is not None:
        intents = progress(intents)
    for intent in intents:
        if since_ts is not None and int(intent.get("created") or 0) < since_ts:
            continue
        seen.add(intent["id"])
        findings.extend(_check_intent(intent, repair=repair))
    local = Payment.objects.exclude(stripe_payment_intent_id="")
    if since is not None:
        local = local.filter(created_at__gte=since)
    for payment in local.exclude(stripe_payment_intent_id__in=seen).iterator():
        findings.append(Finding(MISSING_AT_STRIPE, payment.stripe_payment_intent_id, payment.pk, payment.status, "—"))
    return findings


def _check_intent(intent, *, repair):
    payment = Payment.objects.filter(stripe_payment_intent_id=intent["id"]).first()
    if payment is None:
        return [_missing_locally(intent, repair=repair)]
    findings = []
    received_currency = (intent.get("currency") or "").upper()
    if intent.get("amount") != gateway.minor(payment.amount, payment.currency) or received_currency != payment.currency:
        findings.append(
            Finding(
                AMOUNT_MISMATCH,
                intent["id"],
                payment.pk,
                f"{payment.amount} {payment.currency}",
                f"{gateway.major(intent.get('amount'), received_currency)} {received_currency}",
            )
        )
        return findings  # never applied automatically
    charge = _charge(intent)
    if intent.get("status") == "succeeded" and charge is None:
        intent = gateway.retrieve_payment_intent(intent["id"], expand_charge=True)
        charge = _charge(intent)
    expected = expected_status(intent, charge)
    if payment.provider == Provider.INVOICE and payment.is_paid:
        if intent.get("status") == "succeeded":
            findings.append(Finding(STATUS_MISMATCH, intent["id"], payment.pk, "invoice paid", "card paid too"))
        return findings
    if expected == payment.status:
        if charge and gateway.major(charge.get("amount_refunded"), payment.currency) != payment.refunded_amount:
            finding = Finding(
                REFUND_MISMATCH,
                intent["id"],
                payment.pk,
                str(payment.refunded_amount),
                str(gateway.major(charge.get("amount_refunded"), payment.currency)),
            )
            if repair:
                finding.repaired = _repair(payment, intent, charge)
            findings.append(finding)
        return findings
    finding = Finding(STATUS_MISMATCH, intent["id"], payment.pk, payment.status, expected)
    if repair:
        finding.repaired = _repair(payment, intent, charge)
    findings.append(finding)
    return findings


def _repair(payment, intent, charge) -> bool:
    """Apply Stripe's state through the webhook service functions. False when nothing could be done
    (e.g. paid here but not at Stripe: a person must look)."""
    refund_after = None
    status = intent.get("status")
    with transaction.atomic():
        payment = lock_payment(payment)
        before = (payment.status, payment.refunded_amount)
        if status == "succeeded":
            if not payment.is_paid or (payment.provider == Provider.STRIPE and not confirmed_by(payment)):
                _result, refund_after = webhooks.apply_intent_succeeded(payment, intent, source="reconcile")
            if charge and int(charge.get("amount_refunded") or 0) > 0:
                webhooks.apply_refund_object(payment, charge, source="reconcile")
        elif status == "canceled":
            webhooks.apply_intent_canceled(payment, source="reconcile")
        elif status == "requires_payment_method" and intent.get("last_payment_error"):
            webhooks.apply_intent_failed(payment, intent, source="reconcile")
        changed = (payment.status, payment.refunded_amount) != before
    if refund_after is not None:
        refund_unneeded_payment(refund_after)
    return changed


def _missing_locally(intent, *, repair):
    """A PaymentIntent Stripe has and no local payment points to. If its metadata names a local payment
    that has no PaymentIntent yet (the id was lost), repairing links them and applies Stripe's state."""
    metadata = intent.get("metadata") or {}
    uid = metadata.get("payment")
    payment = Payment.objects.filter(uid=uid).first() if uid else None
    finding = Finding(MISSING_LOCALLY, intent["id"], payment.pk if payment else None, "—", intent.get("status", ""))
    if not repair or payment is None or payment.stripe_payment_intent_id:
        return finding
    if payment.provider != Provider.STRIPE or payment.status not in (*OPEN_STATUSES, *PAID_STATUSES):
        return finding
    with transaction.atomic():
        locked = lock_payment(payment)
        if locked.stripe_payment_intent_id:
            return finding
        locked.stripe_payment_intent_id = intent["id"]
        locked.save(update_fields=["stripe_payment_intent_id", "updated_at"])
        PaymentEvent.log(locked, source="reconcile", note=f"PaymentIntent {intent['id']} linked")
    charge = _charge(intent)
    if intent.get("status") == "succeeded" and charge is None:
        intent = gateway.retrieve_payment_intent(intent["id"], expand_charge=True)
        charge = _charge(intent)
    _repair(Payment.objects.get(pk=payment.pk), intent, charge)
    finding.repaired = True
    return finding


@dataclass
class SideEffectReport:
    effect: object
    flagged: bool

    def __str__(self):
        e = self.effect
        state = "NEEDS ATTENTION " if self.flagged else ""
        subject = f"payment={e.payment_id}" if e.payment_id else f"payout={e.payout_id}"
        detail = f" result={e.result}" if e.result else f" last_error={e.last_error}" if e.last_error else ""
        return f"{state}side effect {e.kind} {e.idempotency_key} {subject} {e.status} attempts={e.attempts}{detail}"


def finish_side_effects(*, now=None, older_than=STALE_AFTER) -> list[SideEffectReport]:
    """Stored webhook events never applied, then every side effect still pending `older_than` after
    it was recorded: one more attempt when it is due (a crashed attempt is due again once its lease
    ran out). Reports each, flagging those still pending or failed (a person must look)."""
    now = now or timezone.now()
    webhooks.apply_unapplied_events(now=now, older_than=older_than)
    stale = SideEffect.objects.filter(status=SideEffect.Status.PENDING, created_at__lte=now - older_than)
    reports = []
    for pk in list(stale.values_list("pk", flat=True)):
        effect = execute_side_effect(pk, now=now)
        reports.append(SideEffectReport(effect, flagged=effect.status != SideEffect.Status.DONE))
    for effect in SideEffect.objects.filter(status=SideEffect.Status.FAILED).exclude(
        pk__in=[r.effect.pk for r in reports]
    ):
        reports.append(SideEffectReport(effect, flagged=True))
    return reports


def parse_since(value: str):
    day = datetime.strptime(value, "%Y-%m-%d")
    return timezone.make_aware(day)
