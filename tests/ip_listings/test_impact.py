"""Impact reports by licensees and the quarterly reminder."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from ip_listings import services
from ip_listings.models import ImpactReminder, ImpactReport
from marketplace.statistics.models import TransferEvent


@pytest.fixture
def active_agreement(result, buyer, enterprise, tto):
    agreement = services.accept_express_offer(
        result.offers.get(express=True), buyer=buyer, enterprise=enterprise, accept_terms=True
    )
    return services.confirm_agreement_payment(agreement, actor=tto)


def _now_quarter():
    return services.quarter_of(timezone.localdate())


def test_the_licensee_reports_jobs_created_and_the_ledger_counts_them(active_agreement, buyer):
    year, quarter = _now_quarter()
    report = services.report_impact(
        active_agreement,
        actor=buyer,
        year=year,
        quarter=quarter,
        jobs_created=12,
        revenue=Decimal("1500000.00"),
        products_launched=2,
        company_founded=True,
    )
    assert report.jobs_created == 12
    event = TransferEvent.objects.get(kind=TransferEvent.Kind.IMPACT_REPORTED)
    assert (event.jobs, event.amount, event.startup_formed) == (12, Decimal("1500000.00"), True)
    assert event.subject == f"ip_listings.licenceagreement:{active_agreement.pk}"


def test_a_quarter_is_reported_once(active_agreement, buyer):
    year, quarter = _now_quarter()
    services.report_impact(active_agreement, actor=buyer, year=year, quarter=quarter, jobs_created=1)
    with pytest.raises(ValidationError, match="already been reported"):
        services.report_impact(active_agreement, actor=buyer, year=year, quarter=quarter, jobs_created=3)
    assert ImpactReport.objects.count() == 1


@pytest.mark.parametrize(
    "override",
    [{"jobs_created": -1}, {"revenue": Decimal("-5")}, {"quarter": 5}, {"year": 2999, "quarter": 1}],
)
def test_bad_impact_reports_are_refused(active_agreement, buyer, override):
    year, quarter = _now_quarter()
    kwargs = {"year": year, "quarter": quarter, "jobs_created": 1, **override}
    with pytest.raises(ValidationError):
        services.report_impact(active_agreement, actor=buyer, **kwargs)
    assert not ImpactReport.objects.exists()


@pytest.mark.parametrize("who", ["tto", "other_buyer"])
def test_only_the_licensee_reports(request, active_agreement, who):
    year, quarter = _now_quarter()
    with pytest.raises(PermissionDenied):
        services.report_impact(active_agreement, actor=request.getfixturevalue(who), year=year, quarter=quarter)


def test_reminder_asks_licensees_who_have_not_reported_this_quarter_once(
    active_agreement, buyer, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_impact_reminders() == 1
    assert [m.to for m in mailoutbox] == [[buyer.email]]
    assert active_agreement.number in mailoutbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_impact_reminders() == 0
    assert len(mailoutbox) == 1


def test_no_reminder_once_the_quarter_is_reported(active_agreement, buyer, mailoutbox):
    year, quarter = _now_quarter()
    services.report_impact(active_agreement, actor=buyer, year=year, quarter=quarter, jobs_created=1)
    assert services.send_impact_reminders() == 0


def test_the_next_quarter_brings_a_new_reminder(active_agreement):
    today = timezone.localdate()
    assert services.send_impact_reminders(today) == 1
    next_quarter = (
        date(today.year + 1, 1, 15) if today.month > 9 else date(today.year, (today.month - 1) // 3 * 3 + 4, 15)
    )
    assert services.send_impact_reminders(next_quarter) == 1
    assert ImpactReminder.objects.count() == 2


def test_unpaid_agreements_get_no_reminder(result, buyer, enterprise):
    services.accept_express_offer(
        result.offers.get(express=True), buyer=buyer, enterprise=enterprise, accept_terms=True
    )
    assert services.send_impact_reminders() == 0


def test_the_command_enqueues_the_reminder_task(
    active_agreement, buyer, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_impact_reminders")
    assert [m.to for m in mailoutbox] == [[buyer.email]]
    assert ImpactReminder.objects.filter(agreement=active_agreement).exists()
