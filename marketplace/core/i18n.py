"""Bilingual content: Chinese is stored first, English beside it; pick by the active language."""

from django.utils.translation import get_language


def is_english() -> bool:
    return (get_language() or "").startswith("en")


def pick(chinese, english):
    """The English text when the interface is in English and one exists, else the Chinese."""
    return english if (english and is_english()) else chinese
