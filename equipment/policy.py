"""What a booker is told before committing: the price, the cancellation deadline and what happens next.

Built from the same rules the booking service applies (approval, internal charge, payment mode, expiry),
so the form never promises what the service then does differently.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.payments import selectors as payment_selectors

from .rates import RateTier, price_for, tier_for, tier_rate


@dataclass
class Price:
    organization: object
    tier_label: str
    rate: Decimal
    amount: Decimal | None


@dataclass
class BookingPolicy:
    currency: str
    window_hours: int
    deadline: datetime | None = None
    hours: Decimal | None = None
    prices: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    cancellation: list = field(default_factory=list)


def booking_hours(start, end) -> Decimal:
    return (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"))


def booking_policy(instrument, organizations, start=None, end=None, now=None) -> BookingPolicy:
    """The policy of booking `instrument` for one of `organizations`, for the slot `start`–`end` if known."""
    window = instrument.cancellation_window_hours
    policy = BookingPolicy(currency=instrument.currency, window_hours=window)
    if start is not None and end is not None and end > start:
        policy.hours = booking_hours(start, end)
        policy.deadline = start - timedelta(hours=window)
    organizations = list(organizations)
    for org in organizations:
        tier = tier_for(org, instrument)
        rate = tier_rate(instrument, tier)
        amount = price_for(rate, policy.hours) if policy.hours is not None else None
        policy.prices.append(Price(org, RateTier(tier).label, rate, amount))
    internal = any(not org.is_enterprise for org in organizations)
    enterprise = any(org.is_enterprise for org in organizations)
    expiry = settings.BOOKING_REQUEST_EXPIRY_HOURS
    steps = []
    if instrument.auto_approve:
        steps.append(_("Your request is approved at once: this listing approves bookings automatically."))
    elif expiry:
        steps.append(
            ngettext(
                "The facility reviews your request; if nobody answers within %(n)d hour, it expires.",
                "The facility reviews your request; if nobody answers within %(n)d hours, it expires.",
                expiry,
            )
            % {"n": expiry}
        )
    else:
        steps.append(_("The facility reviews your request and approves or rejects it, with a reason."))
    if enterprise:
        if payment_selectors.card_payments():
            steps.append(_("Once approved, pay by card; the booking is confirmed when paid."))
        else:
            steps.append(
                _(
                    "Once approved, the facility invoices your enterprise; the booking is confirmed when the "
                    "invoice is paid."
                )
            )
        if expiry:
            steps.append(
                ngettext(
                    "An approved booking not paid within %(n)d hour is released.",
                    "An approved booking not paid within %(n)d hours is released.",
                    expiry,
                )
                % {"n": expiry}
            )
    if internal:
        steps.append(
            _("Institute users: confirmed on approval and charged to your institute under your project code; no card.")
        )
    steps.append(_("You receive an email at each step; your bookings are listed under My bookings."))
    policy.steps = steps
    cancellation = [_("Until it is approved, you can withdraw your request at any time, free of charge.")]
    if policy.deadline is not None and policy.deadline < (now or timezone.now()):
        cancellation.append(
            ngettext(
                "This slot starts within %(n)d hour: once approved, only the facility can cancel it.",
                "This slot starts within %(n)d hours: once approved, only the facility can cancel it.",
                window,
            )
            % {"n": window}
        )
    elif policy.deadline is not None:
        cancellation.append(
            _("After approval, you can cancel free of charge until %(deadline)s (%(n)d hours before the start).")
            % {"deadline": _local(policy.deadline), "n": window}
        )
    else:
        cancellation.append(
            ngettext(
                "After approval, you can cancel free of charge up to %(n)d hour before the start.",
                "After approval, you can cancel free of charge up to %(n)d hours before the start.",
                window,
            )
            % {"n": window}
        )
    cancellation.append(_("After that, contact the facility: only it can cancel (and refund in full)."))
    policy.cancellation = cancellation
    return policy


def _local(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")
