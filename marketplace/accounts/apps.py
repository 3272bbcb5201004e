from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from marketplace.core import catalogue_cache


class AccountsConfig(AppConfig):
    name = "marketplace.accounts"
    label = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self):
        # The models are loaded only now. two_factor connects the sign-in signal when imported.
        from . import two_factor  # noqa: F401
        from .models import Organization

        # The public catalogue shows organisations (names, cities as facet choices).
        catalogue_cache.watch(Organization)
