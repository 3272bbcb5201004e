"""URL converters. `<id:pk>` matches a database id: 1 to 18 ASCII digits, so every match fits the signed
64-bit id columns of SQLite and PostgreSQL (a longer number is a 404, not a database error)."""

from django.urls import register_converter
from django.urls.converters import get_converters

from .ids import MAX_ID


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value):
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)  # the resolver answers 404
        return number

    def to_url(self, value):
        return str(int(value))


def register() -> None:
    """Make `<id:...>` known (once; core's AppConfig.ready() calls this before any URL is resolved)."""
    if "id" not in get_converters():
        register_converter(IdConverter, "id")
