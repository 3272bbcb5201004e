"""Regenerate the transfer ledger from the domain tables, and compare the two.

Each `Source` says which domain rows make one kind of event and how. Rebuilding inserts the events
that are missing (the ledger's unique key (kind, source_type, source_id) keeps it idempotent: rows
already written by the domain services are left alone). Checking compares, per kind and source type,
the number of events and the sums of amount and hours with the same figures computed from the domain.

Sources exist for the apps that are installed and have their models: equipment (completed and
confirmed bookings, usage records, instrument pages), payments (payments received, refunds) and
research results (result pages, inquiries, signed agreements, impact reports).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, DecimalField, Sum
from django.db.models.functions import Coalesce

from .models import TransferEvent
from .services import listing_of, subject_key, subject_of

K = TransferEvent.Kind
ZERO = Decimal("0")
BATCH = 1000


@dataclass
class Source:
    kind: str
    source_type: str
    queryset: Callable  # () -> QuerySet of domain rows, one event each
    build: Callable  # (row) -> dict of TransferEvent fields (without kind)
    amount: str | None = None  # domain field summed against the ledger's amount
    hours: str | None = None  # domain field summed against the ledger's hours
    jobs: str | None = None  # domain field summed against the ledger's jobs
    skip: Callable | None = None  # (row, existing ids) -> True when the ledger already has this fact

    def domain_figures(self):
        qs = self.queryset().order_by()
        return _figures(qs, self.amount, self.hours, self.jobs)

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
    figures = {"amount": ZERO, "hours": ZERO, "jobs": 0, **qs.aggregate(**wanted)}
    return figures


def _model(label):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _completed_at(booking, status):
    transition = next((t for t in booking.transitions.all() if t.to_status == status), None)
    return transition.at if transition else booking.updated_at


def equipment_sources():
    Booking = _model("equipment.Booking")
    UsageRecord = _model("equipment.UsageRecord")
    InstrumentPage = _model("equipment.InstrumentPage")
    if Booking is None:
        return []

    def booking_event(status):
        def build(b):
            return {
                "occurred_at": _completed_at(b, status),
                "institute_id": b.institute_id,
                "enterprise_id": b.enterprise_id,
                "amount": b.price_amount,
                "currency": b.currency,
                "hours": b.hours,
                "source_id": str(b.pk),
                "listing_id": b.instrument_id,
                "subject": subject_key(b),
            }

        return build

    def usage_event(u):
        b = u.booking
        return {
            "occurred_at": b.end if b.end <= u.recorded_at else u.recorded_at,
            "institute_id": b.institute_id,
            "enterprise_id": b.enterprise_id,
            "hours": u.hours,
            "source_id": str(u.pk),
            "listing_id": b.instrument_id,
            "subject": subject_key(b),
            "data": {"booking": b.pk, "instrument": b.instrument_id},
        }

    return [
        Source(
            K.BOOKING_COMPLETED,
            "equipment.booking",
            lambda: Booking.objects.filter(status="completed").prefetch_related("transitions"),
            booking_event("completed"),
            amount="price_amount",
            hours="hours",
        ),
        Source(
            # Every booking that was ever confirmed (a cancelled one too: it was confirmed once).
            K.BOOKING_CONFIRMED,
            "equipment.booking",
            lambda: Booking.objects.filter(
                pk__in=Booking.transitions.rel.related_model.objects.filter(to_status="confirmed").values("booking_id")
            ).prefetch_related("transitions"),
            booking_event("confirmed"),
            amount="price_amount",
            hours="hours",
        ),
        Source(
            K.USAGE_RECORDED,
            "equipment.usagerecord",
            lambda: UsageRecord.objects.select_related("booking"),
            usage_event,
            hours="hours",
        ),
        *listing_sources(InstrumentPage),
    ]


def listing_sources(*page_models):
    sources = []
    for model in page_models:
        if model is None:
            continue

        def build(page):
            return {
                "occurred_at": page.first_published_at,
                "institute_id": page.institute_id,
                "source_id": str(page.pk),
                "listing_id": page.pk,
            }

        sources.append(
            Source(
                K.LISTING_PUBLISHED,
                model._meta.label_lower,
                lambda model=model: model.objects.filter(
                    live=True, first_published_at__isnull=False, institute__isnull=False
                ),
                build,
            )
        )
    return sources


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
        return {
            "occurred_at": p.paid_at,
            "institute_id": p.institute_id,
            "enterprise_id": p.enterprise_id,
            "amount": p.amount,
            "currency": p.currency,
            "source_id": str(p.pk),
            "listing_id": _paid_listing(p),
            "subject": _paid_subject(p),
            "data": {"provider": p.provider},
        }

    def refund_event(r):
        p = r.payment
        return {
            "occurred_at": r.created_at,
            "institute_id": p.institute_id,
            "enterprise_id": p.enterprise_id,
            "amount": r.amount,
            "currency": p.currency,
            "source_id": f"{p.pk}:{r.stripe_refund_id or r.pk}",
            "listing_id": _paid_listing(p),
            "subject": _paid_subject(p),
            "data": {"refund": r.pk},
        }

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


def _subject(source):
    subject = subject_of(source)
    return subject_key(subject) if subject is not None else ""


def result_sources():
    """Research results: published result pages, inquiries, signed agreements, impact reports."""
    sources = listing_sources(_model("ip_listings.ResultPage"))
    Agreement = _model("ip_listings.LicenceAgreement")
    Inquiry = _model("ip_listings.Inquiry")
    ImpactReport = _model("ip_listings.ImpactReport")
    if Agreement is None or Inquiry is None or ImpactReport is None:
        return sources

    def agreement_event(a):
        return {
            "occurred_at": a.paid_at or a.signed_at,
            "institute_id": a.institute_id,
            "enterprise_id": a.enterprise_id,
            "amount": a.price_amount,
            "currency": a.currency,
            "deal_mode": a.mode,
            "source_id": str(a.pk),
            "listing_id": a.result_id,
            "subject": subject_key(a),
            "data": {"source": a.source, "number": a.number},
        }

    def inquiry_event(i):
        return {
            "occurred_at": i.created_at,
            "institute_id": i.institute_id,
            "enterprise_id": i.enterprise_id,
            "deal_mode": i.offer.mode if i.offer_id else "",
            "source_id": str(i.pk),
            "listing_id": i.result_id,
            "subject": _subject(i),
        }

    def impact_event(r):
        a = r.agreement
        return {
            "occurred_at": r.created_at,
            "institute_id": a.institute_id,
            "enterprise_id": a.enterprise_id,
            "amount": r.revenue,
            "currency": a.currency,
            "jobs": r.jobs_created,
            "startup_formed": r.company_founded,
            "deal_mode": a.mode,
            "source_id": str(r.pk),
            "listing_id": a.result_id,
            "subject": subject_key(a),
            "data": {"year": r.year, "quarter": r.quarter, "products_launched": r.products_launched},
        }

    return [
        *sources,
        Source(
            # Only an active agreement was signed (one awaiting payment or cancelled never was).
            K.AGREEMENT_SIGNED,
            "ip_listings.licenceagreement",
            lambda: Agreement.objects.filter(status="active"),
            agreement_event,
            amount="price_amount",
        ),
        Source(
            K.INQUIRY_OPENED,
            "ip_listings.inquiry",
            lambda: Inquiry.objects.select_related("offer"),
            inquiry_event,
        ),
        Source(
            K.IMPACT_REPORTED,
            "ip_listings.impactreport",
            lambda: ImpactReport.objects.select_related("agreement"),
            impact_event,
            amount="revenue",
            jobs="jobs_created",
        ),
    ]


def all_sources():
    return [*equipment_sources(), *payment_sources(), *result_sources()]


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
            fields = source.build(row)
            if fields.get("occurred_at") is None:
                continue
            batch.append(TransferEvent(kind=source.kind, source_type=source.source_type, **fields))
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
