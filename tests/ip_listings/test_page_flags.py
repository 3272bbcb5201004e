"""The flags pages use instead of comparing raw states."""

from ip_listings.models import AgreementStatus, Inquiry, InquiryStage, LicenceAgreement


def test_agreement_flags():
    assert LicenceAgreement(status=AgreementStatus.ACTIVE).is_active
    assert not LicenceAgreement(status=AgreementStatus.ACTIVE).awaits_payment
    assert LicenceAgreement(status=AgreementStatus.AWAITING_PAYMENT).awaits_payment
    cancelled = LicenceAgreement(status=AgreementStatus.CANCELLED)
    assert not (cancelled.is_active or cancelled.awaits_payment)


def test_only_a_declined_inquiry_is_closed():
    assert [stage for stage in InquiryStage.values if Inquiry(stage=stage).is_closed] == [InquiryStage.DECLINED]
