"""Enqueue the quarterly impact reminder (cron-friendly: running it again in a quarter sends nothing new)."""

from django.core.management.base import BaseCommand

from ip_listings.tasks import send_impact_reminders_task


class Command(BaseCommand):
    help = "Queue the email asking licensees to report the impact of their active agreements this quarter."

    def handle(self, *args, **options):
        result = send_impact_reminders_task.enqueue()
        self.stdout.write(f"Impact reminders queued ({result.id}).")
