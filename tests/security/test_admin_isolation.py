"""Institutes cannot see each other's unpublished work in the Wagtail admin (issue 11, point 6).

In the security world, institute X has a draft result (locked by its TTO and in X's approval workflow), a
draft instrument and a live instrument with an unpublished draft title. Y's researcher, facility manager
and TTO open every admin view that lists pages; none may show X's pages: no draft title, no title, no
status, no link to one of them. X's own people and platform staff still see X's pages. Documents attached
to X's draft result are served only to X's people and platform staff until the result is live.
"""

from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from wagtail.documents.models import Document

from ip_listings.models import ResultAttachment

Y_SIDE = ("researcher_y", "manager_y", "tto_y")
X_SIDE = ("researcher_x", "manager_x", "tto_x")
DRAFT_TITLE = "Renamed draft secret-X-title"


@pytest.fixture
def unpublished_x(world, db):
    """X's unpublished work made visible to Wagtail's reports: a lock, a workflow, a pending draft title."""
    x = world.x
    draft = x.draft_result.specific
    draft.refresh_from_db()
    draft.locked, draft.locked_by = True, x.people.tto
    draft.save(update_fields=["locked", "locked_by"])
    draft.get_workflow().start(draft, x.people.researcher)
    live = x.instrument.specific
    live.refresh_from_db()
    live.title = live.title_en = DRAFT_TITLE
    live.save_revision(user=x.people.researcher)
    pages = [draft, live, x.draft_instrument, x.result, live.get_parent()]
    markers = ["secret-X", "Instrument X", "Result X", "仪器 X", "成果 X"]
    markers += [f"/admin/pages/{page.pk}/" for page in pages]
    return SimpleNamespace(draft=draft, live=live, pages=pages, markers=markers, institute_page=live.get_parent())


def admin_urls(u):
    draft, live = u.draft, u.live
    result_type = ContentType.objects.get_for_model(draft.specific_class)
    return [
        "/admin/",
        "/admin/pages/",
        f"/admin/pages/{u.institute_page.pk}/",
        "/admin/pages/search/?q=secret",
        "/admin/pages/search/?q=Instrument",
        "/admin/choose-page/",
        f"/admin/choose-page/{u.institute_page.pk}/",
        f"/admin/choose-page/{u.institute_page.pk}/?page_type=ip_listings.resultpage",
        "/admin/choose-page/?page_type=ip_listings.resultpage",
        "/admin/choose-page/search/?q=secret",
        "/admin/choose-page/search/?q=Instrument",
        "/admin/choose-page/search/?q=Result",
        "/admin/reports/locked/",
        "/admin/reports/site-history/",
        "/admin/reports/aging-pages/",
        "/admin/reports/page-types-usage/",
        "/admin/reports/page-types-usage/results/",
        "/admin/reports/workflow/",
        "/admin/reports/workflow_tasks/",
        f"/admin/pages/{draft.pk}/history/",
        f"/admin/pages/{draft.pk}/workflow_history/",
        f"/admin/pages/{draft.pk}/usage/",
        f"/admin/pages/usage/{result_type.app_label}/{result_type.model}/",
        f"/admin/bulk/wagtailcore/page/publish/?id={draft.pk}&id={live.pk}",
        f"/admin/bulk/wagtailcore/page/unpublish/?id={live.pk}",
        f"/admin/bulk/wagtailcore/page/delete/?id={draft.pk}",
        f"/admin/bulk/wagtailcore/page/move/?id={draft.pk}",
        f"/admin/bulk/wagtailcore/page/publish/?id=all&childOf={u.institute_page.pk}",
        "/admin/api/main/pages/?search=secret",
        f"/admin/api/main/pages/?child_of={u.institute_page.pk}&for_explorer=1",
    ]


@pytest.mark.parametrize("role", Y_SIDE)
def test_another_institutes_people_see_no_title_or_status_of_xs_pages(unpublished_x, as_role, role):
    client = as_role(role)
    leaks = []
    for url in admin_urls(unpublished_x):
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.content.decode(errors="replace")
        found = [marker for marker in unpublished_x.markers if marker in body]
        if found:
            leaks.append(f"{url}: {found}")
    assert not leaks, "\n".join(leaks)

    # X's own people and platform staff still find X's drafts there (the filter hides only what it must).
    for insider in (*X_SIDE, "staff"):
        client = as_role(insider)
        assert "secret-X" in client.get("/admin/choose-page/search/?q=secret").content.decode()
        browse = client.get(f"/admin/choose-page/{unpublished_x.institute_page.pk}/").content.decode()
        assert DRAFT_TITLE in browse and f"/admin/pages/{unpublished_x.draft.pk}/" in browse
        usage = client.get("/admin/reports/page-types-usage/").content.decode()
        assert "secret-X" in usage or DRAFT_TITLE in usage
        bulk = client.get(f"/admin/bulk/wagtailcore/page/delete/?id={unpublished_x.draft.pk}").content.decode()
        assert "secret-X" in bulk


def test_the_page_types_usage_report_counts_only_visible_pages(unpublished_x, as_role, world):
    from ip_listings.models import ResultPage

    def result_count(role):
        response = as_role(role).get("/admin/reports/page-types-usage/")
        row = next(r for r in response.context["object_list"] if r.model_class() is ResultPage)
        return row.count

    y_results = ResultPage.objects.descendant_of(world.y.institute.institute_page).count()
    assert result_count("tto_y") == y_results
    assert result_count("staff") == ResultPage.objects.count() > y_results


@pytest.fixture
def file_storage(settings, tmp_path):
    """Documents on disk: Wagtail's serve view reads them from a path (the test settings keep files in memory)."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture
def attachment(world, db, file_storage):
    """A document in X's collection attached to X's draft result."""
    x = world.x
    document = Document.objects.create(
        title="Patent claims secret-X",
        file=ContentFile(b"%PDF-1.4 claims of the draft result", name="claims.pdf"),
        collection=x.institute.cms_access.collection,
    )
    draft = x.draft_result.specific
    draft.refresh_from_db()
    ResultAttachment.objects.create(result=draft, document=document, caption="Claims")
    return SimpleNamespace(document=document, url=document.url, draft=draft)


SERVED_WHILE_DRAFT = {
    "anon": 404,
    "buyer_a": 404,
    "buyer_b": 404,
    "researcher_y": 404,
    "manager_y": 404,
    "tto_y": 404,
    "researcher_x": 200,
    "manager_x": 200,
    "tto_x": 200,
    "staff": 200,
}


@pytest.mark.parametrize("role", sorted(SERVED_WHILE_DRAFT))
def test_a_draft_results_attachment_is_served_only_to_its_institute_and_staff(attachment, as_role, role):
    response = as_role(role).get(attachment.url)
    assert response.status_code == SERVED_WHILE_DRAFT[role]
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == b"%PDF-1.4 claims of the draft result"


@pytest.mark.parametrize("role", ["anon", "buyer_b", "tto_y"])
def test_the_attachment_is_served_to_everyone_once_the_result_is_live(attachment, world, as_role, role):
    assert as_role(role).get(attachment.url).status_code == 404
    attachment.draft.save_revision().publish()
    assert as_role(role).get(attachment.url).status_code == 200
    # A document outside the institutes' collections, attached nowhere, is served as before.
    from wagtail.models import Collection

    brochure = Document.objects.create(
        title="Brochure",
        file=ContentFile(b"brochure", name="brochure.pdf"),
        collection=Collection.get_first_root_node(),
    )
    assert as_role(role).get(brochure.url).status_code == 200


UNATTACHED_IN_XS_COLLECTION = {**SERVED_WHILE_DRAFT}


@pytest.mark.parametrize("role", sorted(UNATTACHED_IN_XS_COLLECTION))
def test_a_document_uploaded_to_xs_collection_and_on_no_page_stays_with_x(world, db, file_storage, as_role, role):
    document = Document.objects.create(
        title="Lab notebook scan secret-X",
        file=ContentFile(b"notebook", name="notebook.pdf"),
        collection=world.x.institute.cms_access.collection,
    )
    assert as_role(role).get(document.url).status_code == UNATTACHED_IN_XS_COLLECTION[role]
