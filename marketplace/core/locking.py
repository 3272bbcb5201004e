"""Row locks: the one idiom for "nobody else changes this row until my transaction ends".

On PostgreSQL `SELECT ... FOR UPDATE OF` the row's own table: rows reached through `select_related` are
read, not locked (and a nullable outer join, which PostgreSQL cannot lock, is no error). On SQLite there
are no row locks and Django leaves the clause out: every transaction begins with BEGIN IMMEDIATE
(settings `transaction_mode`), so whoever writes already holds the database write lock.

Call it inside `transaction.atomic()`: outside a transaction PostgreSQL refuses it.
"""

from django.db.models import QuerySet


def locked(queryset: QuerySet) -> QuerySet:
    """`queryset` whose rows are locked when it is evaluated."""
    return queryset.select_for_update(of=("self",))


def lock(queryset: QuerySet, **lookup):
    """The one row of `queryset` matching `lookup`, locked (raises `DoesNotExist` like `get()`)."""
    return locked(queryset).get(**lookup)
