"""Compile every .po catalogue of the project to .mo with polib (no GNU gettext needed)."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand

SKIP = {".venv", "node_modules", "staticfiles", "media", ".git"}


def catalogues(base: Path):
    # locale/ of each app, and marketplace/locale_wagtail/ (Wagtail admin strings Wagtail leaves untranslated).
    for path in base.rglob("locale*/*/LC_MESSAGES/*.po"):
        if not SKIP.intersection(path.relative_to(base).parts):
            yield path


class Command(BaseCommand):
    help = "Compile the project's translation catalogues (.po -> .mo)."
    requires_system_checks = []

    def handle(self, *args, **options):
        count = 0
        for po_path in sorted(catalogues(Path(settings.BASE_DIR))):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            count += 1
            self.stdout.write(f"compiled {po_path.relative_to(settings.BASE_DIR)}")
        self.stdout.write(self.style.SUCCESS(f"{count} catalogue(s) compiled"))
