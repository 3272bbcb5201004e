"""Wagtail admin views narrowed to the pages a person may see (cms/admin_isolation.py)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from wagtail.admin.views.chooser import BrowseView
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.models import Page

from . import admin_isolation


class IsolatedPageTypesUsageReportView(PageTypesUsageReportView):
    """Wagtail's page types usage report, counting and naming only the pages the person may see: another
    institute's pages (their number, titles and last edits) stay out of it."""

    def get_queryset(self):
        user = self.request.user
        if admin_isolation.hidden_pages_q(user) is None:
            return super().get_queryset()
        visible = admin_isolation.visible_pages(Page.objects.all(), user)
        queryset = ContentType.objects.filter(model__in=self.page_models)
        page_content_type = ContentType.objects.get_for_model(Page)
        if not visible.filter(depth__gt=1, content_type=page_content_type).exists():
            queryset = queryset.exclude(id=page_content_type.id)
        self.queryset = queryset
        queryset = self.filter_queryset(queryset)

        narrowing = {}
        language_code = self.filters.form.cleaned_data.get("page_locale", None)
        site_root_path = self.filters.form.cleaned_data.get("site", None)
        if language_code:
            narrowing["locale__language_code"] = language_code
        if site_root_path:
            narrowing["path__startswith"] = site_root_path
        of_type = visible.filter(content_type=OuterRef("pk"), **narrowing)
        counts = of_type.order_by().values("content_type").annotate(n=Count("pk")).values("n")
        latest = of_type.order_by(F("latest_revision_created_at").desc(nulls_last=True), "title", "-pk")
        queryset = queryset.annotate(
            count=Coalesce(Subquery(counts, output_field=IntegerField()), 0),
            last_edited_page_id=Subquery(latest.values("pk")[:1]),
        )
        return queryset.order_by("-count", "app_label", "model")


class IsolatedPageChooserBrowseView(BrowseView):
    """Wagtail's page chooser: browsing into (or opening at) another institute's page shows the nearest
    page above it that the person may see instead, so that page's title and status never show; its
    children are narrowed by the construct_page_chooser_queryset hook."""

    def get_object_list(self):
        user = self.request.user
        if not admin_isolation.can_see_page(user, self.parent_page):
            for ancestor in self.parent_page.get_ancestors().order_by("-depth"):
                if admin_isolation.can_see_page(user, ancestor):
                    self.parent_page = ancestor.specific
                    break
        return super().get_object_list()
