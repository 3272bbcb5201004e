from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    name = "marketplace.statistics"
    label = "statistics"
    verbose_name = _("Transfer statistics")

    def ready(self):
        from . import navigation, rebuild, registry, signals  # the models are loaded only now

        signals.connect()
        registry.register_source("payments", rebuild.payment_sources)
        navigation.register()
