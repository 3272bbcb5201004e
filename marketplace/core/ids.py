"""Ids typed into URLs and forms: a database id, or nothing."""

from django.http import Http404

# The largest id any of the project's tables can hold (a signed 64-bit integer on SQLite and PostgreSQL).
MAX_ID = 2**63 - 1


def parse_id(value):
    """`value` as a database id (an int from 1 to MAX_ID, written in ASCII digits), else None.

    `int()` alone also takes "１２", " 12", "1_2" and numbers no column can hold, which the database
    then refuses with an error (OverflowError on SQLite, "out of range" on PostgreSQL) instead of
    finding nothing."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value) if value is not None else ""
        if not (text.isascii() and text.isdigit()):
            return None
        number = int(text)
    return number if 1 <= number <= MAX_ID else None


def id_or_404(value):
    """`parse_id(value)`, or 404 when it is not an id."""
    number = parse_id(value)
    if number is None:
        raise Http404
    return number
