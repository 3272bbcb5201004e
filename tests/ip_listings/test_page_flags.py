"""The flags pages use instead of comparing raw states."""

from ip_listings.models import AgreementStatus, Inquiry, InquiryStage, LicenceAgreement
from ip_listings.services import next_stages


def test_agreement_flags():
    assert LicenceAgreement(status=AgreementStatus.ACTIVE).is_active
    assert not LicenceAgreement(status=AgreementStatus.ACTIVE).awaits_payment
    assert LicenceAgreement(status=AgreementStatus.AWAITING_PAYMENT).awaits_payment
    cancelled = LicenceAgreement(status=AgreementStatus.CANCELLED)
    assert not (cancelled.is_active or cancelled.awaits_payment)


def test_only_a_declined_inquiry_is_closed():
    assert [stage for stage in InquiryStage.values if Inquiry(stage=stage).is_closed] == [InquiryStage.DECLINED]


def test_next_stages_offered_to_each_side():
    new, proposed = Inquiry(stage=InquiryStage.NEW), Inquiry(stage=InquiryStage.TERMS_PROPOSED)
    assert next_stages(new, "institute") == {InquiryStage.DISCUSSION, InquiryStage.DECLINED}
    assert next_stages(new, "enterprise") == {InquiryStage.DECLINED}
    assert next_stages(proposed, "enterprise") == {InquiryStage.AGREED, InquiryStage.DISCUSSION, InquiryStage.DECLINED}
    assert next_stages(Inquiry(stage=InquiryStage.DECLINED), "institute") == set()
