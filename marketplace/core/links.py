"""Absolute links for what is read outside the site: emails, calendar feeds, exports."""

from django.conf import settings
from django.urls import reverse


def absolute_url(viewname, *args, **kwargs) -> str:
    """The full address of a named URL on this site (SITE_URL + reverse(viewname, args, kwargs))."""
    return settings.SITE_URL.rstrip("/") + reverse(viewname, args=args or None, kwargs=kwargs or None)
