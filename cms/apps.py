from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from marketplace.core import catalogue_cache


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site pages")

    def ready(self):
        # The models are loaded only now: follow what accounts announces.
        from wagtail.models import PageViewRestriction

        from marketplace.accounts.signals import institute_created, memberships_changed

        from . import navigation, services

        navigation.register()
        # A page made private (or public again) leaves (or joins) the public catalogue.
        catalogue_cache.watch(PageViewRestriction)
        institute_created.connect(services.on_institute_created, dispatch_uid="cms_provision_institute")
        memberships_changed.connect(services.on_memberships_changed, dispatch_uid="cms_sync_user_groups")
