"""manage.py rebuild_ledger [--check]: regenerate the transfer ledger from the domain tables."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from marketplace.statistics import rebuild


def _rounded(figures):
    return {**figures, "amount": f"{Decimal(figures['amount']):.2f}", "hours": f"{Decimal(figures['hours']):.2f}"}


class Command(BaseCommand):
    help = (
        "Insert the transfer events the domain tables imply and the ledger lacks (idempotent). "
        "With --check, only compare the ledger with the domain tables and fail on a difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare only; exit non-zero on a difference.")
        parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")

    def handle(self, *args, check=False, no_progress=False, **options):
        quiet = no_progress or options.get("verbosity", 1) == 0

        def progress(iterable, desc):
            return tqdm(iterable, desc=desc, disable=quiet, file=self.stderr._out, leave=False)

        if not check:
            inserted = rebuild.rebuild(progress=progress)
            for name, count in inserted.items():
                self.stdout.write(f"{name}: {count} inserted")
        differences = 0
        for row in rebuild.compare():
            ledger, domain = _rounded(row["ledger"]), _rounded(row["domain"])
            line = (
                f"{row['kind']:<18} {row['source_type']:<26} "
                f"ledger {ledger['count']:>7} / {ledger['amount']:>14} / {ledger['hours']:>10} h   "
                f"domain {domain['count']:>7} / {domain['amount']:>14} / {domain['hours']:>10} h"
            )
            if row["agrees"]:
                self.stdout.write(f"ok    {line}")
            else:
                differences += 1
                self.stdout.write(self.style.ERROR(f"DIFF  {line}"))
        if differences:
            raise CommandError(f"The ledger and the domain tables differ in {differences} figure(s).")
        self.stdout.write(self.style.SUCCESS("The ledger agrees with the domain tables."))
