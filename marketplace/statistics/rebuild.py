"""Regenerate the transfer ledger from the domain tables, and compare the two.

Each `Source` (statistics.registry) says which domain rows make one kind of event and maps a row to
its ledger entry with the domain app's own ledger function (the one its services record the fact
with). The apps whose facts these are (equipment, ip_listings, payments) register their sources in
their AppConfig.ready(); statistics names none of them. Rebuilding inserts the events that are
missing (the ledger's unique key (kind, source_type, source_id) keeps it idempotent: rows already
written by the services are left alone). Checking compares, per kind and source type, the number of
events and the sums of amount and hours with the same figures computed from the domain.
"""

from decimal import Decimal

from . import registry
from .models import TransferEvent

BATCH = 1000


def all_sources():
    return registry.sources()


def rebuild(sources=None, progress=lambda iterable, **kw: iterable) -> dict:
    """Insert the missing events of every source; returns the number inserted per kind."""
    inserted = {}
    for source in sources or all_sources():
        known = source.known() if source.known else set()
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


# Figures are sums of amounts and hours with two decimals; SQLite sums them as binary floats, in an order
# that differs between the ledger and the domain tables (926.800000000001 against 926.8).
SUM_PRECISION = Decimal("0.000001")


def _same(a, b) -> bool:
    return Decimal(a).quantize(SUM_PRECISION) == Decimal(b).quantize(SUM_PRECISION)


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
                "agrees": all(_same(ledger[k], domain[k]) for k in ("count", "amount", "hours", "jobs")),
            }
        )
    return rows
