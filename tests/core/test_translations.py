import re
from pathlib import Path

import polib
from django.conf import settings

from marketplace.core.management.commands.compiletranslations import catalogues
from marketplace.core.management.commands.potodo import untranslated


def test_every_zh_hans_catalogue_is_complete():
    paths = list(catalogues(Path(settings.BASE_DIR)))
    assert any("marketplace/locale" in str(p) for p in paths)
    missing = {}
    for path in paths:
        entries = [e.msgid for e in untranslated(polib.pofile(str(path)))]
        if entries:
            missing[str(path)] = entries[:10]
    assert missing == {}


def test_catalogue_placeholders_match_their_source():
    """A translation must keep every %(name)s placeholder, or rendering it fails."""
    pattern = re.compile(r"%\(\w+\)s")
    bad = []
    for path in catalogues(Path(settings.BASE_DIR)):
        for entry in polib.pofile(str(path)):
            if entry.msgstr and sorted(pattern.findall(entry.msgid)) != sorted(pattern.findall(entry.msgstr)):
                bad.append((str(path), entry.msgid))
    assert bad == []
