"""Bilingual content: Chinese is stored first, English beside it; pick by the active language."""

from django.utils.translation import get_language


def is_english() -> bool:
    return (get_language() or "").startswith("en")


def pick(chinese, english):
    """The English text when the interface is in English and one exists, else the Chinese."""
    return english if (english and is_english()) else chinese


def _has_cjk(text) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text or "")


def person_name(given, family) -> str:
    """A person's full name as its owner writes it, in either interface language: a Chinese name family
    name first with no space (李明), a name in Latin letters given name first (Ann Lee)."""
    given, family = (given or "").strip(), (family or "").strip()
    if _has_cjk(given) or _has_cjk(family):
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part)


def family_name_first() -> bool:
    """Whether forms ask for the family name before the given name (the Chinese interface)."""
    return not is_english()
