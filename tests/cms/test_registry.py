"""Other apps tell the CMS which pages hold a document; the CMS imports none of them."""

import pytest
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from cms import admin_isolation, registry
from cms.models import InstitutePage
from ip_listings.documents import result_pages_holding

pytestmark = pytest.mark.django_db


@pytest.fixture
def document():
    return get_document_model().objects.create(title="说明书", file=ContentFile(b"pdf", name="manual.pdf"))


def test_results_register_their_attachments_as_document_users():
    assert result_pages_holding in registry._document_users


def test_a_registered_document_user_names_the_pages_holding_a_document(document, institute, monkeypatch):
    page = InstitutePage.objects.get(organization=institute)
    monkeypatch.setattr(registry, "_document_users", [])
    assert list(admin_isolation.pages_holding_document(document)) == []

    registry.register_document_user(lambda doc: [page.pk] if doc == document else [])
    registry.register_document_user(registry._document_users[0])  # the same function twice counts once

    assert list(admin_isolation.pages_holding_document(document)) == [page.page_ptr]
    assert len(registry._document_users) == 1
