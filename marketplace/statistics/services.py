"""Writing to the transfer ledger. Each app maps its facts to ledger rows in its own `ledger` module
(`entry`); its services `record` them when something happens."""

from decimal import Decimal

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from .models import ListingView, TransferEvent


def source_key(obj):
    """(source_type, source_id) for a model instance, e.g. ("equipment.booking", "42")."""
    return obj._meta.label_lower, str(obj.pk)


def subject_key(obj):
    """ "app_label.model:pk" of a model instance, the form stored in TransferEvent.subject."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def entry(
    kind,
    source,
    *,
    occurred_at,
    institute,
    enterprise=None,
    amount=Decimal("0"),
    currency="CNY",
    hours=Decimal("0"),
    jobs=0,
    deal_mode="",
    startup_formed=False,
    data=None,
    listing=None,
    subject="",
    source_suffix="",
) -> TransferEvent:
    """One ledger row (unsaved) for a fact about `source` (a model instance, or a (type, id) pair), every
    field as given: nothing is derived. The domain apps' ledger modules build their facts with it; the
    services `record` them, the rebuild inserts them in bulk."""
    source_type, source_id = source if isinstance(source, tuple) else source_key(source)
    return TransferEvent(
        kind=kind,
        occurred_at=occurred_at,
        institute_id=getattr(institute, "pk", institute),
        enterprise_id=getattr(enterprise, "pk", enterprise),
        amount=amount or Decimal("0"),
        currency=currency,
        hours=hours or Decimal("0"),
        jobs=jobs or 0,
        deal_mode=deal_mode or "",
        startup_formed=startup_formed,
        source_type=source_type,
        source_id=f"{source_id}{source_suffix}",
        data=data or {},
        listing_id=getattr(listing, "pk", listing),
        subject=subject_key(subject) if isinstance(subject, models.Model) else (subject or ""),
    )


def record(event: TransferEvent) -> TransferEvent:
    """Append `event` (built by `entry`) to the ledger once: the row already there for the same fact
    (kind, source type and id) is returned instead."""
    kind, source_type, source_id = event.kind, event.source_type, event.source_id
    existing = TransferEvent.objects.filter(kind=kind, source_type=source_type, source_id=source_id).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            event.save(force_insert=True)
            return event
    except IntegrityError:  # recorded concurrently
        return TransferEvent.objects.get(kind=kind, source_type=source_type, source_id=source_id)


def count_listing_view(*, page_id, institute_id, day=None):
    """Add one view of a listing page today: one UPDATE, an INSERT only for the day's first view."""
    day = day or timezone.localdate()
    if ListingView.objects.filter(page_id=page_id, date=day).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            ListingView.objects.create(page_id=page_id, institute_id=institute_id, date=day, count=1)
    except IntegrityError:  # another request created the row first
        ListingView.objects.filter(page_id=page_id, date=day).update(count=F("count") + 1)
