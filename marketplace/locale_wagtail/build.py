"""Simplified Chinese for the Wagtail admin strings that Wagtail's own zh_Hans catalogue lacks.

Wagtail ships a complete English catalogue (``wagtail/**/locale/en/LC_MESSAGES/django.po``) but its
``zh_Hans`` catalogues leave about 400 of those msgids untranslated, so a Chinese admin shows English
("The page could not be saved due to validation errors", dashboard counters, workflow screens...).
``zh_Hans/LC_MESSAGES/django.po`` next to this script translates exactly those msgids; it is listed in
``LOCALE_PATHS`` after the project's own ``marketplace/locale``, so the project catalogue still wins and
this one only fills Wagtail's gaps. ``make translations`` (``manage.py compiletranslations``) compiles it
like every other catalogue; the .mo file is not committed.

The translations are hand-written in the .po file. This script only finds what is missing:

    .venv/bin/python marketplace/locale_wagtail/build.py           # list msgids missing here (after a Wagtail upgrade)
    .venv/bin/python marketplace/locale_wagtail/build.py --write   # add them to the .po with an empty msgstr
    .venv/bin/python marketplace/locale_wagtail/build.py --check   # exit 1 if a msgid is missing or untranslated

A msgid counts as missing from Wagtail when its zh_Hans catalogue has it absent, fuzzy or with an empty
msgstr. Entries of the .po that Wagtail now translates itself are reported as obsolete (``--write`` drops
them), so the file never overrides Wagtail's own wording.
"""

import argparse
import sys
from pathlib import Path

import polib

HEADER_COMMENT = (
    "Simplified Chinese for Wagtail admin strings missing from Wagtail's own zh_Hans catalogue.\n"
    "Hand-written translations; marketplace/locale_wagtail/build.py lists what is missing."
)
CATALOGUE = Path(__file__).resolve().parent / "zh_Hans" / "LC_MESSAGES" / "django.po"
HEADER = {
    "Project-Id-Version": "marketplace wagtail-admin zh_Hans",
    "Language": "zh_Hans",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=1; plural=0;",
}


def translated(entry: polib.POEntry) -> bool:
    return not entry.obsolete and not entry.fuzzy and bool(entry.msgstr or any(entry.msgstr_plural.values()))


def wagtail_root() -> Path:
    import wagtail

    return Path(wagtail.__file__).resolve().parent


def english_catalogues(root: Path | None = None) -> list[Path]:
    return sorted((root or wagtail_root()).glob("**/locale/en/LC_MESSAGES/django.po"))


def missing_from_wagtail(root: Path | None = None) -> dict[str, polib.POEntry]:
    """Every msgid of Wagtail's English catalogues that its zh_Hans catalogue of the same app lacks."""
    missing: dict[str, polib.POEntry] = {}
    for en_path in english_catalogues(root):
        zh_path = Path(str(en_path).replace("/locale/en/", "/locale/zh_Hans/"))
        done = set()
        if zh_path.exists():
            done = {e.msgid for e in polib.pofile(str(zh_path)) if translated(e)}
        for entry in polib.pofile(str(en_path)):
            if not entry.obsolete and entry.msgid not in done:
                missing.setdefault(entry.msgid, entry)
    return missing


def translated_anywhere_in_wagtail(root: Path | None = None) -> set[str]:
    done = set()
    for zh_path in sorted((root or wagtail_root()).glob("**/locale/zh_Hans/LC_MESSAGES/django.po")):
        done |= {e.msgid for e in polib.pofile(str(zh_path)) if translated(e)}
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="add missing msgids (empty msgstr) to the .po")
    parser.add_argument("--check", action="store_true", help="fail if a msgid is missing or untranslated")
    args = parser.parse_args(argv)

    wanted = missing_from_wagtail()
    po = polib.pofile(str(CATALOGUE)) if CATALOGUE.exists() else polib.POFile(wrapwidth=0)
    po.metadata = {**HEADER, **po.metadata} if po.metadata else dict(HEADER)
    po.header = po.header or HEADER_COMMENT
    ours = {e.msgid: e for e in po if not e.obsolete}
    new = [msgid for msgid in wanted if msgid not in ours]
    empty = [msgid for msgid, e in ours.items() if msgid in wanted and not translated(e)]
    obsolete = [msgid for msgid in ours if msgid not in wanted]

    print(f"Wagtail lacks {len(wanted)} zh_Hans msgids; {len(new)} not in {CATALOGUE.name}, {len(empty)} untranslated")
    for msgid in new:
        print(f"  new: {msgid!r}")
    for msgid in empty:
        print(f"  untranslated: {msgid!r}")
    for msgid in obsolete:
        print(f"  obsolete (Wagtail translates it now or dropped it): {msgid!r}")

    if args.write:
        for msgid in obsolete:
            po.remove(ours[msgid])
        for msgid in new:
            source = wanted[msgid]
            entry = polib.POEntry(msgid=msgid, msgstr="", flags=list(source.flags), occurrences=[])
            if source.msgid_plural:
                entry.msgid_plural = source.msgid_plural
                entry.msgstr_plural = {0: ""}
            po.append(entry)
        CATALOGUE.parent.mkdir(parents=True, exist_ok=True)
        po.wrapwidth = 0
        po.save(str(CATALOGUE))
        print(f"wrote {CATALOGUE}")
    if args.check and (new or empty):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
