"""Build a believable demo site. Idempotent; refuses to run under production settings.

Each app contributes a module listed in settings.DEMO_SEEDERS with a `seed(progress)` function;
`progress(iterable, desc)` wraps loops with a progress bar.
"""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from marketplace.accounts.models import Organization


class Command(BaseCommand):
    help = "Create demo institutes, enterprises, users and listings (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the database already has organisations."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")

    def handle(self, *args, if_empty=False, no_progress=False, **options):
        if getattr(settings, "ENVIRONMENT", "") == "production":
            raise CommandError("seed_demo refuses to run against a production configuration.")
        if if_empty and Organization.objects.exists():
            self.stdout.write("Database already has data; demo seeding skipped.")
            return

        quiet = no_progress or options.get("verbosity", 1) == 0

        def progress(iterable, desc, total=None):
            return tqdm(iterable, desc=desc, total=total, disable=quiet, file=self.stderr._out, leave=True)

        for dotted in settings.DEMO_SEEDERS:
            module = import_module(dotted)
            with transaction.atomic():
                module.seed(progress)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins are listed in README.md."))
