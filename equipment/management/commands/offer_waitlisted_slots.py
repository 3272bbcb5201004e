"""Lapse waitlist offers that ran out and offer freed slots to the next waiting user (run from cron)."""

from django.core.management.base import BaseCommand

from equipment.services import offer_waitlisted_slots


class Command(BaseCommand):
    help = "Lapse waitlist offers past their time and offer each free slot to the next user waiting for it."

    def handle(self, *args, **options):
        offered = offer_waitlisted_slots()
        self.stdout.write(f"{offered} waitlist offer(s) made")
