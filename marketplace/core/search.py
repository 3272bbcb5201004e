"""Search helpers shared by the browse pages."""

import re
from functools import reduce
from operator import and_, or_

from django.db.models import Q

# CJK Unified Ideographs (with extension A) and the compatibility block.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def search_ids(queryset, query, fields, limit=1000):
    """Ids of the pages of `queryset` that match `query`: full-text search, plus, for a query in Chinese,
    every page whose `fields` contain each of its words.

    Chinese is written without spaces, so the full-text index holds whole phrases ("扫描电子显微镜") and
    a word inside one ("显微镜") would never be found by the index alone.
    """
    ids = [page.pk for page in queryset.search(query, operator="and", order_by_relevance=True)[:limit]]
    if _CJK.search(query) and len(ids) < limit:
        words = query.split()
        condition = reduce(and_, (reduce(or_, (Q(**{f"{f}__icontains": w}) for f in fields)) for w in words))
        ids += queryset.filter(condition).exclude(pk__in=ids).values_list("pk", flat=True)[: limit - len(ids)]
    return ids
