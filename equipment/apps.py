from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EquipmentConfig(AppConfig):
    name = "equipment"
    verbose_name = _("Shared instruments")

    def ready(self):
        from marketplace.payments.payables import register

        from .payable import BookingPayable

        register(BookingPayable())
