"""Writing to the transfer ledger. Domain services call `record_event` when something happens."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import TransferEvent


def source_key(obj):
    """(source_type, source_id) for a model instance, e.g. ("equipment.booking", "42")."""
    return obj._meta.label_lower, str(obj.pk)


def record_event(
    kind,
    *,
    institute,
    source,
    occurred_at=None,
    enterprise=None,
    amount=Decimal("0"),
    currency="CNY",
    hours=Decimal("0"),
    jobs=0,
    deal_mode="",
    startup_formed=False,
    data=None,
    source_suffix="",
):
    """Append one event for `source` (a model instance, or a (type, id) pair); once only.

    Returns the event, or the existing one if this fact was already recorded. `source_suffix`
    distinguishes several facts of one kind about one object (e.g. two partial refunds).
    """
    source_type, source_id = source if isinstance(source, tuple) else source_key(source)
    source_id = f"{source_id}{source_suffix}"
    existing = TransferEvent.objects.filter(kind=kind, source_type=source_type, source_id=source_id).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return TransferEvent.objects.create(
                kind=kind,
                occurred_at=occurred_at or timezone.now(),
                institute_id=getattr(institute, "pk", institute),
                enterprise_id=getattr(enterprise, "pk", enterprise),
                amount=amount or Decimal("0"),
                currency=currency,
                hours=hours or Decimal("0"),
                jobs=jobs or 0,
                deal_mode=deal_mode,
                startup_formed=startup_formed,
                source_type=source_type,
                source_id=source_id,
                data=data or {},
            )
    except IntegrityError:  # recorded concurrently
        return TransferEvent.objects.get(kind=kind, source_type=source_type, source_id=source_id)
