"""Impact: what a licence produced, reported by the licensee once per quarter, and the quarterly
reminder to report it."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Role
from marketplace.core.emails import notify
from marketplace.core.links import absolute_url

from .. import ledger, scope
from ..models import AgreementStatus, ImpactReminder, ImpactReport, LicenceAgreement
from .agreements import agreement_email_context, lock_agreement
from .shared import ZERO, is_buyer, money


def quarter_of(day: date):
    return day.year, (day.month - 1) // 3 + 1


@transaction.atomic
def report_impact(
    agreement,
    *,
    actor,
    year,
    quarter,
    jobs_created=0,
    revenue=ZERO,
    products_launched=0,
    company_founded=False,
    note="",
) -> ImpactReport:
    """The licensee reports what its licence produced in one quarter (once per quarter)."""
    agreement = lock_agreement(agreement)
    if not is_buyer(actor, agreement.enterprise_id):
        raise PermissionDenied(_("Only the licensee can report the impact of this agreement."))
    if agreement.status != AgreementStatus.ACTIVE:
        raise ValidationError(_("Impact is reported on active agreements only."))
    errors = {}
    try:
        year, quarter = int(year), int(quarter)
    except (TypeError, ValueError):
        raise ValidationError({"quarter": _("Choose the quarter you report on.")}) from None
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = _("Choose the quarter you report on.")
    this_year, this_quarter = quarter_of(timezone.localdate())
    if (year, quarter) > (this_year, this_quarter):
        errors["quarter"] = _("You cannot report on a quarter that has not begun.")
    if (year, quarter) < quarter_of(agreement.starts_on):
        errors["quarter"] = _("This quarter is before the agreement started.")
    for name, value in (("jobs_created", jobs_created), ("products_launched", products_launched)):
        if value is None or int(value) < 0:
            errors[name] = _("Enter zero or more.")
    if errors:
        raise ValidationError(errors)
    revenue = money(revenue, "revenue", _("Enter the revenue as an amount."))
    if ImpactReport.objects.filter(agreement=agreement, year=year, quarter=quarter).exists():
        raise ValidationError({"quarter": _("This quarter has already been reported.")})
    try:
        with transaction.atomic():
            report = ImpactReport.objects.create(
                agreement=agreement,
                year=year,
                quarter=quarter,
                jobs_created=int(jobs_created),
                revenue=revenue,
                currency=agreement.currency,
                products_launched=int(products_launched),
                company_founded=bool(company_founded),
                note=(note or "")[:2000],
                reported_by=actor,
            )
    except IntegrityError:
        raise ValidationError({"quarter": _("This quarter has already been reported.")}) from None
    ledger.record(ledger.impact_reported(report))
    return report


def send_impact_reminders(today=None) -> int:
    """Email the licensee of every active agreement not yet reported for the current quarter (once per
    agreement and quarter). Returns how many reminders were sent."""
    today = today or timezone.localdate()
    year, quarter = quarter_of(today)
    due = (
        LicenceAgreement.objects.filter(scope.holding_agreements_q(today), status=AgreementStatus.ACTIVE)
        .exclude(impact_reports__year=year, impact_reports__quarter=quarter)
        .exclude(reminders__year=year, reminders__quarter=quarter)
        .select_related("buyer", "enterprise")
    )
    sent = 0
    for agreement in due:
        with transaction.atomic():
            _, created = ImpactReminder.objects.get_or_create(agreement=agreement, year=year, quarter=quarter)
            if not created:
                continue
            recipients = [agreement.buyer] if agreement.buyer and agreement.buyer.is_active else []
            if not recipients:
                recipients = list(account_selectors.members_with_role(agreement.enterprise_id, Role.BUYER))
            context = {
                **agreement_email_context(agreement),
                "year": year,
                "quarter": quarter,
                "report_url": absolute_url("ip_listings:report_impact", agreement.pk),
            }
            for user in recipients:
                notify(user, "ip_listings/email/impact_reminder", context)
            sent += 1
    return sent
