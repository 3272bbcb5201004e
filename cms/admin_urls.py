"""Wagtail admin URLs the project replaces (mounted under admin/ before Wagtail's own, so these win)."""

from django.urls import path
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access
from wagtail.utils.urlpatterns import decorate_urlpatterns

from .admin_views import IsolatedPageChooserBrowseView, IsolatedPageTypesUsageReportView

urlpatterns = [
    path("choose-page/", IsolatedPageChooserBrowseView.as_view(), name="cms_choose_page"),
    path(
        "choose-page/<id:parent_page_id>/",
        IsolatedPageChooserBrowseView.as_view(),
        name="cms_choose_page_child",
    ),
    path(
        "reports/page-types-usage/",
        IsolatedPageTypesUsageReportView.as_view(),
        name="cms_page_types_usage",
    ),
    path(
        "reports/page-types-usage/results/",
        IsolatedPageTypesUsageReportView.as_view(results_only=True),
        name="cms_page_types_usage_results",
    ),
]

# As Wagtail does for its own admin URLs: only people with admin access reach these views.
urlpatterns = decorate_urlpatterns(urlpatterns, require_admin_access)
urlpatterns = decorate_urlpatterns(urlpatterns, never_cache)
