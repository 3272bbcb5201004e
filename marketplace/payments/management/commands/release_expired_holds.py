"""Release the slots of bookings whose card payment was not made in time (PAYMENT_HOLD_MINUTES)."""

from django.core.management.base import BaseCommand

from marketplace.payments.services.holds import release_expired_holds


class Command(BaseCommand):
    help = "Cancel unpaid card payments whose hold expired and give their booking slots back."

    def handle(self, *args, **options):
        released = release_expired_holds()
        self.stdout.write(f"{released} hold(s) released")
