"""Read queries about payments: who may see, pay or mark what, and what each institute is owed."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.http import Http404

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Organization, Role

from . import statements
from .models import PAID_STATUSES, ZERO, Payment, PaymentRefund, Payout, PayoutAccount, Provider
from .payables import payable_for

# Who sees an institute's statements (who marks an invoice paid is asked of the payable).
STATEMENT_ROLES = [Role.FACILITY_MANAGER, Role.TTO_OFFICER]


def payments_visible_to(user):
    """Payments of the user's enterprises (as buyer) and of the institutes they keep (facility manager,
    TTO officer); every payment for platform staff."""
    qs = Payment.objects.select_related("institute", "enterprise")
    if not user.is_authenticated:
        return qs.none()
    if user.is_staff:
        return qs
    return qs.filter(
        Q(enterprise__in=account_selectors.enterprises_of(user))
        | Q(institute__in=account_selectors.institutes_of(user, roles=STATEMENT_ROLES))
    )


def payment_for_user_or_404(user, pk) -> Payment:
    """The payment `pk` (an int: `<id:pk>` in urls.py) if the user may see it; a foreign id answers
    exactly like a missing one."""
    try:
        return payments_visible_to(user).get(pk=pk)
    except Payment.DoesNotExist:
        raise Http404 from None


def can_pay(user, payment) -> bool:
    return account_selectors.has_role(user, payment.enterprise_id, [Role.BUYER])


def can_mark_paid(user, payment) -> bool:
    """Platform staff; otherwise staff of the institute owed in the roles the payable names (the facility
    manager for a booking, the TTO officer for a licence agreement)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return account_selectors.has_role(user, payment.institute_id, list(payment.payable.staff_roles))


def statement_institutes(user):
    if not user.is_authenticated:
        return Organization.objects.none()
    if user.is_staff:
        return Organization.objects.filter(kind=Organization.Kind.INSTITUTE, is_active=True)
    return account_selectors.institutes_of(user, roles=STATEMENT_ROLES)


def institute_for_statement_or_404(user, pk) -> Organization:
    try:
        return statement_institutes(user).get(pk=pk)
    except Organization.DoesNotExist:
        raise Http404 from None


def _sum(qs, name):
    return qs.aggregate(total=Sum(name))["total"] or ZERO


def owed_to(institute, currency) -> Decimal:
    """What the platform holds for the institute in `currency`: card payments received, less refunds,
    less payouts made or under way. (Invoices are paid straight to the institute's bank account.)"""
    card = Payment.objects.filter(
        institute=institute, currency=currency, provider=Provider.STRIPE, status__in=PAID_STATUSES
    )
    paid_out = Payout.objects.filter(institute=institute, currency=currency).exclude(status=Payout.Status.FAILED)
    return _sum(card, "amount") - _sum(card, "refunded_amount") - _sum(paid_out, "amount")


@dataclass
class StatementTotals:
    currency: str
    gross: Decimal = ZERO
    refunds: Decimal = ZERO
    net: Decimal = ZERO
    by_invoice: Decimal = ZERO
    by_card: Decimal = ZERO
    paid_out: Decimal = ZERO
    outstanding: Decimal = ZERO

    @property
    def is_owed(self) -> bool:
        """Something is still owed to the institute in this currency (it may be paid out)."""
        return self.outstanding > ZERO


@dataclass
class Statement:
    institute: Organization
    start: object
    end: object
    payments: list = field(default_factory=list)
    payouts: list = field(default_factory=list)
    totals: list = field(default_factory=list)
    payout_account: object = None
    # What other apps add (`payments.statements`), e.g. internal charges of bookings.
    sections: list = field(default_factory=list)


def statement(institute, start, end) -> Statement:
    """Payments owed to `institute` received from `start` (a date, inclusive) to `end` (exclusive), with
    totals per currency: gross, refunds, net (split by invoice and card), paid out in the period, and
    what is still owed overall."""
    payments = list(
        Payment.objects.filter(
            institute=institute, status__in=PAID_STATUSES, paid_at__date__gte=start, paid_at__date__lt=end
        )
        .select_related("enterprise")
        .order_by("paid_at", "pk")
    )
    payouts = list(
        Payout.objects.filter(institute=institute, created_at__date__gte=start, created_at__date__lt=end).order_by(
            "created_at"
        )
    )
    totals = {}
    for payment in payments:
        t = totals.setdefault(payment.currency, StatementTotals(payment.currency))
        t.gross += payment.amount
        t.refunds += payment.refunded_amount
        t.net += payment.net_amount
        if payment.provider == Provider.INVOICE:
            t.by_invoice += payment.net_amount
        else:
            t.by_card += payment.net_amount
    for payout in payouts:
        t = totals.setdefault(payout.currency, StatementTotals(payout.currency))
        if payout.status != Payout.Status.FAILED:
            t.paid_out += payout.amount
    for currency, t in totals.items():
        t.outstanding = owed_to(institute, currency)
    return Statement(
        institute=institute,
        start=start,
        end=end,
        payments=payments,
        payouts=payouts,
        totals=[totals[c] for c in sorted(totals)],
        payout_account=PayoutAccount.objects.filter(institute=institute).first(),
        sections=statements.sections(institute, start, end),
    )


def refunds_of(payment):
    return PaymentRefund.objects.filter(payment=payment)


def payment_box(subject, *, staff=False) -> dict:
    """What the payment box on a payable's page shows: its live payment, or whether (and how much) the
    buyer may pay now (`staff`: the payee's staff look at it and never pay)."""
    payable = payable_for(subject)
    payment = Payment.objects.for_subject(subject, payable.kind).live().order_by("-pk").first()
    amount, currency = payable.price(subject)
    return {
        "payment": payment,
        "payable": payable.can_be_paid(subject) and payment is None and not staff,
        "kind": payable.kind,
        "subject": subject,
        "amount": amount,
        "currency": currency,
    }


def card_payments() -> bool:
    """Whether buyers pay by card (Stripe mode) or by invoice (no Stripe key configured)."""
    from .gateway import stripe_enabled

    return stripe_enabled()
