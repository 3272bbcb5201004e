"""Whole-page cache of the public catalogue for anonymous visitors.

Most visitors of the browse pages, the home page and the listing pages are not signed in, and for them a
page depends only on its address, the language and the catalogue. Such a page is kept for a short time
(`PAGE_CACHE_SECONDS`) under a key of the path, the query string, the language and two version numbers:
the catalogue's (listings, offers, organisations, opening hours: `catalogue_cache.bump`) and the
availability's (bookings and blackouts: `bump_availability`). A publication or a booking is therefore
visible on the very next request; the time-out only bounds how long "next free slot" figures computed
from the clock may lag.

A response is served from the cache only when the request carries no session cookie (nobody signed in,
no flash messages waiting in the session) and no messages cookie, and stored only when it is a 200 that
sets no cookie. Signed-in people always get a freshly rendered page.

Wagtail's pages go through `marketplace.core.views.serve_page`, which looks in the cache before Wagtail
routes the path (a cached listing page costs no page lookup); work that must happen on every view is
replayed from the cached entry (`served_from_cache`).
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.dispatch import Signal
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from . import catalogue_cache
from .versions import Version

AVAILABILITY = Version("catalogue:availability")

# Sent when a page is answered from the cache, with the request and the `page_cache_extra` dict that the
# rendering had left on its request: what must still happen on every view (the listing view counter).
served_from_cache = Signal()
MAX_QUERY_LENGTH = 512


def bump_availability(*args, **kwargs) -> None:
    """Make cached pages that show free or busy times stale (a signal receiver)."""
    AVAILABILITY.bump()


def watch_availability(*models) -> None:
    """Make cached pages that show free or busy times stale whenever a row of one of `models` is saved or
    deleted (each app names its own models from its AppConfig.ready())."""
    catalogue_cache._connect(bump_availability, "availability", models)


def _cacheable_request(request) -> bool:
    return (
        getattr(settings, "PAGE_CACHE_SECONDS", 0) > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in request.COOKIES
        and len(request.META.get("QUERY_STRING", "")) <= MAX_QUERY_LENGTH
        and not getattr(request, "is_preview", False)
    )


def _key(request) -> str:
    parts = (
        request.path,
        sorted(request.GET.lists()),
        get_language(),
        request.get_host(),
        catalogue_cache.version(),
        AVAILABILITY.current(),
    )
    return "page:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _storable(request, response) -> bool:
    return (
        response.status_code == 200
        # A page that used the visitor's CSRF token must never reach another visitor (the middleware sets
        # the cookie only after the view, so `response.cookies` alone would not show it).
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not response.streaming
        and not response.cookies
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def serve_cached(request, render):
    """The response of `render()` for this request, from the cache when an anonymous visitor asks."""
    if not _cacheable_request(request):
        return render()
    key = _key(request)
    cached = cache.get(key)
    if cached is not None:
        content, content_type, status, extra = cached
        response = HttpResponse(content, content_type=content_type, status=status)
        response["X-Page-Cache"] = "hit"
        patch_vary_headers(response, ("Cookie",))
        if extra:
            served_from_cache.send(sender=None, request=request, extra=extra)
        return response
    response = render()
    if hasattr(response, "render") and callable(response.render) and not response.is_rendered:
        response.render()
    if _storable(request, response):
        entry = (
            response.content,
            response["Content-Type"],
            response.status_code,
            getattr(request, "page_cache_extra", None),
        )
        cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
        response["X-Page-Cache"] = "miss"
    patch_vary_headers(response, ("Cookie",))
    return response


def cache_anonymous_page(view):
    """View decorator: `serve_cached` around a function view."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return serve_cached(request, lambda: view(request, *args, **kwargs))

    return wrapper
