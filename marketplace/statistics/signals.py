"""A listing (instrument or result page) published for the first time is a ledger event."""

from wagtail.signals import page_published

from .models import TransferEvent
from .services import record_event


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
