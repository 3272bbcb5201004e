from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EquipmentConfig(AppConfig):
    name = "equipment"
    verbose_name = _("Shared instruments")

    def ready(self):
        # The models are loaded only now: register what the platform services need of this app.
        from marketplace.payments.payables import register

        from . import ledger, navigation
        from .payable import BookingPayable

        ledger.register()
        register(BookingPayable())
        navigation.register()
