"""Wagtail admin isolation between institutes (see cms/admin_isolation.py)."""

from django.http import Http404
from wagtail import hooks
from wagtail.admin.views.pages.bulk_actions import (
    DeleteBulkAction,
    MoveBulkAction,
    PublishBulkAction,
    UnpublishBulkAction,
)

from . import admin_isolation


@hooks.register("construct_page_chooser_queryset")
def hide_other_institutes_in_the_page_chooser(pages, request):
    return admin_isolation.visible_pages(pages, request.user)


@hooks.register("construct_explorer_page_queryset")
def hide_other_institutes_in_the_explorer(parent_page, pages, request):
    return admin_isolation.visible_pages(pages, request.user)


@hooks.register("before_serve_document")
def serve_unpublished_attachments_only_to_their_institute(document, request):
    if not admin_isolation.may_download_document(request.user, document):
        raise Http404


class _VisiblePagesOnly:
    """A page bulk action that leaves another institute's pages out entirely: not even listed as
    'no permission', so their titles and status never show."""

    def get_actionable_objects(self):
        objects, extra = super().get_actionable_objects()
        user = self.request.user
        objects = [page for page in objects if admin_isolation.can_see_page(user, page)]
        hidden = extra.get("items_with_no_access", [])
        extra["items_with_no_access"] = [page for page in hidden if admin_isolation.can_see_page(user, page)]
        return objects, extra


# Registered after Wagtail's own (order 1), so these replace its page bulk actions of the same type.
for _base in (DeleteBulkAction, MoveBulkAction, PublishBulkAction, UnpublishBulkAction):
    hooks.register(
        "register_bulk_action",
        type(_base.__name__, (_VisiblePagesOnly, _base), {"__module__": __name__}),
        order=1,
    )
