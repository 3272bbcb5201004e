from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Models whose changes alter what the public catalogue counts or offers as facet choices.
CATALOGUE_MODELS = [
    "equipment.InstrumentPage",
    "equipment.OpeningHours",
    "equipment.Blackout",
    "ip_listings.ResultPage",
    "ip_listings.LicenceOffer",
    "ip_listings.LicenceAgreement",  # an exclusive deal takes offers out of the offer facets
    "accounts.Organization",
    "wagtailcore.PageViewRestriction",
]
# Models whose changes alter free and busy times or what an offer still allows (cached pages show both).
AVAILABILITY_MODELS = [
    "equipment.Booking",
    "equipment.Blackout",
    "equipment.OpeningHours",
    "ip_listings.LicenceAgreement",
]


class CoreConfig(AppConfig):
    name = "marketplace.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.apps import apps
        from django.db.models.signals import post_delete, post_save

        from . import catalogue_cache, pagecache

        for models, receiver, name in (
            (CATALOGUE_MODELS, catalogue_cache.bump, "catalogue"),
            (AVAILABILITY_MODELS, pagecache.bump_availability, "availability"),
        ):
            for label in models:
                model = apps.get_model(label)
                uid = f"{name}_cache_{label}"
                post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}_save")
                post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}_delete")
