from django.conf import settings


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "DEFAULT_CURRENCY": settings.DEFAULT_CURRENCY,
        "STRIPE_ENABLED": bool(settings.STRIPE_SECRET_KEY),
    }
