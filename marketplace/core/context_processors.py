from functools import partial

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from . import navigation

SITE_NAME = _("Technology Transfer & Shared Instruments")


def site(request):
    return {
        "SITE_NAME": SITE_NAME,
        "DEFAULT_CURRENCY": settings.DEFAULT_CURRENCY,
        "STRIPE_ENABLED": bool(settings.STRIPE_SECRET_KEY),
        # Called only by a template that shows the header (the template engine calls it).
        "nav_links": partial(navigation.nav_links, getattr(request, "user", None) or AnonymousUser()),
    }
