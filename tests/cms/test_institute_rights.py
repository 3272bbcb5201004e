"""Each institute's staff edit only their own subtree; its TTO approves what is published there."""

import pytest
from wagtail.models import Page, WorkflowPage

from cms.models import InstitutePage, StandardPage
from cms.services import provision_institute
from marketplace.accounts.models import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def east_page(institute):
    return InstitutePage.objects.get(organization=institute)


@pytest.fixture
def north_page(other_institute):
    return InstitutePage.objects.get(organization=other_institute)


@pytest.fixture
def east_child(east_page):
    child = StandardPage(title="设备开放说明", slug="open-access")
    east_page.add_child(instance=child)
    return child


def test_creating_an_institute_creates_page_groups_collection_and_workflow(institute, east_page):
    access = institute.cms_access
    assert east_page.live and east_page.get_parent().specific_class.__name__ == "InstituteIndexPage"
    assert access.staff_group.page_permissions.filter(page=east_page).count() == 2
    tto_codenames = set(
        access.tto_group.page_permissions.filter(page=east_page).values_list("permission__codename", flat=True)
    )
    assert "publish_page" in tto_codenames
    assert WorkflowPage.objects.get(page=east_page).workflow == access.workflow
    assert list(access.workflow.tasks.specific()[0].groups.all()) == [access.tto_group]
    assert access.collection.name == "East Test Institute"


def test_provisioning_twice_changes_nothing(institute, east_page):
    counts = (Page.objects.count(), institute.cms_access.staff_group.page_permissions.count())
    provision_institute(institute)
    assert (Page.objects.count(), institute.cms_access.staff_group.page_permissions.count()) == counts


@pytest.mark.parametrize("role", ["researcher", "facility_manager"])
def test_staff_edit_but_do_not_publish_their_own_subtree(institute, east_page, east_child, role):
    user = make_member(institute, role)
    for page in (east_page, east_child):
        perms = page.permissions_for_user(user)
        assert perms.can_edit()
        assert not perms.can_publish()
    assert east_page.permissions_for_user(user).can_add_subpage()


def test_tto_officer_publishes_in_own_subtree(tto, east_page, east_child):
    assert east_child.permissions_for_user(tto).can_publish()
    assert east_page.permissions_for_user(tto).can_edit()


@pytest.mark.parametrize("role", [Role.RESEARCHER, Role.FACILITY_MANAGER, Role.TTO_OFFICER])
def test_another_institutes_people_cannot_edit_or_publish(other_institute, east_page, east_child, role):
    outsider = make_member(other_institute, role)
    for page in (east_page, east_child):
        perms = page.permissions_for_user(outsider)
        assert not perms.can_edit()
        assert not perms.can_publish()
        assert not perms.can_add_subpage()


def test_admin_edit_view_refuses_another_institutes_page(client, other_researcher, east_child, north_page):
    client.force_login(other_researcher)
    response = client.get(f"/admin/pages/{east_child.pk}/edit/")
    assert response.status_code in (302, 403)
    response = client.post(
        f"/admin/pages/{east_child.pk}/edit/", {"title": "hijacked", "slug": "open-access", "action-publish": "1"}
    )
    east_child.refresh_from_db()
    assert east_child.title == "设备开放说明"
    # Their own page opens in the editor.
    assert client.get(f"/admin/pages/{north_page.pk}/edit/").status_code == 200


def test_researcher_submission_goes_to_own_tto(client, researcher, tto, other_tto, east_page, east_child):
    client.force_login(researcher)
    response = client.post(
        f"/admin/pages/{east_child.pk}/edit/",
        {
            "title": "设备开放说明（修订）",
            "slug": "open-access",
            "title_en": "",
            "body-count": "0",
            "action-submit": "1",
        },
    )
    assert response.status_code == 302, response.content[:500]
    east_child.refresh_from_db()
    state = east_child.current_workflow_state
    assert state is not None and state.status == "in_progress"
    task = state.current_task_state.task.specific
    assert task.user_can_access_editor(east_child, tto)
    assert tto in [u for g in task.groups.all() for u in g.user_set.all()]
    assert other_tto not in [u for g in task.groups.all() for u in g.user_set.all()]
    assert east_child.live and east_child.title == "设备开放说明"  # the live version is unchanged until approved


def test_admin_people_cannot_create_institute_pages_directly():
    assert InstitutePage.is_creatable is False
