"""Regenerate the transfer ledger from the domain tables, and compare the two.

Each `Source` (statistics.registry) says which domain rows make one kind of event and maps a row to
its ledger entry with the domain app's own ledger function (the one its services record the fact
with). The domain apps register their sources in their AppConfig.ready(); statistics registers the
payment sources itself. Rebuilding inserts the events that are missing (the ledger's unique key (kind,
source_type, source_id) keeps it idempotent: rows already written by the domain services are left
alone). Checking compares, per kind and source type, the number of events and the sums of amount and
hours with the same figures computed from the domain.
"""

from decimal import Decimal

from django.apps import apps

from . import registry
from .models import TransferEvent
from .registry import Source
from .services import entry, listing_of, subject_key, subject_of

K = TransferEvent.Kind
BATCH = 1000


def _model(label):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _paid_subject(payment):
    """The booking or licence agreement a payment is for, as "label:pk"."""
    subject = subject_of(payment)
    return subject_key(subject) if subject is not None else ""


def _paid_listing(payment):
    subject = subject_of(payment)
    return listing_of(subject)


def payment_sources():
    Payment = _model("payments.Payment")
    PaymentRefund = _model("payments.PaymentRefund")
    if Payment is None or PaymentRefund is None:
        return []

    def payment_event(p):
        return entry(
            K.PAYMENT_RECEIVED,
            p,
            occurred_at=p.paid_at,
            institute=p.institute_id,
            enterprise=p.enterprise_id,
            amount=p.amount,
            currency=p.currency,
            listing=_paid_listing(p),
            subject=_paid_subject(p),
            data={"provider": p.provider},
        )

    def refund_event(r):
        p = r.payment
        return entry(
            K.PAYMENT_REFUNDED,
            (p._meta.label_lower, f"{p.pk}:{r.stripe_refund_id or r.pk}"),
            occurred_at=r.created_at,
            institute=p.institute_id,
            enterprise=p.enterprise_id,
            amount=r.amount,
            currency=p.currency,
            listing=_paid_listing(p),
            subject=_paid_subject(p),
            data={"refund": r.pk},
        )

    def refund_known(r, known):
        return r.pk in known

    return [
        Source(
            K.PAYMENT_RECEIVED,
            "payments.payment",
            lambda: Payment.objects.filter(paid_at__isnull=False),
            payment_event,
            amount="amount",
        ),
        Source(
            K.PAYMENT_REFUNDED,
            "payments.payment",
            lambda: PaymentRefund.objects.select_related("payment"),
            refund_event,
            amount="amount",
            skip=refund_known,
        ),
    ]


def all_sources():
    return registry.sources()


def _known_refunds():
    """Refund ids already in the ledger (a refund event names its refund in `data`)."""
    return {
        refund
        for refund in TransferEvent.objects.filter(kind=K.PAYMENT_REFUNDED)
        .values_list("data__refund", flat=True)
        .iterator()
        if refund is not None
    }


def rebuild(sources=None, progress=lambda iterable, **kw: iterable) -> dict:
    """Insert the missing events of every source; returns the number inserted per kind."""
    inserted = {}
    for source in sources or all_sources():
        known = _known_refunds() if source.skip else set()
        before = TransferEvent.objects.filter(kind=source.kind, source_type=source.source_type).count()
        qs = source.queryset()
        batch = []
        for row in progress(qs.iterator(chunk_size=BATCH), desc=f"{source.kind} ({source.source_type})"):
            if source.skip and source.skip(row, known):
                continue
            event = source.build(row)
            if event is None or event.occurred_at is None:
                continue
            batch.append(event)
            if len(batch) >= BATCH:
                TransferEvent.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        if batch:
            TransferEvent.objects.bulk_create(batch, ignore_conflicts=True)
        after = TransferEvent.objects.filter(kind=source.kind, source_type=source.source_type).count()
        inserted[f"{source.kind} ({source.source_type})"] = after - before
    return inserted


def compare(sources=None) -> list[dict]:
    """Per kind and source type: the ledger's and the domain's count, amount and hours."""
    rows = []
    for source in sources or all_sources():
        ledger, domain = source.ledger_figures(), source.domain_figures()
        rows.append(
            {
                "kind": source.kind,
                "source_type": source.source_type,
                "ledger": ledger,
                "domain": domain,
                "agrees": all(Decimal(ledger[k]) == Decimal(domain[k]) for k in ("count", "amount", "hours", "jobs")),
            }
        )
    return rows
