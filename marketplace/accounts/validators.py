"""Checks on names people type: no invisible or direction-changing characters, and lookalike detection."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Characters that change how text around them is displayed without showing themselves: bidirectional
# embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), zero-width space, non-joiner and
# joiner (U+200B–U+200D), word joiner (U+2060) and the byte-order mark (U+FEFF).
BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
ZERO_WIDTH = frozenset(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])


def forbidden_characters(value: str) -> list[str]:
    """The characters of `value` a name may not contain (control, bidi-override, zero-width), in order."""
    found = []
    for char in value or "":
        if char in BIDI_CONTROLS or char in ZERO_WIDTH or unicodedata.category(char) == "Cc":
            if char not in found:
                found.append(char)
    return found


@deconstructible
class VisibleTextValidator:
    """Refuse control characters (tabs and line breaks included), bidi overrides and zero-width characters."""

    message = _(
        "Names may not contain control characters, invisible (zero-width) characters or characters that "
        "change the text direction (found: %(codes)s)."
    )
    code = "invisible_characters"

    def __call__(self, value):
        found = forbidden_characters(str(value))
        if found:
            codes = ", ".join(f"U+{ord(c):04X}" for c in found)
            raise ValidationError(self.message, code=self.code, params={"codes": codes})

    def __eq__(self, other):
        return isinstance(other, VisibleTextValidator)


validate_visible_text = VisibleTextValidator()

# A few letters from other scripts (and digits) that look like Latin letters, mapped to the Latin letter.
# Not Unicode's full confusables table: enough to catch the usual tricks (Cyrillic а/е/о/р/с/х/у,
# Greek ο/α/ρ, 0 for o, 1 and | for l, "rn" for "m").
CONFUSABLES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "к": "k", "м": "m",  # Cyrillic
        "т": "t", "в": "b", "н": "h", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g",
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "ι": "i", "κ": "k", "χ": "x", "υ": "u",  # Greek
        "0": "o", "1": "l", "i": "l", "|": "l", "!": "l",
    }
)  # fmt: skip


def name_key(value: str) -> str:
    """A comparison key under which lookalike organisation names are equal.

    NFKC-normalised (full-width letters, ligatures, compatibility forms), case-folded, with every
    whitespace, punctuation, symbol, control and format character removed, then a few confusable
    letters and digits mapped to one Latin letter and "rn" read as "m". So "Acme Ltd.", "ACME  LTD",
    "Ａｃｍｅ Ltd" and "Acmе Ltd" (Cyrillic е) share one key.
    """
    text = unicodedata.normalize("NFKC", value or "").casefold()
    text = text.translate(CONFUSABLES)
    text = "".join(c for c in text if unicodedata.category(c)[0] in "LNM")
    return text.replace("rn", "m").replace("vv", "w")[:200]
