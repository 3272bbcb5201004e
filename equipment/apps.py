from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EquipmentConfig(AppConfig):
    name = "equipment"
    verbose_name = _("Shared instruments")

    def ready(self):
        # The models are loaded only now: register what the platform services need of this app.
        from marketplace.core import catalogue_cache, pagecache
        from marketplace.payments.payables import register

        from . import charges, ledger, navigation
        from .models import Blackout, Booking, InstrumentPage, OpeningHours
        from .payable import BookingPayable, OverrunPayable

        ledger.register()
        register(BookingPayable())
        register(OverrunPayable())
        navigation.register()
        charges.register()
        # What the public catalogue counts or offers as facets, and what changes free and busy times.
        catalogue_cache.watch(InstrumentPage, OpeningHours, Blackout)
        pagecache.watch_availability(Booking, Blackout, OpeningHours)
