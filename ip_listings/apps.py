from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IpListingsConfig(AppConfig):
    name = "ip_listings"
    verbose_name = _("Research results and IP")

    def ready(self):
        from . import ledger  # the models are loaded only now

        ledger.register()
