"""Admin: the TTO dashboard and its exports; listing views counted when a page is served."""

import re

from django.dispatch import receiver
from django.urls import path, re_path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from marketplace.core.pagecache import served_from_cache

from . import services, views
from .selectors import access

BOT_PATTERN = re.compile(r"bot|crawl|spider|slurp|curl|wget|python-requests|headless|preview", re.IGNORECASE)


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path("transfer-statistics/", views.DashboardView.as_view(), name="statistics_dashboard"),
        re_path(
            r"^transfer-statistics/export/(?P<table>annual|instruments)\.(?P<fmt>csv|xlsx)$",
            views.export_view,
            name="statistics_export",
        ),
    ]


class DashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return access.can_view_dashboard(request.user)


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return DashboardMenuItem(_("Transfer statistics"), reverse("statistics_dashboard"), icon_name="table", order=250)


def is_bot(request) -> bool:
    agent = request.headers.get("User-Agent", "")
    return not agent or bool(BOT_PATTERN.search(agent))


@hooks.register("before_serve_page")
def count_listing_view(page, request, serve_args, serve_kwargs):
    """Count a view of an instrument or result page (not previews, not bots): one UPDATE mostly."""
    institute_id = getattr(page, "institute_id", None)
    if institute_id is None or getattr(request, "is_preview", False):
        return None
    # Kept with the page if it is cached for anonymous visitors, so that views served from the cache
    # count too (`count_cached_listing_view`).
    request.page_cache_extra = {"listing_view": [page.pk, institute_id]}
    _count(request, page.pk, institute_id)
    return None


def _count(request, page_id, institute_id):
    if request.method == "GET" and not is_bot(request):
        services.count_listing_view(page_id=page_id, institute_id=institute_id)


@receiver(served_from_cache, dispatch_uid="statistics_count_cached_listing_view")
def count_cached_listing_view(sender, request, extra, **kwargs):
    if "listing_view" in extra:
        _count(request, *extra["listing_view"])
