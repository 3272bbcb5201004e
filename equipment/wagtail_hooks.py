"""The instrument category taxonomy is edited as a snippet in the Wagtail admin."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

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
