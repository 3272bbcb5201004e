from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    name = "marketplace.statistics"
    label = "statistics"
    verbose_name = _("Transfer statistics")

    def ready(self):
        from . import navigation, signals  # signals imports the models, loaded only now

        signals.connect()
        navigation.register()
