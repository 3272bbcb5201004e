"""What the domain apps tell statistics about themselves, so that statistics imports none of them.

Each domain app registers from its AppConfig.ready():

- `register_source(name, sources)`: where the ledger rebuild finds its facts. `sources()` returns
  `Source`s, each a kind of fact: the domain rows (a queryset) and the app's own function that maps
  one row to its ledger entry (the function its services record the fact with);
- `register_listing(model)`: a Wagtail page model whose pages are listings (viewed, published);
- `register_instruments(model, ...)`: the shared-instrument listing, its bookings' subject prefix and
  its cost rule (the hourly variable cost as a database expression), for the instrument figures;
- `register_deal_subject(prefix)`: ledger subjects ("app_label.model:") that are transfer deals
  (licence agreements), whose payments are licence income;
- `watch(model)`: a model whose saving or deletion changes cached figures (`figures_cache`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save

from . import freshness
from .models import TransferEvent

ZERO = Decimal("0")


@dataclass
class Source:
    """One kind of ledger fact the rebuild regenerates: which domain rows, and their entries."""

    kind: str
    source_type: str  # "app_label.model" of the rows, as in TransferEvent.source_type
    queryset: Callable  # () -> QuerySet of domain rows, one ledger entry each
    build: Callable  # (row) -> unsaved TransferEvent (statistics.services.entry), or None to skip it
    amount: str | None = None  # domain field summed against the ledger's amount
    hours: str | None = None  # domain field summed against the ledger's hours
    jobs: str | None = None  # domain field summed against the ledger's jobs
    known: Callable | None = None  # () -> what the ledger already holds, read once per rebuild, for `skip`
    skip: Callable | None = None  # (row, known) -> True when the ledger already has this fact

    def domain_figures(self):
        return _figures(self.queryset().order_by(), self.amount, self.hours, self.jobs)

    def ledger_figures(self):
        qs = TransferEvent.objects.filter(kind=self.kind, source_type=self.source_type).order_by()
        return _figures(qs, "amount", "hours", "jobs" if self.jobs else None)


def _figures(qs, amount, hours, jobs=None):
    money = DecimalField(max_digits=20, decimal_places=2)
    wanted = {"count": Count("pk")}
    if amount:
        wanted["amount"] = Coalesce(Sum(amount), ZERO, output_field=money)
    if hours:
        wanted["hours"] = Coalesce(Sum(hours), ZERO, output_field=money)
    if jobs:
        wanted["jobs"] = Coalesce(Sum(jobs), 0)
    return {"amount": ZERO, "hours": ZERO, "jobs": 0, **qs.aggregate(**wanted)}


@dataclass(frozen=True)
class Instruments:
    """The shared-instrument listing model and the rules the instrument figures need from its app."""

    model: type
    subject_prefix: str  # ledger subject of a booking, e.g. "equipment.booking:"
    variable_rate: Callable  # () -> expression on the model: variable cost per booked hour


_sources: dict[str, Callable] = {}
_listings: list = []
_deal_subjects: list[str] = []
_watched: list = []
_instruments: Instruments | None = None


def register_source(name: str, sources: Callable) -> None:
    """`sources()` -> list of `Source`, read when the ledger is rebuilt or checked. Registering a name
    again replaces it."""
    _sources[name] = sources


def sources() -> list[Source]:
    return [source for name in _sources for source in _sources[name]()]


def register_listing(model) -> None:
    if model not in _listings:
        _listings.append(model)


def listings() -> list:
    return list(_listings)


def register_instruments(model, *, subject_prefix: str, variable_rate: Callable) -> None:
    global _instruments
    _instruments = Instruments(model, subject_prefix, variable_rate)
    register_listing(model)


def instruments() -> Instruments:
    if _instruments is None:
        raise LookupError("No app registered the instruments (statistics.registry.register_instruments).")
    return _instruments


def register_deal_subject(prefix: str) -> None:
    if prefix not in _deal_subjects:
        _deal_subjects.append(prefix)


def deal_subjects_q(field="subject") -> Q:
    """Ledger rows whose subject is a transfer deal (a licence agreement); matches nothing if none."""
    if not _deal_subjects:
        return Q(pk__in=[])
    q = Q()
    for prefix in _deal_subjects:
        q |= Q(**{f"{field}__startswith": prefix})
    return q


def watch(model, *, deleted=True) -> None:
    """Saving (and, unless `deleted=False`, deleting) a `model` row through the ORM makes cached figures
    stale. `model` is a model class or its "app_label.Model"."""
    if model not in _watched:
        _watched.append(model)
    label = model if isinstance(model, str) else model._meta.label
    signals = {"saved": post_save, **({"deleted": post_delete} if deleted else {})}
    for event, signal in signals.items():
        signal.connect(freshness.changed, sender=model, dispatch_uid=f"statistics_figures_{event}_{label}")


def watched() -> list:
    return list(_watched)
