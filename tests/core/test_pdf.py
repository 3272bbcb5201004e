"""PDF documents: rendered in the reader's language with CJK glyphs, read back as text; they fetch nothing."""

import copy
import io
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader

from marketplace.core.pdf import page_counter, pdf_response, render_pdf

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pytest.fixture
def probe_template(settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEMPLATES_DIR]
    settings.TEMPLATES = templates
    return "pdf_test/probe.html"


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize(
    "language, expected",
    [
        ("zh-hans", ["苏州微感科技有限公司", "¥6,200,000.00", "第 1 页，共 1 页", "生成于", "科技成果"]),
        ("en", ["苏州微感科技有限公司", "¥6,200,000.00", "Page 1 of 1", "Generated on", "Technology Transfer"]),
    ],
)
def test_a_document_is_a_pdf_in_the_readers_language_with_chinese_text_intact(probe_template, language, expected):
    pdf = render_pdf(
        probe_template,
        {"heading": "许可协议", "amount": Decimal("6200000"), "text": "苏州微感科技有限公司", "image": ""},
        language=language,
    )
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    for part in expected:
        assert part in text


def test_text_typed_by_a_user_is_text_not_markup(probe_template):
    text = _text(render_pdf(probe_template, {"text": "<b>bold</b> & <script>x</script>", "image": ""}))
    assert "<b>bold</b> & <script>x</script>" in text


def test_a_document_fetches_no_address_named_in_it(probe_template):
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/internal.png"
        pdf = render_pdf(probe_template, {"text": "x", "image": url})
    finally:
        server.shutdown()
    assert pdf.startswith(b"%PDF-")
    assert hits == []


def test_the_download_is_named_safely(probe_template):
    response = pdf_response(probe_template, {"text": "x", "image": ""}, filename='LA-2026/07 "x"')
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="la-202607-x.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_page_counter_is_a_css_string_in_both_languages():
    from django.utils import translation

    with translation.override("en"):
        assert page_counter() == '"Page " counter(page) " of " counter(pages) ""'
    with translation.override("zh-hans"):
        assert page_counter() == '"第 " counter(page) " 页，共 " counter(pages) " 页"'
