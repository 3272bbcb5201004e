"""Wagtail admin: the technology field taxonomy as a snippet; the ledger entry when a result goes live."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import TechnologyField


class TechnologyFieldViewSet(SnippetViewSet):
    model = TechnologyField
    icon = "tag"
    menu_label = _("Technology fields")
    menu_order = 320
    add_to_admin_menu = True
    list_display = ["name", "name_en", "slug", "sort_order"]
    search_fields = ["name", "name_en"]


register_snippet(TechnologyFieldViewSet)
