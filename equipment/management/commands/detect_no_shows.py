"""Mark confirmed bookings not checked in within their grace period as no-shows (run from cron, e.g.
every 15 minutes; idempotent)."""

from django.core.management.base import BaseCommand

from equipment.services import detect_no_shows


class Command(BaseCommand):
    help = (
        "Mark approved or confirmed bookings not checked in by their start plus the instrument's grace "
        "period as no-shows, emailing the booker and the facility's managers (idempotent)."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]

        def progress(checked, marked):
            if verbosity > 1 and checked % 100 == 0:
                self.stdout.write(f"… checked {checked} bookings, marked {marked} no-shows")

        checked, marked = detect_no_shows(progress=progress)
        self.stdout.write(f"checked {checked} bookings, marked {marked} no-shows")
