"""A listing (instrument or result page) published for the first time is a ledger event; changes to
what the figures are computed from make the cached figures stale (`figures_cache`)."""

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published

from . import figures_cache
from .models import TransferEvent
from .services import record_event

# Saved or deleted through the ORM, these change cached figures. Ledger rows are never deleted (and a
# receiver of their deletion would keep Django from deleting many at once).
SIGNALS = {"saved": post_save, "deleted": post_delete}
FIGURES_SOURCES = [
    ("saved", TransferEvent),
    ("saved", "equipment.InstrumentPage"),
    ("deleted", "equipment.InstrumentPage"),
    ("saved", "accounts.Organization"),
    ("deleted", "accounts.Organization"),
]


def record_first_publication(sender, instance, **kwargs):
    institute_id = getattr(instance, "institute_id", None)
    if institute_id is None or instance.first_published_at is None:
        return
    record_event(
        TransferEvent.Kind.LISTING_PUBLISHED,
        institute=institute_id,
        source=instance,
        occurred_at=instance.first_published_at,
        listing=instance.pk,
    )


def connect():
    page_published.connect(record_first_publication, dispatch_uid="statistics_listing_published")
    for event, sender in FIGURES_SOURCES:
        label = sender if isinstance(sender, str) else sender._meta.label
        SIGNALS[event].connect(figures_cache.changed, sender=sender, dispatch_uid=f"statistics_figures_{event}_{label}")
