"""A new payable kind needs no change in payments: a kind registered here, in the test, is paid by
invoice through the ordinary pages and services, and its own app is told when it is paid, cancelled or
refunded. Payments imports no domain app (checked by import-linter in `make lint`; here too)."""

import ast
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from marketplace.accounts.models import Role
from marketplace.payments import payables, services
from marketplace.payments.models import Payment, PaymentStatus, Provider
from marketplace.payments.services import invoices


@dataclass
class Deposit:
    """An auction deposit: a plain object, not even a model."""

    pk: int
    institute_id: int
    enterprise_id: int
    price_amount: Decimal = Decimal("500.00")
    currency: str = "CNY"
    status: str = "open"
    reference: str = ""
    released: list = field(default_factory=list)


class DepositPayable(payables.Payable):
    kind = "deposit"
    model = Deposit
    staff_roles = (Role.TTO_OFFICER,)

    def __init__(self):
        self.store = {}

    def get(self, pk):
        try:
            return self.store[int(pk)]
        except KeyError:
            raise LookupError(pk) from None

    def for_buyer(self, user, pk):
        deposit = self.store.get(int(pk))
        if deposit is None or not user.memberships.filter(organization_id=deposit.enterprise_id).exists():
            return None
        return deposit

    def label(self, subject):
        return f"Deposit D-{subject.pk}"

    def description(self, subject):
        return "Auction lot 7"

    def url(self, subject):
        return f"/auctions/deposits/{subject.pk}/"

    def confirmed_text(self, subject):
        return f"Deposit D-{subject.pk} is lodged."

    def can_be_paid(self, subject):
        return subject.status == "open"

    def confirm(self, subject, *, payment_number, actor, reference):
        if subject.status == "lodged":
            return payment_number in subject.reference
        if subject.status != "open":
            return False
        subject.status, subject.reference = "lodged", reference
        return True

    def confirmed_by(self, subject, payment_number):
        return payment_number in subject.reference

    def refund_percent(self, subject, *, by_payee, now):
        return Decimal("100") if by_payee else Decimal("80")


@pytest.fixture
def deposits(institute, enterprise, monkeypatch):
    # Registered for this test only: the registry is as it was afterwards.
    monkeypatch.setattr(payables, "_registry", dict(payables._registry))
    payable = payables.register(DepositPayable())
    payable.store[7] = Deposit(pk=7, institute_id=institute.pk, enterprise_id=enterprise.pk)
    return payable


def test_a_kind_registered_outside_payments_is_paid_by_invoice_and_confirmed(
    invoice_mode, client, deposits, buyer, tto, enterprise, institute, django_capture_on_commit_callbacks, mailoutbox
):
    deposit = deposits.store[7]
    client.force_login(buyer)
    page = client.get("/payments/deposit/7/")
    assert page.status_code == 200
    assert "Deposit D-7" in page.content.decode() and "Auction lot 7" in page.content.decode()

    response = client.post("/payments/deposit/7/", {"provider": Provider.INVOICE})
    payment = Payment.objects.for_subject(deposit).get()
    assert response["Location"].endswith(f"/payments/{payment.pk}/")
    assert (payment.subject_kind, payment.subject_id) == ("deposit", 7)
    assert (payment.amount, payment.currency, payment.provider) == (Decimal("500.00"), "CNY", Provider.INVOICE)
    assert (payment.institute_id, payment.enterprise_id) == (institute.pk, enterprise.pk)
    # The buyer's pages name the deposit and link to its own page.
    detail = client.get(f"/payments/{payment.pk}/").content.decode()
    assert "Deposit D-7" in detail and "/auctions/deposits/7/" in detail
    assert "Deposit D-7" in client.get(f"/payments/{payment.pk}/invoice/").content.decode()
    assert deposit.status == "open"  # nothing is confirmed before the money arrives

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invoices.mark_invoice_paid(payment, actor=tto, reference="bank 42")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert deposit.status == "lodged" and payment.number in deposit.reference
    assert any("Deposit D-7 is lodged." in m.body for m in mailoutbox)
    # Paid: the page no longer offers to pay; it sends to the payment.
    assert client.get("/payments/deposit/7/")["Location"].endswith(f"/payments/{payment.pk}/")


def test_only_the_roles_the_kind_names_mark_its_invoice_paid(invoice_mode, deposits, buyer, facility_manager, tto):
    payment = services.start_payment(deposits.store[7], actor=buyer, provider=Provider.INVOICE)
    with pytest.raises(Exception) as refused:
        invoices.mark_invoice_paid(payment, actor=facility_manager)
    assert refused.type.__name__ == "PermissionDenied"
    invoices.mark_invoice_paid(payment, actor=tto)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED


def test_a_kind_that_cannot_be_paid_now_is_refused(invoice_mode, client, deposits, buyer):
    deposits.store[7].status = "withdrawn"
    with pytest.raises(ValidationError):
        services.start_payment(deposits.store[7], actor=buyer, provider=Provider.INVOICE)
    client.force_login(buyer)
    client.post("/payments/deposit/7/", {"provider": Provider.INVOICE})
    assert not Payment.objects.filter(subject_kind="deposit").exists()


def test_the_pay_page_of_someone_elses_or_an_unknown_subject_is_404(invoice_mode, client, deposits, other_buyer):
    client.force_login(other_buyer)
    assert client.get("/payments/deposit/7/").status_code == 404
    assert client.get("/payments/deposit/8/").status_code == 404
    assert client.get("/payments/nothing/7/").status_code == 404


def test_cancelling_a_paid_subject_refunds_what_its_own_policy_says(invoice_mode, deposits, buyer, tto):
    """The refund share is asked of the kind (80 % when the payer cancels, here), not computed by payments."""
    deposit = deposits.store[7]
    payment = services.start_payment(deposit, actor=buyer, provider=Provider.INVOICE)
    invoices.mark_invoice_paid(payment, actor=tto)
    services.refund_for_cancelled(deposit, actor=buyer, by_payee=False)
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("400.00")
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED


def test_payments_imports_no_domain_app():
    """No module of marketplace/payments imports equipment, ip_listings or cms, even inside a function."""
    root = Path(__file__).resolve().parents[2] / "marketplace" / "payments"
    offending = []
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offending += [
                f"{path.name}: {name}" for name in names if name.split(".")[0] in ("equipment", "ip_listings", "cms")
            ]
    assert offending == []
