"""Changes to what the figures are computed from make the cached figures stale (`figures_cache`).

The domain apps record their listings' first publication themselves (their `ledger` modules) and
register the models whose changes matter (`registry.watch`)."""

from . import registry
from .models import TransferEvent


def connect():
    # Ledger rows are only ever saved (never deleted: a receiver of their deletion would keep Django from
    # deleting many at once); an organisation's size class changes the enterprise figures.
    registry.watch(TransferEvent, deleted=False)
    registry.watch("accounts.Organization")
