"""The version of the cached figures: bumped whenever a watched model changes (`registry.watch`), so
that every figure cached before is stale (`figures_cache` puts the version in its keys).

Its own module so that `registry` (which connects `changed`) and `figures_cache` (which reads
`version`) import it and not each other."""

import time

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "statistics:figures-version"


def version() -> int:
    value = cache.get(VERSION_KEY)
    if value is None:
        # Unknown (cache cleared or evicted): start a series that no earlier copy can share.
        cache.add(VERSION_KEY, time.time_ns(), None)
        value = cache.get(VERSION_KEY, 0)
    return value


def _bump():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet, or evicted: a fresh series is just as new
        cache.set(VERSION_KEY, time.time_ns(), None)


def changed(*args, **kwargs) -> None:
    """Make every cached figure stale, now and when the current transaction commits (a signal
    receiver: takes and ignores any arguments)."""
    _bump()
    transaction.on_commit(_bump)
