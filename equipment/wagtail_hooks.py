"""The instrument category taxonomy is edited as a snippet in the Wagtail admin."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.models import Page
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import rate_preview, services
from .models import InstrumentCategory


class InstrumentCategoryViewSet(SnippetViewSet):
    model = InstrumentCategory
    icon = "tag"
    menu_label = _("Instrument categories")
    menu_order = 310
    add_to_admin_menu = True
    list_display = ["name", "name_en", "slug", "sort_order"]
    search_fields = ["name", "name_en"]


register_snippet(InstrumentCategoryViewSet)


@hooks.register("register_admin_urls")
def register_rate_preview_url():
    return [path("instrument-rate-preview/", rate_preview.rate_preview, name="equipment_rate_preview")]


# --- pages with live bookings ----------------------------------------------------------------------
# An instrument whose bookings still hold slots may not be unpublished, moved or deleted: the facility
# cancels those bookings first (full refund, email). Deleting also keeps the booking history.


def _refused(request, page, message):
    messages.error(request, message)
    return redirect("wagtailadmin_pages:edit", page.pk)


def _blocked_by_bookings(request, page, refusal):
    bookings = services.page_change_blockers(page)
    if bookings:
        return _refused(request, page, refusal % {"bookings": services.describe_bookings(bookings)})
    return None


@hooks.register("before_unpublish_page")
def refuse_unpublishing_booked_instruments(request, page):
    return _blocked_by_bookings(
        request,
        page,
        gettext(
            "This page cannot be unpublished while these active bookings remain: %(bookings)s. "
            "Cancel them first on the facility's booking pages (full refund, email to the enterprise)."
        ),
    )


@hooks.register("before_move_page")
def refuse_moving_booked_instruments(request, page, destination):
    if page.get_parent() and page.get_parent().pk == destination.pk:
        return None
    return _blocked_by_bookings(
        request,
        page,
        gettext(
            "This page cannot be moved while these active bookings remain: %(bookings)s. "
            "Cancel them first on the facility's booking pages (full refund, email to the enterprise)."
        ),
    )


@hooks.register("before_delete_page")
def refuse_deleting_booked_instruments(request, page):
    refused = _blocked_by_bookings(
        request,
        page,
        gettext(
            "This page cannot be deleted while these active bookings remain: %(bookings)s. "
            "Cancel them first on the facility's booking pages (full refund, email to the enterprise)."
        ),
    )
    if refused is None and services.page_has_bookings(page):
        refused = _refused(
            request,
            page,
            gettext(
                "This instrument has bookings on record, which are kept with it: it cannot be deleted. "
                "Unpublish it instead."
            ),
        )
    return refused


@hooks.register("before_bulk_action")
def refuse_bulk_changes_to_booked_instruments(request, action_type, objects, view):
    if action_type not in ("delete", "unpublish", "move"):
        return None
    for page in (obj for obj in objects if isinstance(obj, Page)):
        bookings = services.page_change_blockers(page)
        if bookings or (action_type == "delete" and services.page_has_bookings(page)):
            messages.error(
                request,
                gettext(
                    "%(page)s has active bookings or a booking history and cannot be deleted, unpublished "
                    "or moved together with other pages. %(bookings)s"
                )
                % {"page": page.get_admin_display_title(), "bookings": services.describe_bookings(bookings)},
            )
            return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None
