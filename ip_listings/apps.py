from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IpListingsConfig(AppConfig):
    name = "ip_listings"
    verbose_name = _("Research results and IP")

    def ready(self):
        from wagtail.signals import page_published

        from .models import ResultPage

        page_published.connect(_result_published, sender=ResultPage, dispatch_uid="ip_listings_result_published")

        from marketplace.payments.payables import register

        from .payable import AgreementPayable

        register(AgreementPayable())


def _result_published(sender, instance, **kwargs):
    from .services import record_listing_published

    record_listing_published(instance)
