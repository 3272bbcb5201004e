"""Provisioning of institutes in the CMS: page, groups, permissions, collection, workflow."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from marketplace.accounts.models import Membership, Organization, Role

from .models import HomePage, InstituteAccess, InstituteIndexPage, InstitutePage

STAFF_PAGE_PERMISSIONS = ["add_page", "change_page"]
TTO_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
MEDIA_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
]


def institute_index():
    index = InstituteIndexPage.objects.first()
    if index is None:
        home = HomePage.objects.first()
        if home is None:
            raise RuntimeError("Create the home page first (run migrations).")
        index = InstituteIndexPage(title="研究机构", title_en="Institutes", slug="institutes")
        home.add_child(instance=index)
    return index


def _page_permission(codename):
    return Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)


def _grant_pages(group, page, codenames):
    for codename in codenames:
        GroupPagePermission.objects.get_or_create(group=group, page=page, permission=_page_permission(codename))


def approval_names(organization: Organization) -> tuple[str, str]:
    """The names of an institute's approval workflow and of its review task, Chinese first, English beside it.

    Wagtail shows these names as stored in either admin language (status panel, "Submit to ..." button,
    workflow lists), so both languages are in the name (see cms/migrations/0004_bilingual_workflow_names).
    """
    label = organization.name_en or organization.name
    return (
        f"{organization.name} · 技术转移办公室审批 / {label} · TTO approval"[:255],
        f"{organization.name} · 技术转移办公室审核 / {label} · TTO review"[:255],
    )


@transaction.atomic
def provision_institute(organization: Organization, *, publish=True) -> InstitutePage:
    """Give an institute its page, its two groups, its media collection and its approval workflow.

    Idempotent: calling it again repairs what is missing and creates nothing twice.
    """
    if not organization.is_institute:
        raise ValueError("Only institutes get a CMS corner.")
    page = InstitutePage.objects.filter(organization=organization).first()
    if page is None:
        index = institute_index()
        slug = organization.slug
        page = InstitutePage(
            title=organization.name,
            title_en=organization.name_en,
            slug=slug,
            organization=organization,
            live=publish,
        )
        index.add_child(instance=page)
        if publish:
            page.save_revision().publish()

    label = organization.name_en or organization.name
    access = InstituteAccess.objects.filter(organization=organization).first()
    if access is None:
        staff_group, _ = Group.objects.get_or_create(name=f"{label} · staff"[:150])
        tto_group, _ = Group.objects.get_or_create(name=f"{label} · TTO"[:150])
        root = Collection.get_first_root_node()
        collection = root.get_children().filter(name=label).first() or root.add_child(name=label)
        workflow_name, task_name = approval_names(organization)
        workflow, _ = Workflow.objects.get_or_create(name=workflow_name)
        task, _ = GroupApprovalTask.objects.get_or_create(name=task_name)
        task.groups.set([tto_group])
        WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
        access = InstituteAccess.objects.create(
            organization=organization,
            staff_group=staff_group,
            tto_group=tto_group,
            collection=collection,
            workflow=workflow,
        )
    WorkflowPage.objects.update_or_create(page=page, defaults={"workflow": access.workflow})

    admin_access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    for group, page_perms in ((access.staff_group, STAFF_PAGE_PERMISSIONS), (access.tto_group, TTO_PAGE_PERMISSIONS)):
        group.permissions.add(admin_access)
        _grant_pages(group, page, page_perms)
        for app_label, codename in MEDIA_PERMISSIONS:
            GroupCollectionPermission.objects.get_or_create(
                group=group,
                collection=access.collection,
                permission=Permission.objects.get(content_type__app_label=app_label, codename=codename),
            )
    return page


def on_institute_created(sender, organization, **kwargs):
    """accounts.signals.institute_created: give the institute its CMS corner."""
    provision_institute(organization)


def on_memberships_changed(sender, user, **kwargs):
    """accounts.signals.memberships_changed: the user's institute groups follow their memberships."""
    sync_user_groups(user)


def sync_user_groups(user):
    """Make the user's institute groups match their institute memberships exactly."""
    wanted = set()
    memberships = Membership.objects.filter(
        user=user, organization__kind=Organization.Kind.INSTITUTE, organization__is_active=True
    ).select_related("organization__cms_access")
    for membership in memberships:
        access = getattr(membership.organization, "cms_access", None)
        if access is None:
            continue
        if membership.role == Role.TTO_OFFICER:
            wanted.add(access.tto_group_id)
        else:
            wanted.add(access.staff_group_id)
    managed = set(InstituteAccess.objects.values_list("staff_group_id", flat=True)) | set(
        InstituteAccess.objects.values_list("tto_group_id", flat=True)
    )
    current = set(user.groups.filter(pk__in=managed).values_list("pk", flat=True))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))
