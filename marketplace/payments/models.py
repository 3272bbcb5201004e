"""Payments for what other apps register as payable (bookings, express licences, …): by Stripe or by
invoice. A payment names its subject by kind and id (see payables.py); it imports no domain app.

The database enforces the invariants: a payment is for exactly one subject, a subject has at most one
payment that is not cancelled, a Stripe PaymentIntent belongs to one payment
only, each Stripe event and each refund is stored once, and no more is refunded than was paid.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketplace.core.history import NOTE_LENGTH, StateChange
from marketplace.core.money import CurrencyField, MoneyField

from .currencies import ALLOWED_CURRENCIES
from .payables import get_payable, payable_for

ZERO = Decimal("0.00")


class Provider(models.TextChoices):
    STRIPE = "stripe", _("Card or wallet (Stripe)")
    INVOICE = "invoice", _("Invoice (bank transfer)")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    FAILED = "failed", _("Payment failed")
    SUCCEEDED = "succeeded", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    CANCELLED = "cancelled", _("Cancelled")


# Not yet paid: the buyer may (still) pay.
OPEN_STATUSES = (PaymentStatus.PENDING, PaymentStatus.FAILED)
# Money was received (some of it may have been returned since).
PAID_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
# How far along a payment is; a state change never moves to a lower rank (late or repeated events).
STATUS_RANK = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.FAILED: 0,
    PaymentStatus.CANCELLED: 1,
    PaymentStatus.SUCCEEDED: 2,
    PaymentStatus.PARTIALLY_REFUNDED: 3,
    PaymentStatus.REFUNDED: 4,
}


class PaymentQuerySet(models.QuerySet):
    def for_subject(self, subject, kind=None):
        """Payments of `subject` (a registered payable object; `kind` when it has no model)."""
        kind = kind or payable_for(subject).kind
        return self.filter(subject_kind=kind, subject_id=subject.pk)

    def live(self):
        return self.exclude(status=PaymentStatus.CANCELLED)


class Payment(models.Model):
    """What one enterprise pays one institute for one subject (a booking, a licence agreement, …)."""

    uid = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    # What is paid for: a kind registered in payables.py and the id of the object of that kind.
    subject_kind = models.CharField(_("paid for (kind)"), max_length=32)
    subject_id = models.PositiveBigIntegerField(_("paid for (id)"))
    institute = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="payments_owed",
        verbose_name=_("owed to (institute)"),
    )
    enterprise = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="payments_made",
        verbose_name=_("paid by (enterprise)"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    amount = MoneyField(_("amount"))
    currency = CurrencyField()
    provider = models.CharField(_("payment method"), max_length=16, choices=Provider.choices)
    status = models.CharField(_("status"), max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    refunded_amount = MoneyField(_("refunded"), default=ZERO)
    stripe_payment_intent_id = models.CharField(_("Stripe PaymentIntent"), max_length=255, blank=True)
    stripe_charge_id = models.CharField(_("Stripe charge"), max_length=255, blank=True)
    # A Stripe payment not yet made holds the booking's slot until then (PAYMENT_HOLD_MINUTES).
    hold_until = models.DateTimeField(_("slot held until"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    reference = models.CharField(_("payment reference"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(subject_kind=""), name="payments_payment_has_subject"),
            models.UniqueConstraint(
                fields=["subject_kind", "subject_id"],
                condition=~models.Q(status="cancelled"),
                name="payments_one_live_payment_per_subject",
            ),
            models.UniqueConstraint(
                fields=["stripe_payment_intent_id"],
                condition=~models.Q(stripe_payment_intent_id=""),
                name="payments_unique_payment_intent",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="payments_amounts_valid",
            ),
            models.CheckConstraint(condition=models.Q(status__in=PaymentStatus.values), name="payments_status_valid"),
            models.CheckConstraint(condition=models.Q(provider__in=Provider.values), name="payments_provider_valid"),
            models.CheckConstraint(
                condition=models.Q(currency__in=ALLOWED_CURRENCIES), name="payments_payment_currency_iso"
            ),
        ]
        indexes = [
            models.Index(fields=["subject_kind", "subject_id"], name="payments_subject"),
            models.Index(fields=["institute", "status", "paid_at"], name="payments_inst_status_paid"),
            models.Index(fields=["enterprise", "status"], name="payments_ent_status"),
            models.Index(fields=["status", "hold_until"], name="payments_status_hold"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self):
        return f"PAY-{self.pk:06d}" if self.pk else "PAY-new"

    @property
    def payable(self):
        """The adapter of this payment's kind (payables.py)."""
        return get_payable(self.subject_kind)

    @property
    def subject(self):
        """The object paid for (asked of its app, once per instance); None if it no longer exists."""
        if getattr(self, "_subject_cache", None) is None or self._subject_cache.pk != self.subject_id:
            try:
                self._subject_cache = self.payable.get(self.subject_id)
            except LookupError:
                return None
        return self._subject_cache

    @property
    def subject_label(self):
        subject = self.subject
        return self.payable.label(subject) if subject is not None else f"{self.subject_kind} #{self.subject_id}"

    @property
    def subject_description(self):
        subject = self.subject
        return self.payable.description(subject) if subject is not None else ""

    @property
    def subject_url(self):
        subject = self.subject
        return self.payable.url(subject) if subject is not None else ""

    @property
    def net_amount(self):
        return self.amount - self.refunded_amount

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_paid(self):
        return self.status in PAID_STATUSES

    @property
    def is_failed(self):
        return self.status == PaymentStatus.FAILED

    @property
    def is_cancelled(self):
        return self.status == PaymentStatus.CANCELLED

    @property
    def by_card(self):
        return self.provider == Provider.STRIPE

    @property
    def by_invoice(self):
        return self.provider == Provider.INVOICE


class PaymentEvent(StateChange):
    """One line of a payment's history: who or what changed it, when, from which state to which. Every
    change of a payment's status goes through `PaymentEvent.move(payment, status, source=..., ...)`; a
    line that changes no status (a PaymentIntent created, a refund pending) through `log`."""

    subject_field = "payment"
    state_field = "status"
    SOURCE_LENGTH = 120

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events", verbose_name=_("payment"))
    from_status = models.CharField(_("from"), max_length=24, choices=PaymentStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=24, choices=PaymentStatus.choices)
    # "stripe:<event id>", "staff", "buyer", "system", "reconcile"
    source = models.CharField(_("source"), max_length=SOURCE_LENGTH, blank=True)
    amount = MoneyField(_("amount"), null=True, blank=True)

    class Meta(StateChange.Meta):
        verbose_name = _("payment history entry")
        verbose_name_plural = _("payment history")

    @classmethod
    def move(cls, payment, to_status, *, actor=None, note="", fields=(), source="", amount=None):
        """`StateChange.move` with what a payment's line also says: its source and the amount moved."""
        return super().move(
            payment, to_status, actor=actor, note=note, fields=fields, source=source[: cls.SOURCE_LENGTH], amount=amount
        )

    @classmethod
    def log(cls, payment, *, from_status=None, actor=None, source="", note="", amount=None):
        """A history line that changes no status (from `from_status`, by default the current one)."""
        return cls.objects.create(
            payment=payment,
            from_status=payment.status if from_status is None else from_status,
            to_status=payment.status,
            actor=actor,
            source=source[: cls.SOURCE_LENGTH],
            note=(note or "")[:NOTE_LENGTH],
            amount=amount,
        )

    def __str__(self):
        return f"{self.payment_id}: {self.from_status} → {self.to_status}"


class PaymentRefund(models.Model):
    """Money returned on a payment; each Stripe refund is recorded once."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    amount = MoneyField(_("amount"))
    stripe_refund_id = models.CharField(_("Stripe refund"), max_length=255, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_refund_id"], condition=~models.Q(stripe_refund_id=""), name="payments_unique_refund"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_refund_positive"),
        ]

    def __str__(self):
        return f"{self.payment_id}: −{self.amount}"


class StripeEvent(models.Model):
    """A verified webhook event, stored once on first delivery and applied once."""

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    payload = models.JSONField(_("payload"))
    livemode = models.BooleanField(_("live mode"), default=False)
    deliveries = models.PositiveIntegerField(_("deliveries"), default=1)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="stripe_events")
    result = models.CharField(_("result"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.event_id} ({self.type})"


class PayoutAccount(models.Model):
    """The Stripe Connect account an institute is paid out to."""

    institute = models.OneToOneField(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="payout_account",
        verbose_name=_("institute"),
        limit_choices_to={"kind": "institute"},
    )
    stripe_account_id = models.CharField(
        _("Stripe Connect account"), max_length=255, help_text=_("The connected account id, acct_…")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payout account")
        verbose_name_plural = _("payout accounts")

    def __str__(self):
        return f"{self.institute} → {self.stripe_account_id}"


class Payout(models.Model):
    """Money passed on to an institute: a Stripe Connect transfer."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being sent")
        PAID = "paid", _("Sent")
        FAILED = "failed", _("Failed")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    institute = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="payouts", verbose_name=_("institute")
    )
    amount = MoneyField(_("amount"))
    currency = CurrencyField()
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    stripe_transfer_id = models.CharField(_("Stripe transfer"), max_length=255, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_transfer_id"],
                condition=~models.Q(stripe_transfer_id=""),
                name="payments_unique_transfer",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_payout_positive"),
            models.CheckConstraint(
                condition=models.Q(currency__in=ALLOWED_CURRENCIES), name="payments_payout_currency_iso"
            ),
        ]

    def __str__(self):
        return f"{self.institute} · {self.amount} {self.currency}"


class SideEffect(models.Model):
    """A call to Stripe that a committed state change needs (the outbox).

    Written in the same transaction as the change (a refund owed, a PaymentIntent to cancel, a
    transfer to make), carried out after the commit by a task, retried with backoff while Stripe does
    not answer, each time with the same idempotency key so Stripe acts once. `reconcile_payments`
    finishes or reports the ones still pending.
    """

    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        REFUND_UNNEEDED = "refund_unneeded", _("Refund of money not needed")
        CANCEL_INTENT = "cancel_intent", _("Cancel the PaymentIntent")
        TRANSFER = "transfer", _("Transfer to the institute")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="side_effects", verbose_name=_("payment")
    )
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="side_effects", verbose_name=_("payout")
    )
    stripe_event = models.ForeignKey(
        StripeEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="side_effects"
    )
    amount = MoneyField(_("amount"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Due for an attempt from then on; an attempt under way pushes it forward (a lease), a failed
    # attempt pushes it by the backoff.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    result = models.CharField(_("result"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending Stripe call")
        verbose_name_plural = _("pending Stripe calls")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["refund", "refund_unneeded", "cancel_intent", "transfer"]),
                name="payments_side_effect_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "done", "failed"]), name="payments_side_effect_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(payment__isnull=False) | models.Q(payout__isnull=False),
                name="payments_side_effect_has_subject",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="payments_effect_due")]

    def __str__(self):
        return f"{self.kind} {self.idempotency_key} ({self.status})"
