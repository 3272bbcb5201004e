"""Institutes cannot see each other's unpublished work in the Wagtail admin.

Every page under an institute page belongs to that institute. Outside platform staff (``is_staff``), a person
sees in the admin only the pages of the institutes they are a member of, plus the shared pages above them
(the root, the home page, the institutes index): another institute's pages, live or draft, are left out of
page choosers and their search, the explorer and its search, bulk actions and the page types usage report,
so no title, draft title or status of theirs shows. Wagtail's own permission checks already keep them out
of editing, history, workflow history, usage, the locked pages, aging pages and site history reports; the
hooks in ``cms/wagtail_hooks.py`` use this module for the rest.

Documents: a document attached to result pages (or referenced by pages) none of which is live is served
only to platform staff and the members of the institutes those pages belong to, until one of them goes live;
a document in an institute's collection that no page holds yet (just uploaded, or attached only in an
unpublished revision) only to that institute's members and platform staff.
"""

from django.db.models import Q
from wagtail.models import Page, ReferenceIndex

from marketplace.accounts import selectors as account_selectors

from . import registry
from .models import InstituteAccess, InstitutePage


def sees_every_institute(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


def _institute_paths(user):
    """(own institute page paths, other institute page paths)."""
    own_ids = set()
    if user is not None and user.is_authenticated:
        own_ids = set(account_selectors.institutes_of(user).values_list("pk", flat=True))
    own, other = [], []
    for organization_id, path in InstitutePage.objects.values_list("organization_id", "path"):
        (own if organization_id in own_ids else other).append(path)
    return own, other


def hidden_pages_q(user):
    """Q matching the pages `user` must not see in the admin, or None when they may see every page."""
    if sees_every_institute(user):
        return None
    _own, other = _institute_paths(user)
    if not other:
        return None
    q = Q()
    for path in other:
        q |= Q(path__startswith=path)
    return q


def visible_pages(queryset, user):
    """`queryset` without the pages of institutes `user` is not a member of (platform staff: unchanged)."""
    q = hidden_pages_q(user)
    return queryset if q is None else queryset.exclude(q)


def can_see_page(user, page) -> bool:
    if sees_every_institute(user):
        return True
    _own, other = _institute_paths(user)
    return not any(page.path.startswith(path) for path in other)


def in_own_institute(user, page) -> bool:
    """Whether `page` is one of the user's institute pages or below one (platform staff: always)."""
    if sees_every_institute(user):
        return True
    own, _other = _institute_paths(user)
    return any(page.path.startswith(path) for path in own)


def pages_holding_document(document):
    """The pages that attach `document` (as registered in `cms.registry`, e.g. result attachments) or
    reference it (Wagtail's reference index)."""
    page_ids = registry.pages_ids_holding(document)
    references = ReferenceIndex.get_references_to(document).filter(
        base_content_type__app_label="wagtailcore", base_content_type__model="page"
    )
    page_ids |= {int(object_id) for object_id in references.values_list("object_id", flat=True)}
    return Page.objects.filter(pk__in=page_ids)


def may_download_document(user, document) -> bool:
    """Wagtail's own checks (collection privacy) still apply after this one."""
    if sees_every_institute(user):
        return True
    pages = list(pages_holding_document(document).only("pk", "path", "live"))
    if any(page.live for page in pages):
        return True
    if not pages:
        # Not on any page yet (just uploaded, or only in an unpublished revision): a document in an
        # institute's collection stays with that institute; any other is served as Wagtail decides.
        owner = InstituteAccess.objects.filter(collection_id=document.collection_id).first()
        if owner is None:
            return True
        return (
            bool(user and user.is_authenticated)
            and account_selectors.institutes_of(user).filter(pk=owner.organization_id).exists()
        )
    if user is None or not user.is_authenticated:
        return False
    return any(in_own_institute(user, page) for page in pages)
