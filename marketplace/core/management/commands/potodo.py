"""Translation helpers for the team: list untranslated entries, and fill them from a JSON file.

manage.py potodo                      # every catalogue: untranslated or fuzzy msgids, as JSON
manage.py potodo --fill zh.json       # {"msgid": "译文", ...} (plural: {"msgid": ["译文"]})
"""

import json
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from .compiletranslations import catalogues


def untranslated(po):
    for entry in po:
        if entry.obsolete:
            continue
        if entry.fuzzy or not (entry.msgstr or any(entry.msgstr_plural.values())):
            yield entry


class Command(BaseCommand):
    help = "List untranslated catalogue entries, or fill them from a JSON mapping."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--fill", help="JSON file mapping msgid to translation")
        parser.add_argument("--path", help="only this folder (e.g. equipment)")

    def handle(self, *args, fill=None, path=None, **options):
        base = Path(settings.BASE_DIR)
        paths = [p for p in catalogues(base) if not path or str(p.relative_to(base)).startswith(path)]
        if fill:
            mapping = json.loads(Path(fill).read_text(encoding="utf-8"))
            filled = 0
            for po_path in paths:
                po = polib.pofile(str(po_path))
                changed = False
                for entry in untranslated(po):
                    if entry.msgid not in mapping:
                        continue
                    value = mapping[entry.msgid]
                    if entry.msgid_plural:
                        values = value if isinstance(value, list) else [value]
                        entry.msgstr_plural = dict(enumerate(values[:1] or [""]))
                    else:
                        entry.msgstr = value if isinstance(value, str) else value[0]
                    if "fuzzy" in entry.flags:
                        entry.flags.remove("fuzzy")
                    entry.previous_msgid = None
                    filled += 1
                    changed = True
                if changed:
                    po.save()
            self.stdout.write(f"filled {filled} entries")
            return
        todo = {}
        for po_path in paths:
            entries = [e.msgid for e in untranslated(polib.pofile(str(po_path)))]
            if entries:
                todo[str(po_path.relative_to(base))] = entries
        if not todo:
            self.stdout.write("all catalogues complete")
            return
        self.stdout.write(json.dumps(todo, ensure_ascii=False, indent=1))
        if options.get("verbosity", 1) > 1:
            raise CommandError("untranslated entries remain")
