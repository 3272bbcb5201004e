from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "marketplace.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # Loaded only now: these modules import models, which are not ready when this module is imported.
        from django.apps import apps

        from . import catalogue_cache, converters

        converters.register()
        # What the platform itself holds that the public catalogue shows (each domain app registers its own
        # listing models with `catalogue_cache.watch` and `pagecache.watch_availability`).
        catalogue_cache.watch(
            apps.get_model("accounts.Organization"), apps.get_model("wagtailcore.PageViewRestriction")
        )
