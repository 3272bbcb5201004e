"""Express licence agreements as a payable kind: what the payments app asks about an agreement
(registered in apps.py). An agreement holds nothing while unpaid, so there is nothing to release."""

from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Role
from marketplace.payments.payables import Payable

from . import services
from .models import AgreementStatus, LicenceAgreement


class AgreementPayable(Payable):
    kind = "agreement"
    model = LicenceAgreement
    staff_roles = (Role.TTO_OFFICER,)

    def get(self, pk):
        try:
            return LicenceAgreement.objects.select_related("result", "institute", "enterprise").get(pk=pk)
        except LicenceAgreement.DoesNotExist:
            raise LookupError(pk) from None

    def for_buyer(self, user, pk):
        return (
            LicenceAgreement.objects.select_related("result", "institute", "enterprise")
            .filter(pk=pk, enterprise__in=account_selectors.enterprises_of(user))
            .first()
        )

    def lock(self, subject):
        return services.lock_agreement(subject)

    def label(self, subject):
        return _("Licence agreement %(n)s") % {"n": subject.number}

    def description(self, subject):
        title = subject.result.display_title or subject.result.title
        return f"{title} · {subject.get_mode_display()} · {subject.get_territory_display()}"

    def url(self, subject):
        return reverse("ip_listings:agreement", args=[subject.pk])

    def confirmed_text(self, subject):
        return _("Your licence agreement is now active.")

    def listing_id(self, subject):
        return subject.result_id

    def can_be_paid(self, subject):
        return subject.status == AgreementStatus.AWAITING_PAYMENT

    def confirm(self, subject, *, payment_number, actor, reference):
        subject.refresh_from_db(fields=["status", "payment_reference"])
        if subject.status == AgreementStatus.ACTIVE:
            return payment_number in subject.payment_reference
        if subject.status != AgreementStatus.AWAITING_PAYMENT:
            return False
        services.confirm_agreement_payment(subject, actor=actor, reference=reference)
        return True

    def confirmed_by(self, subject, payment_number):
        subject.refresh_from_db(fields=["status", "payment_reference"])
        return payment_number in (subject.payment_reference or "")
