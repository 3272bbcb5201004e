"""Announce, once, qualifications expiring within QUALIFICATION_EXPIRY_NOTICE_DAYS (run daily from cron)."""

from django.core.management.base import BaseCommand

from equipment.services import announce_expiring_qualifications


class Command(BaseCommand):
    help = "Email users and facility managers about qualifications expiring soon (each expiry announced once)."

    def handle(self, *args, **options):
        announced = announce_expiring_qualifications()
        self.stdout.write(f"{announced} qualification(s) announced")
