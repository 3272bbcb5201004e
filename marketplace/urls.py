from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from equipment import views as equipment_views
from ip_listings import views as ip_views
from marketplace.core import views as core_views

urlpatterns = [
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("django-admin/", admin.site.urls),
    # Wagtail admin views narrowed per institute (cms/admin_urls.py) come before Wagtail's own.
    path("admin/", include("cms.admin_urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("language/<str:code>/", core_views.switch_language, name="switch_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("marketplace.accounts.urls")),
    path("equipment/", include("equipment.urls")),
    path("instruments/", equipment_views.browse, name="instruments"),
    path("ip/", include("ip_listings.urls")),
    path("results/", ip_views.browse, name="results"),
    path("payments/", include("marketplace.payments.urls")),
    path("stats/", include("marketplace.statistics.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page serving comes last: it matches every remaining path. Pages go through the anonymous page
# cache first (Wagtail's own `_util/` views excepted); Wagtail's own pattern stays for reverse().
urlpatterns += [
    re_path(r"^(?!_util/)((?:[\w\-]+/)*)$", core_views.serve_page, name="page"),
    path("", include(wagtail_urls)),
]
