"""Search helpers shared by the browse pages."""

import re
from functools import reduce
from operator import and_, or_

from django.db.models import Q
from wagtail.models import Page

from . import catalogue_cache

# CJK Unified Ideographs (with extension A) and the compatibility block.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _lookup(word):
    """`contains` for a word of Chinese characters only (they have no case, and a plain LIKE can use the
    trigram indexes on PostgreSQL), `icontains` for anything with letters that have case."""
    return "contains" if all(_CJK.match(c) for c in word) else "icontains"


# Characters that are never part of a word a person searches for: control and format characters (NUL,
# which PostgreSQL refuses in any text, bidi and zero-width marks) and the double quote, which the SQLite
# full-text backend (FTS5 MATCH) reads as the end of a quoted term, so that '"' alone is a syntax error.
_NOT_SEARCHABLE = re.compile(r'["\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]')


def search_words(query):
    """The words of a typed query, with what is not searchable (see _NOT_SEARCHABLE) read as a space."""
    return " ".join(_NOT_SEARCHABLE.sub(" ", query or "").split())


def search_ids(queryset, query, fields, limit=1000):
    """Ids of the pages of `queryset` that match `query`: full-text search, plus, for a query in Chinese,
    every page whose `fields` contain each of its words.

    Chinese is written without spaces, so the full-text index holds whole phrases ("扫描电子显微镜") and
    a word inside one ("显微镜") would never be found by the index alone. The ids are cached with the
    catalogue (`catalogue_cache`): a publication changes the version and so the next answer.
    """
    query = search_words(query)
    if not query:
        return []
    return catalogue_cache.cached(
        "search", lambda: _search_ids(queryset, query, fields, limit), queryset.query.sql_with_params(), query, limit
    )


def _search_ids(queryset, query, fields, limit):
    ids = [page.pk for page in queryset.search(query, operator="and", order_by_relevance=True)[:limit]]
    if _CJK.search(query) and len(ids) < limit:
        words = query.split()
        condition = reduce(and_, (reduce(or_, (Q(**{f"{f}__{_lookup(w)}": w}) for f in fields)) for w in words))
        ids += queryset.filter(condition).exclude(pk__in=ids).values_list("pk", flat=True)[: limit - len(ids)]
    return ids


def pages_with_ids(ids):
    """A subquery of the page ids among `ids`, for `filter(pk__in=...)` on a page model.

    With the list itself, PostgreSQL applies it to the page model's own table only and walks the whole
    page table to join it (50 ms for 1,000 ids among 200,000 pages); through the page table, the join
    starts from the 1,000 pages (10 ms)."""
    return Page.objects.filter(id__in=ids).values("id")
