"""What a payment can be for: the payable kinds other apps register, so payments knows none of them.

An app whose objects are paid for (equipment: bookings; ip_listings: express licence agreements; a
future one: auction deposits) writes a `Payable` adapter in its own `payable.py` and registers it in
its AppConfig.ready():

    from marketplace.payments.payables import register
    register(BookingPayable())

Payments then stores (kind, id) on the payment and asks the adapter everything about the subject:
its price and payee, who may pay, whether it can still be paid, and what happens when it is paid,
refunded or released. Payments imports no domain app (import-linter contract "payments-independent").
"""

from decimal import Decimal

HUNDRED = Decimal("100")


class Payable:
    """The protocol a payable kind implements. `kind` is the key stored on payments and used in URLs
    (/payments/<kind>/<id>/); `model` (optional) lets `payable_for(obj)` find the adapter of an object."""

    kind: str = ""
    model = None
    # A card payment not yet made holds the subject (e.g. a booked slot) for PAYMENT_HOLD_MINUTES;
    # `release` is called when the hold expires.
    holds_subject = False
    # Who, besides platform staff, marks an invoice for this kind paid (roles in the payee institute).
    staff_roles: tuple = ()

    # --- finding the subject ---
    def get(self, pk):
        """The subject with id `pk`; raises LookupError when there is none."""
        try:
            return self.model.objects.get(pk=pk)
        except self.model.DoesNotExist:
            raise LookupError(pk) from None

    def for_buyer(self, user, pk):
        """The subject `pk` if `user` may pay for it (or see its payment page), else None."""
        raise NotImplementedError

    def lock(self, subject):
        """The subject's row, locked until the transaction ends, fresh from the database."""
        return subject

    # --- what is paid ---
    def price(self, subject) -> tuple[Decimal, str]:
        """(amount, ISO currency) to pay."""
        return subject.price_amount, subject.currency

    def payee_id(self, subject) -> int:
        """The institute (accounts.Organization id) the money is owed to."""
        return subject.institute_id

    def payer_id(self, subject) -> int:
        """The enterprise (accounts.Organization id) that pays."""
        return subject.enterprise_id

    def label(self, subject) -> str:
        """A short name for pages, statements and emails, e.g. "Booking #12"."""
        raise NotImplementedError

    def description(self, subject) -> str:
        """One line describing what is paid for (invoice line, payment page)."""
        return ""

    def url(self, subject) -> str:
        """The path of the subject's own page."""
        return ""

    def confirmed_text(self, subject) -> str:
        """The sentence of the "payment received" email saying what the payment did."""
        return ""

    def listing_id(self, subject) -> int | None:
        """The id of the listing page (instrument, result, …) the ledger files its money under, if any."""
        return None

    # --- its state ---
    def can_be_paid(self, subject) -> bool:
        """Whether a new payment may be started for it now."""
        raise NotImplementedError

    def confirm(self, subject, *, payment_number, actor, reference) -> bool:
        """The money for it was received: confirm it through its app's own function. True when it is
        (now, or already) confirmed by the payment `payment_number`; False when it can no longer be
        (cancelled, released, or confirmed by other means): the money must then go back."""
        raise NotImplementedError

    def confirmed_by(self, subject, payment_number) -> bool:
        """Whether the subject is confirmed by the payment `payment_number` (fresh from the database)."""
        raise NotImplementedError

    def release(self, subject, *, note):
        """A card payment's hold expired unpaid: give what was held back."""

    def refund_percent(self, subject, *, by_payee, now) -> Decimal:
        """The cancellation policy: the share (0–100) of the price returned when the paid subject is
        cancelled at `now`, by the payee (`by_payee`) or by the payer."""
        return HUNDRED


_registry: dict[str, Payable] = {}


def register(payable: Payable) -> Payable:
    """Register a payable kind (from an AppConfig.ready()). Registering the same kind again replaces it."""
    if not payable.kind or "/" in payable.kind or len(payable.kind) > 32:
        raise ValueError(f"invalid payable kind {payable.kind!r}")
    _registry[payable.kind] = payable
    return payable


def get_payable(kind: str) -> Payable:
    """The adapter of `kind`; LookupError for a kind nobody registered."""
    try:
        return _registry[kind]
    except KeyError:
        raise LookupError(f"no payable kind {kind!r}") from None


def payable_for(subject) -> Payable:
    """The adapter for an object (by its model), LookupError when it is not payable."""
    for payable in _registry.values():
        if payable.model is not None and isinstance(subject, payable.model):
            return payable
    raise LookupError(f"{type(subject).__name__} is not payable")


def kinds() -> list[str]:
    return sorted(_registry)
