"""Result listings go live only through the institute's TTO: Wagtail permissions and the approval workflow."""

from wagtail.test.utils.form_data import rich_text

from marketplace.statistics.models import TransferEvent

from .conftest import make_result


def _edit_post(page, **extra):
    data = {
        "title": page.title,
        "title_en": page.title_en,
        "slug": page.slug,
        "ip_kind": page.ip_kind,
        "trl": str(page.trl),
        "field": str(page.field_id or ""),
        "keywords": "",
        "abstract": rich_text("<p>abstract</p>"),
        "abstract_en": rich_text("<p>abstract_en</p>"),
        "advantages": rich_text("<p>advantages</p>"),
        "applications": rich_text("<p>applications</p>"),
        "contact_email": "",
        "inventors-TOTAL_FORMS": "0",
        "inventors-INITIAL_FORMS": "0",
        "inventors-MIN_NUM_FORMS": "0",
        "inventors-MAX_NUM_FORMS": "1000",
        "registrations-TOTAL_FORMS": "0",
        "registrations-INITIAL_FORMS": "0",
        "registrations-MIN_NUM_FORMS": "0",
        "registrations-MAX_NUM_FORMS": "1000",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
        "offers-TOTAL_FORMS": "0",
        "offers-INITIAL_FORMS": "0",
        "offers-MIN_NUM_FORMS": "0",
        "offers-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


def test_researcher_can_edit_and_submit_but_not_publish(institute, researcher):
    draft = make_result(institute, live=False)
    perms = draft.permissions_for_user(researcher)
    assert perms.can_edit()
    assert not perms.can_publish()


def test_institute_tto_can_edit_and_publish(institute, tto):
    draft = make_result(institute, live=False)
    perms = draft.permissions_for_user(tto)
    assert perms.can_edit()
    assert perms.can_publish()


def test_another_institutes_researcher_and_tto_can_neither_edit_nor_publish(institute, other_researcher, other_tto):
    draft = make_result(institute, live=False)
    for outsider in (other_researcher, other_tto):
        perms = draft.permissions_for_user(outsider)
        assert not perms.can_edit()
        assert not perms.can_publish()


def test_researcher_submission_waits_for_own_tto_and_approval_publishes(client, institute, researcher, tto, other_tto):
    draft = make_result(institute, live=False, title="固态电解质")
    client.force_login(researcher)
    response = client.post(f"/admin/pages/{draft.pk}/edit/", _edit_post(draft, **{"action-submit": "1"}))
    assert response.status_code == 302, response.content[:800]
    draft.refresh_from_db()
    state = draft.current_workflow_state
    assert state is not None and state.status == "in_progress"
    assert not draft.live
    task = state.current_task_state.task.specific
    assert "approve" in [name for name, *_ in task.get_actions(draft, tto)]
    assert task.get_actions(draft, other_tto) == []
    assert task.get_actions(draft, researcher) == []
    # The TTO approves: the result goes live and the ledger records it once.
    state.current_task_state.task.specific.on_action(state.current_task_state, tto, "approve")
    draft.refresh_from_db()
    assert draft.live
    events = TransferEvent.objects.filter(kind=TransferEvent.Kind.LISTING_PUBLISHED, listing_id=draft.pk)
    assert events.count() == 1 and events.get().institute_id == institute.pk


def test_researcher_publish_attempt_through_the_admin_leaves_the_result_offline(client, institute, researcher):
    draft = make_result(institute, live=False)
    client.force_login(researcher)
    client.post(f"/admin/pages/{draft.pk}/edit/", _edit_post(draft, **{"action-publish": "1"}))
    draft.refresh_from_db()
    assert not draft.live


def test_another_institutes_researcher_cannot_open_the_editor(client, institute, other_researcher):
    draft = make_result(institute, live=False)
    client.force_login(other_researcher)
    response = client.get(f"/admin/pages/{draft.pk}/edit/")
    assert response.status_code in (302, 403)


def test_republishing_a_result_records_the_listing_once(institute):
    page = make_result(institute)
    page.save_revision().publish()
    assert TransferEvent.objects.filter(kind=TransferEvent.Kind.LISTING_PUBLISHED, listing_id=page.pk).count() == 1


def test_revisions_are_kept(institute):
    page = make_result(institute)
    page.title = "柔性压力传感器（第二版）"
    page.save_revision().publish()
    assert page.revisions.count() == 2
