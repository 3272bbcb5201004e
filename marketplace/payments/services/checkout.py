"""Starting a payment (a buyer's, by card or invoice), its Stripe PaymentIntent, switching to invoice,
and cancelling the payments not yet made of a subject that was cancelled."""

import stripe
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Role
from marketplace.core.money import quantize

from .. import gateway, selectors
from ..models import OPEN_STATUSES, ZERO, Payment, PaymentEvent, PaymentStatus, Provider, SideEffect
from ..payables import get_payable, payable_for
from .records import hold_duration, lock_payment
from .side_effects import add_side_effect


def create_payment(*, payable, subject, actor, provider, hold=False):
    if provider not in Provider.values:
        raise ValidationError(_("Choose a payment method."))
    if provider == Provider.STRIPE and not gateway.stripe_enabled():
        raise ValidationError(_("Card payment is not available; pay by invoice."))
    amount, currency = payable.price(subject)
    amount = quantize(amount)
    if amount <= ZERO:
        raise ValidationError(_("There is nothing to pay."))
    now = timezone.now()
    payment = Payment(
        subject_kind=payable.kind,
        subject_id=subject.pk,
        institute_id=payable.payee_id(subject),
        enterprise_id=payable.payer_id(subject),
        created_by=actor,
        amount=amount,
        currency=currency,
        provider=provider,
        status=PaymentStatus.PENDING,
        hold_until=now + hold_duration() if (hold and provider == Provider.STRIPE) else None,
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # Another request started the payment of this subject first: use that one.
        return Payment.objects.for_subject(subject, payable.kind).live().get()
    payment._subject_cache = subject
    PaymentEvent.log(payment, from_status="", actor=actor, source="buyer", amount=amount)
    return payment


def live_payment_of(subject, *, kind=None):
    """The payment of `subject` that is not cancelled, or None."""
    return Payment.objects.for_subject(subject, kind).live().order_by("-pk").first()


@transaction.atomic
def start_payment(subject, *, actor, provider=None, kind=None) -> Payment:
    """The payment of `subject` (any registered payable; `kind` when it has no model): the existing live
    one, or a new one by `provider` (Stripe when configured, else invoice), if it can be paid now."""
    payable = get_payable(kind) if kind else payable_for(subject)
    subject = payable.lock(subject)
    if not account_selectors.has_role(actor, payable.payer_id(subject), [Role.BUYER]):
        raise PermissionDenied(_("You do not pay for this enterprise."))
    existing = live_payment_of(subject, kind=payable.kind)
    if existing is not None:
        return existing
    if not payable.can_be_paid(subject):
        raise ValidationError(_("This cannot be paid now."))
    return create_payment(
        payable=payable,
        subject=subject,
        hold=payable.holds_subject,
        actor=actor,
        provider=provider or (Provider.STRIPE if gateway.stripe_enabled() else Provider.INVOICE),
    )


def _intent_metadata(payment):
    return {
        "payment": str(payment.uid),
        "payment_id": str(payment.pk),
        "institute": str(payment.institute_id),
        payment.subject_kind: str(payment.subject_id),
    }


@transaction.atomic
def ensure_payment_intent(payment) -> dict:
    """The Stripe PaymentIntent of an open Stripe payment, created once (idempotency key per payment)."""
    payment = lock_payment(payment)
    if payment.provider != Provider.STRIPE or payment.status not in OPEN_STATUSES:
        raise ValidationError(_("This payment cannot be paid by card now."))
    if payment.stripe_payment_intent_id:
        return gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
    intent = gateway.create_payment_intent(
        amount=payment.amount,
        currency=payment.currency,
        metadata=_intent_metadata(payment),
        idempotency_key=f"payment-{payment.uid}-intent",
    )
    payment.stripe_payment_intent_id = intent["id"]
    payment.save(update_fields=["stripe_payment_intent_id", "updated_at"])
    PaymentEvent.log(payment, source="stripe", note=f"PaymentIntent {intent['id']}")
    return intent


def switch_to_invoice(payment, *, actor) -> Payment:
    """The buyer pays an open card payment by invoice instead. The PaymentIntent is cancelled at Stripe
    first; if Stripe says it is already paid or being paid, nothing changes."""
    payment = Payment.objects.get(pk=payment.pk)
    if not selectors.can_pay(actor, payment):
        raise PermissionDenied(_("You do not pay for this enterprise."))
    if payment.provider == Provider.INVOICE:
        return payment
    if payment.status not in OPEN_STATUSES:
        raise ValidationError(_("This payment can no longer be changed."))
    if payment.stripe_payment_intent_id:
        intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
        if intent["status"] in ("succeeded", "processing", "requires_capture"):
            raise ValidationError(_("A card payment is already under way; wait for its result."))
        if intent["status"] != "canceled":
            try:
                gateway.cancel_payment_intent(payment.stripe_payment_intent_id)
            except stripe.InvalidRequestError:
                raise ValidationError(_("A card payment is already under way; wait for its result.")) from None
    with transaction.atomic():
        payment = lock_payment(payment)
        if payment.status not in OPEN_STATUSES or payment.provider != Provider.STRIPE:
            return payment
        payment.provider = Provider.INVOICE
        payment.hold_until = None
        PaymentEvent.move(
            payment,
            PaymentStatus.PENDING,
            actor=actor,
            source="buyer",
            note="invoice chosen",
            fields=["provider", "hold_until"],
        )
    return payment


def cancel_open_payments(subject, *, actor=None, note="", kind=None):
    """`subject` (a booking, an agreement, …) was cancelled (call inside its transaction): its payment
    not yet made is cancelled with it — an invoice is void, a PaymentIntent is cancelled at Stripe after
    the commit (side effect) — and the payment page no longer offers to pay. Money that arrives all the
    same is refunded by the success event."""
    payable = get_payable(kind) if kind else payable_for(subject)
    open_payments = Payment.objects.for_subject(subject, payable.kind).filter(status__in=OPEN_STATUSES)
    for pk in list(open_payments.values_list("pk", flat=True)):
        payment = lock_payment(pk)
        if payment.status not in OPEN_STATUSES:
            continue
        payment.hold_until = None
        PaymentEvent.move(
            payment,
            PaymentStatus.CANCELLED,
            actor=actor,
            source="system",
            note=note or f"{payable.kind} cancelled",
            fields=["hold_until"],
        )
        if payment.provider == Provider.STRIPE and payment.stripe_payment_intent_id:
            add_side_effect(
                SideEffect.Kind.CANCEL_INTENT, key=f"payment-{payment.uid}-cancel-intent", payment=payment, actor=actor
            )
