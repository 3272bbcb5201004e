"""Express licences: acceptance, the frozen terms, payment confirmation, cancellation."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from ip_listings import services
from ip_listings.models import AgreementSource, AgreementStatus, LicenceAgreement
from marketplace.statistics.models import TransferEvent

from .conftest import make_result, offer


@pytest.fixture
def express(result):
    return result.offers.get(express=True)


def _accept(express, buyer, enterprise):
    return services.accept_express_offer(express, buyer=buyer, enterprise=enterprise, accept_terms=True)


def test_accepting_an_express_offer_creates_an_agreement_awaiting_payment_with_frozen_terms(
    express, buyer, enterprise, institute
):
    agreement = _accept(express, buyer, enterprise)
    assert agreement.status == AgreementStatus.AWAITING_PAYMENT
    assert agreement.source == AgreementSource.EXPRESS
    assert agreement.price_amount == Decimal("20000.00") and agreement.currency == "CNY"
    assert agreement.institute == institute and agreement.enterprise == enterprise
    assert agreement.number == f"LA-{agreement.signed_at:%Y}-{agreement.pk:06d}"
    assert agreement.terms["licensee"]["name"] == enterprise.name
    assert agreement.terms["licensor"]["name"] == institute.name
    assert agreement.terms["price_amount"] == "20000.00"
    assert agreement.terms["standard_terms"] == express.standard_terms
    assert agreement.ends_on is not None and (agreement.ends_on - agreement.starts_on).days > 59 * 30
    # Not yet signed in the ledger: it is signed when paid.
    assert not TransferEvent.objects.filter(kind=TransferEvent.Kind.AGREEMENT_SIGNED).exists()


def test_editing_the_offer_later_does_not_change_a_signed_agreement(client, result, express, buyer, enterprise, tto):
    agreement = _accept(express, buyer, enterprise)
    services.confirm_agreement_payment(agreement, actor=tto)
    page = result.specific
    offers = list(page.offers.all())
    for o in offers:
        if o.pk == express.pk:
            o.upfront_fee = Decimal("99999.00")
            o.royalty_percent = Decimal("9.00")
            o.standard_terms = "New terms."
    page.offers = offers
    page.title = "改名后的成果"
    page.save_revision().publish()
    express.refresh_from_db()
    assert express.upfront_fee == Decimal("99999.00")  # the offer did change, and kept its id
    agreement.refresh_from_db()
    assert agreement.price_amount == Decimal("20000.00")
    assert agreement.royalty_percent == Decimal("3.00")
    assert agreement.terms["standard_terms"] != "New terms."
    assert agreement.terms["result"]["title"] == "柔性压力传感器"
    client.force_login(buyer)
    pdf = PdfReader(io.BytesIO(client.get(f"/ip/agreements/{agreement.pk}/download/").content))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "20,000.00" in text and "99,999" not in text and "New terms." not in text


def test_tto_confirms_payment_by_invoice_once_and_the_ledger_records_the_deal(
    express, buyer, enterprise, tto, django_capture_on_commit_callbacks, mailoutbox
):
    agreement = _accept(express, buyer, enterprise)
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_agreement_payment(agreement, actor=tto, reference="INV-2026-001")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    assert agreement.paid_at is not None and agreement.payment_reference == "INV-2026-001"
    event = TransferEvent.objects.get(kind=TransferEvent.Kind.AGREEMENT_SIGNED)
    assert event.amount == Decimal("20000.00") and event.deal_mode == "non_exclusive"
    assert event.enterprise_id == enterprise.pk and event.listing_id == agreement.result_id
    assert [m.to for m in mailoutbox] == [[buyer.email]]
    # Again: nothing changes, nothing is recorded twice.
    services.confirm_agreement_payment(agreement, actor=tto)
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.AGREEMENT_SIGNED).count() == 1


def test_the_payment_layer_confirms_without_an_actor(express, buyer, enterprise):
    agreement = _accept(express, buyer, enterprise)
    services.confirm_agreement_payment(agreement, actor=None, reference="pi_123")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE


@pytest.mark.parametrize("who", ["other_tto", "researcher", "buyer", "other_buyer"])
def test_only_the_institutes_tto_confirms_a_payment(request, express, buyer, enterprise, who):
    agreement = _accept(express, buyer, enterprise)
    with pytest.raises(PermissionDenied):
        services.confirm_agreement_payment(agreement, actor=request.getfixturevalue(who))
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.AWAITING_PAYMENT


def test_a_cancelled_agreement_cannot_be_paid(express, buyer, enterprise, tto):
    agreement = _accept(express, buyer, enterprise)
    services.cancel_agreement(agreement, actor=buyer)
    with pytest.raises(ValidationError, match="cancelled"):
        services.confirm_agreement_payment(agreement, actor=tto)


def test_an_active_agreement_cannot_be_cancelled(express, buyer, enterprise, tto):
    agreement = _accept(express, buyer, enterprise)
    services.confirm_agreement_payment(agreement, actor=tto)
    with pytest.raises(ValidationError):
        services.cancel_agreement(agreement, actor=tto)


def test_accepting_without_ticking_the_terms_changes_nothing(express, buyer, enterprise):
    with pytest.raises(ValidationError):
        services.accept_express_offer(express, buyer=buyer, enterprise=enterprise, accept_terms=False)
    assert not LicenceAgreement.objects.exists()


def test_only_a_buyer_of_the_enterprise_may_accept(express, enterprise, other_buyer, tto):
    for outsider in (other_buyer, tto):
        with pytest.raises(PermissionDenied):
            services.accept_express_offer(express, buyer=outsider, enterprise=enterprise, accept_terms=True)
    assert not LicenceAgreement.objects.exists()


def test_a_non_express_offer_cannot_be_accepted(result, buyer, enterprise):
    negotiable = result.offers.filter(express=False).first()
    with pytest.raises(ValidationError, match="inquiry"):
        _accept(negotiable, buyer, enterprise)
    assert not LicenceAgreement.objects.exists()


def test_an_offer_on_a_withdrawn_result_cannot_be_accepted_or_inquired_about(result, express, buyer, enterprise):
    result.specific.unpublish()
    with pytest.raises(ValidationError, match="withdrawn"):
        _accept(express, buyer, enterprise)
    with pytest.raises(ValidationError, match="withdrawn"):
        services.open_inquiry(result=result, offer=express, buyer=buyer, enterprise=enterprise, message="Hello")
    assert not LicenceAgreement.objects.exists()


def test_a_free_express_offer_is_active_at_once(institute, buyer, enterprise):
    page = make_result(institute, offers=[offer(express=True, upfront_fee=Decimal("0"), royalty_percent=Decimal("0"))])
    agreement = _accept(page.offers.get(), buyer, enterprise)
    assert agreement.status == AgreementStatus.ACTIVE
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.AGREEMENT_SIGNED).count() == 1
