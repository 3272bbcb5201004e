"""Request checks shared by every view."""

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefuseNulMiddleware:
    """A NUL character in the path, a query parameter or a form field answers 400 with a message.

    No text a person types contains one, and PostgreSQL refuses it in every text column and lookup
    ("A string literal cannot contain NUL characters"), so without this check any view that looks a
    value up or stores it would answer 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The path and query first: a path no view matches is still looked up (Wagtail's redirects).
        if NUL in request.path_info or _has_nul(request.GET):
            return _refused()
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # A view exempt from CSRF (the Stripe webhook) reads its body itself: its form data is not parsed.
        if getattr(view_func, "csrf_exempt", False):
            return None
        if request.method == "POST" and request.content_type in FORM_TYPES and _has_nul(request.POST):
            return _refused()
        return None


def _refused():
    return HttpResponseBadRequest(
        _("The request contains a NUL character, which no text may contain."), content_type="text/plain; charset=utf-8"
    )


def _has_nul(query):
    return any(NUL in key or any(NUL in v for v in values if isinstance(v, str)) for key, values in query.lists())
