"""Give back the slots of requests nobody approved or paid for in time (BOOKING_REQUEST_EXPIRY_HOURS)."""

from django.core.management.base import BaseCommand

from equipment.services import expire_bookings


class Command(BaseCommand):
    help = "Cancel requested or approved-but-unpaid bookings that waited longer than BOOKING_REQUEST_EXPIRY_HOURS."

    def handle(self, *args, **options):
        expired = expire_bookings()
        self.stdout.write(f"{expired} booking(s) expired")
