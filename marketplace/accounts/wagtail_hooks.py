"""Platform staff manage organisations from the Wagtail admin."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.models import register_snippet

from .models import Organization
from .services import announce_institute, flag_if_lookalike


class OrganizationCreateView(CreateView):
    def save_instance(self):
        instance = super().save_instance()
        if instance.is_institute:
            announce_institute(instance)
        flag_if_lookalike(instance)
        return instance


class OrganizationEditView(EditView):
    def save_instance(self):
        instance = super().save_instance()
        if {"name", "name_en"} & set(self.form.changed_data):
            flag_if_lookalike(instance)
        return instance


class OrganizationViewSet(ModelViewSet):
    model = Organization
    icon = "group"
    menu_label = _("Organisations")
    menu_order = 300
    add_to_admin_menu = True
    add_view_class = OrganizationCreateView
    edit_view_class = OrganizationEditView
    list_display = ["name", "name_en", "kind", "size_class", "city", "is_active", "name_flagged"]
    list_filter = ["name_flagged", "kind", "size_class", "is_active", "specialised_innovative", "little_giant"]
    search_fields = ["name", "name_en", "credit_code", "city"]
    panels = [
        FieldPanel("kind"),
        FieldPanel("name"),
        FieldPanel("name_en"),
        FieldPanel("slug"),
        FieldPanel("size_class"),
        FieldPanel("specialised_innovative"),
        FieldPanel("little_giant"),
        FieldPanel("credit_code"),
        FieldPanel("province"),
        FieldPanel("city"),
        FieldPanel("address"),
        FieldPanel("website"),
        FieldPanel("contact_email"),
        FieldPanel("contact_phone"),
        FieldPanel("bank_details"),
        FieldPanel("is_active"),
        FieldPanel("name_flagged"),
        FieldPanel("resembles", read_only=True),
    ]


register_snippet(OrganizationViewSet)
