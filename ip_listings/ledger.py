"""Research results' facts as transfer-ledger entries: one function per fact.

Each function returns the fact's unsaved ledger row (`statistics.services.entry`). The services
`record` it when the fact happens (the demo seeding goes through the services), and the ledger rebuild
inserts it from the domain tables (`sources`, registered with statistics in IpListingsConfig.ready()).
"""

from wagtail.signals import page_published

from marketplace.statistics import registry
from marketplace.statistics.models import TransferEvent
from marketplace.statistics.registry import Source
from marketplace.statistics.services import entry, record

from .models import AgreementStatus, ImpactReport, Inquiry, LicenceAgreement, ResultPage

K = TransferEvent.Kind
AGREEMENT_SUBJECT = "ip_listings.licenceagreement:"

__all__ = ["agreement_signed", "inquiry_opened", "impact_reported", "listing_published", "record", "register"]


def agreement_signed(agreement):
    """A licence agreement took effect (signed, or paid where payment comes first): its contract value."""
    return entry(
        K.AGREEMENT_SIGNED,
        agreement,
        occurred_at=agreement.paid_at or agreement.signed_at,
        institute=agreement.institute_id,
        enterprise=agreement.enterprise_id,
        amount=agreement.price_amount,
        currency=agreement.currency,
        deal_mode=agreement.mode,
        listing=agreement.result_id,
        subject=agreement,
        data={"source": agreement.source, "number": agreement.number},
    )


def inquiry_opened(inquiry):
    """An enterprise opened an inquiry about a result (under an offer's deal mode, if any). It is about the
    result (its listing), not about an agreement: none exists when it is opened."""
    return entry(
        K.INQUIRY_OPENED,
        inquiry,
        occurred_at=inquiry.created_at,
        institute=inquiry.institute_id,
        enterprise=inquiry.enterprise_id,
        deal_mode=inquiry.offer.mode if inquiry.offer_id else "",
        listing=inquiry.result_id,
    )


def impact_reported(report):
    """A licensee reported a quarter's impact: revenue, jobs, products, a company founded."""
    agreement = report.agreement
    return entry(
        K.IMPACT_REPORTED,
        report,
        occurred_at=report.created_at,
        institute=agreement.institute_id,
        enterprise=agreement.enterprise_id,
        amount=report.revenue,
        currency=agreement.currency,
        jobs=report.jobs_created,
        startup_formed=report.company_founded,
        deal_mode=agreement.mode,
        listing=agreement.result_id,
        subject=agreement,
        data={"year": report.year, "quarter": report.quarter, "products_launched": report.products_launched},
    )


def listing_published(page):
    """A result page went live for the first time (None for a page of no institute)."""
    if page.institute_id is None or page.first_published_at is None:
        return None
    return entry(
        K.LISTING_PUBLISHED,
        page,
        occurred_at=page.first_published_at,
        institute=page.institute_id,
        listing=page.pk,
        data={"ip_kind": page.ip_kind, "trl": page.trl},
    )


def record_listing_published(sender, instance, **kwargs):
    """page_published receiver: the first publication of a result is a ledger fact."""
    fact = listing_published(instance)
    if fact is not None:
        record(fact)


def sources():
    return [
        Source(
            K.LISTING_PUBLISHED,
            "ip_listings.resultpage",
            lambda: ResultPage.objects.filter(live=True, first_published_at__isnull=False, institute__isnull=False),
            listing_published,
        ),
        Source(
            # Only an active agreement was signed (one awaiting payment or cancelled never was).
            K.AGREEMENT_SIGNED,
            "ip_listings.licenceagreement",
            lambda: LicenceAgreement.objects.filter(status=AgreementStatus.ACTIVE),
            agreement_signed,
            amount="price_amount",
        ),
        Source(
            K.INQUIRY_OPENED,
            "ip_listings.inquiry",
            lambda: Inquiry.objects.select_related("offer"),
            inquiry_opened,
        ),
        Source(
            K.IMPACT_REPORTED,
            "ip_listings.impactreport",
            lambda: ImpactReport.objects.select_related("agreement"),
            impact_reported,
            amount="revenue",
            jobs="jobs_created",
        ),
    ]


def register():
    """Tell statistics about research results (called from IpListingsConfig.ready())."""
    registry.register_source("ip_listings", sources)
    registry.register_listing(ResultPage)
    registry.register_deal_subject(AGREEMENT_SUBJECT)
    page_published.connect(record_listing_published, sender=ResultPage, dispatch_uid="ip_listings_result_published")
