from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from . import converters


class CoreConfig(AppConfig):
    name = "marketplace.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        converters.register()
