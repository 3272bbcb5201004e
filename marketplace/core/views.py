"""Site-wide views of the core app."""

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET
from wagtail import views as wagtail_views

from . import pagecache


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    """/favicon.ico, which browsers and crawlers ask for whatever the page links: the static icon."""
    return HttpResponseRedirect(static("img/favicon.ico"))


@require_GET
@never_cache
def switch_language(request, code):
    """Set the interface language from a plain link and go back to `next` (a page on this site).

    A link rather than Django's `set_language` form: the form needs a CSRF token in every page, which would
    make the public pages differ per visitor and so impossible to cache (marketplace/core/pagecache.py).
    Choosing a language changes nothing but that cookie.
    """
    if code not in dict(settings.LANGUAGES) or not check_for_language(code):
        raise Http404
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def serve_page(request, path):
    """Wagtail's page serving behind the anonymous page cache (marketplace/core/pagecache.py)."""
    return pagecache.serve_cached(request, lambda: wagtail_views.serve(request, path))
