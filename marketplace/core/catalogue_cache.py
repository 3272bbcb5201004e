"""Cached figures of the public catalogue: result counts and facet choices of the browse pages.

Counting 100,000 live listings and collecting the cities of every institute with an instrument cost
more than the rest of a browse page together, and both change only when a listing is published,
unpublished or deleted, an organisation or an offer changes, or opening hours and blackouts change (the
"free on" facet). Each of those bumps one version number (`bump`); every cached figure carries the
version it was computed under in its key, so a change is visible on the very next request. The time-out
is only a safety net (`CATALOGUE_CACHE_SECONDS`).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models.signals import post_delete, post_save
from django.utils.functional import cached_property

from .versions import Version

CATALOGUE = Version("catalogue:version")


def version() -> int:
    return CATALOGUE.current()


def bump(*args, **kwargs) -> None:
    """Make every cached catalogue figure stale (a signal receiver: takes and ignores any arguments)."""
    CATALOGUE.bump()


def watch(*models) -> None:
    """Make cached catalogue figures stale whenever a row of one of `models` is saved or deleted (each
    app names its own models from its AppConfig.ready())."""
    _connect(bump, "catalogue", models)


def _connect(receiver, name, models) -> None:
    for model in models:
        uid = f"{name}_cache_{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}_save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}_delete")


def cached(name: str, compute, *parts):
    """`compute()` cached under `name`, the given key parts and the current catalogue version (computed
    every time when `CATALOGUE_CACHE_SECONDS` is 0)."""
    timeout = getattr(settings, "CATALOGUE_CACHE_SECONDS", 0)
    if timeout <= 0:
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest() if parts else "-"
    key = f"catalogue:{name}:{version()}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


class CachedCountPaginator(Paginator):
    """A paginator whose total count is cached per query (its SQL and parameters) and catalogue version."""

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if query is None:
            return super().count
        try:
            sql, params = query.sql_with_params()
        except EmptyResultSet:  # e.g. `pk__in=[]`: nothing to count
            return 0
        return cached("count", lambda: self.object_list.count(), self.object_list.db, sql, params)
