from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IpListingsConfig(AppConfig):
    name = "ip_listings"
    verbose_name = _("Research results and IP")

    def ready(self):
        # The models are loaded only now: register what the platform services need of this app.
        from cms.registry import register_document_user
        from marketplace.core import catalogue_cache, pagecache
        from marketplace.payments.payables import register

        from . import documents, ledger, navigation
        from .models import LicenceAgreement, LicenceOffer, ResultPage
        from .payable import AgreementPayable

        ledger.register()
        register(AgreementPayable())
        register_document_user(documents.result_pages_holding)
        navigation.register()
        # What the public catalogue counts or offers as facets (an exclusive deal takes offers out of the
        # offer facets), and what changes free and busy times.
        catalogue_cache.watch(ResultPage, LicenceOffer, LicenceAgreement)
        pagecache.watch_availability(LicenceAgreement)
