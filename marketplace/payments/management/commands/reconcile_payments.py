"""Compare local payments with Stripe; with --repair, apply Stripe's truth."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from marketplace.payments import gateway
from marketplace.payments.reconciliation import finish_side_effects, parse_since, reconcile


class Command(BaseCommand):
    help = "Compare local payments with Stripe's PaymentIntents and report (or --repair) differences."

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Apply Stripe's state to local payments.")
        parser.add_argument("--since", help="Only PaymentIntents and payments created on or after YYYY-MM-DD.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, repair=False, since=None, no_progress=False, **options):
        if not gateway.stripe_enabled():
            raise CommandError("Stripe is not configured (STRIPE_SECRET_KEY): nothing to reconcile.")
        try:
            since_at = parse_since(since) if since else None
        except ValueError:
            raise CommandError("--since must be a date, YYYY-MM-DD.") from None

        def progress(items):
            return tqdm(items, desc="PaymentIntents", unit=" intents", file=self.stderr, disable=no_progress)

        # First what the site committed to do at Stripe and has not finished: refunds, cancelled
        # PaymentIntents, transfers still pending after a few minutes, and stored events never applied.
        reports = finish_side_effects()
        for report in reports:
            self.stdout.write(str(report))
        flagged = sum(1 for r in reports if r.flagged)
        if reports:
            line = f"{len(reports)} pending side effect(s), {len(reports) - flagged} finished, {flagged} need attention"
            self.stdout.write(self.style.WARNING(line) if flagged else self.style.SUCCESS(line))
        findings = reconcile(since=since_at, repair=repair, progress=progress)
        for finding in findings:
            self.stdout.write(str(finding))
        repaired = sum(1 for f in findings if f.repaired)
        summary = f"{len(findings)} difference(s)" + (f", {repaired} repaired" if repair else "")
        self.stdout.write(self.style.SUCCESS(summary) if not findings else self.style.WARNING(summary))
