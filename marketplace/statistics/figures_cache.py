"""Cached dashboard figures that are never stale.

A dashboard's figures come from the ledger, the instrument pages and the organisations, and take
seconds to compute for the whole platform. A computed copy is kept in Django's cache under a key made
of what was asked (figures, scope, period, language) and of marks of the data it was computed from:

- of the ledger, the instrument pages and Wagtail's page log (every publish, unpublish, move, copy or
  deletion done through Wagtail writes an entry): the newest id and the sum of the thousand newest.
  The ledger is append-only, so a new fact is a new id: a higher one, or a lower one committed after
  higher ones (which changes the sum). One query reads them from the primary-key indexes, so
  a change made by any process shows on the next request, whatever the cache backend;
- a version number in the cache (`freshness.FIGURES`, a core `Version`), bumped (now and again when
  the transaction commits) whenever a ledger row, a watched model (an instrument page, an organisation,
  what the apps `registry.watch`) is saved or deleted through the ORM: changes the marks
  cannot see (an instrument's costs changed in code rather than published, an enterprise's size
  class). With a shared cache (Redis) this reaches every process; with each process's own memory
  cache, only the process that made the change, and the others see it when the time-out ends.

The time-out is `STATISTICS_CACHE_SECONDS` (10 minutes by default; 0 turns the cache off).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.translation import get_language
from wagtail.models import PageLogEntry

from . import registry
from .freshness import FIGURES
from .models import TransferEvent

DEFAULT_SECONDS = 600


RECENT_IDS = 1000  # rows committed this far out of order are noticed


def marks() -> tuple:
    """For the ledger, the instrument pages and the page log: the newest id and the sum of the
    `RECENT_IDS` newest (which changes when a row is committed after newer ones); one query, on
    primary-key indexes."""
    quote = connection.ops.quote_name
    columns = []
    for model in (TransferEvent, registry.instruments().model, PageLogEntry):
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        recent = f"SELECT {pk} FROM {table} ORDER BY {pk} DESC LIMIT {RECENT_IDS}"  # noqa: S608 - no input
        columns += [f"(SELECT MAX({pk}) FROM {table})", f"(SELECT SUM({pk}) FROM ({recent}) recent)"]  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}")
        return tuple(cursor.fetchone())


def key(name, scope, period) -> str:
    who = "all" if scope is None else ",".join(str(pk) for pk in sorted(scope))
    parts = [name, who, period.first_day.isoformat(), period.end_day.isoformat(), get_language() or "-"]
    parts += [str(mark) for mark in (*marks(), FIGURES.current())]
    text = ":".join(parts)
    # Short enough for any backend (memcached allows 250 characters).
    return f"statistics:{text}" if len(text) < 200 else f"statistics:{hashlib.sha256(text.encode()).hexdigest()}"


def timeout() -> int:
    return getattr(settings, "STATISTICS_CACHE_SECONDS", DEFAULT_SECONDS)


def cached(name, scope, period, compute):
    """`compute()`, or its copy computed from the same data."""
    if timeout() <= 0:
        return compute()
    # The key is read before computing: the figures are at least as new as the marks they are filed under.
    figures_key = key(name, scope, period)
    figures = cache.get(figures_key)
    if figures is None:
        figures = compute()
        cache.set(figures_key, figures, timeout())
    return figures
