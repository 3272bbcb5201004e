"""Documents as PDF: a licence agreement, an invoice, a booking confirmation, a statement.

A document is an HTML template that extends `pdf/base.html`, rendered in the reader's language and turned
into PDF by WeasyPrint. Its text is set in Noto CJK (Debian's fonts-noto-cjk, installed by `make install`),
which carries both Chinese and Latin glyphs, so either language prints without missing characters.

The renderer fetches nothing from the network or the disk: a document is made of its template and its
context only (data: URLs excepted), so text typed by a user cannot make the server fetch an address.
"""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .context_processors import SITE_NAME

# The fonts of the document, in order: Chinese and Latin glyphs from Noto CJK, then whatever serif exists.
PAGE_OF = _("Page %(page)s of %(pages)s")
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans SC", sans-serif'


def _url_fetcher():
    """WeasyPrint's fetcher, allowed data: URLs only (any other address is left out of the document)."""
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 -- weasyprint loads only with a PDF

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter() -> str:
    """The CSS `content` of the page footer in the active language: "Page 2 of 5", "第 2 页，共 5 页"."""
    marker = "\x00"
    text = str(PAGE_OF) % {"page": marker + "page" + marker, "pages": marker + "pages" + marker}
    parts = text.split(marker)
    # parts alternate: text, counter name, text, counter name, text
    return " ".join(_css_string(part) if i % 2 == 0 else f"counter({part})" for i, part in enumerate(parts))


def render_pdf(template_name: str, context: dict, *, language: str | None = None) -> bytes:
    """The PDF of `template_name` rendered with `context` in `language` (the active one by default)."""
    # WeasyPrint loads Pango and the fonts when imported (a few hundred milliseconds): only when a
    # document is asked for, not in every process that imports this module.
    from weasyprint import HTML  # noqa: PLC0415

    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        html = render_to_string(
            template_name,
            {
                "generated_at": timezone.now(),
                **context,
                "FONT_FAMILY": FONT_FAMILY,
                "LANGUAGE_CODE": language,
                "SITE_NAME": str(SITE_NAME),
                "PAGE_COUNTER": page_counter(),
            },
        )
    return HTML(string=html, url_fetcher=_url_fetcher(), base_url=None).write_pdf()


def pdf_response(template_name: str, context: dict, *, filename: str, language: str | None = None) -> HttpResponse:
    """A download of the document, named `<filename>.pdf` (ASCII, for every browser)."""
    response = HttpResponse(render_pdf(template_name, context, language=language), content_type="application/pdf")
    safe = slugify(filename) or "document"
    response["Content-Disposition"] = f'attachment; filename="{safe}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
