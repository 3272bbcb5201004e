from django.conf import settings
from django.utils.translation import gettext_lazy as _

SITE_NAME = _("Technology Transfer & Shared Instruments")


def site(request):
    return {
        "SITE_NAME": SITE_NAME,
        "DEFAULT_CURRENCY": settings.DEFAULT_CURRENCY,
        "STRIPE_ENABLED": bool(settings.STRIPE_SECRET_KEY),
    }
