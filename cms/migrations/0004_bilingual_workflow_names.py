"""Workflow and task names in both languages.

Wagtail shows a workflow's or task's name exactly as stored (page editor status panel, "Submit to ..." button,
workflow lists, notifications) in either admin language. Wagtail's own default (migration 0048: the
"Moderators approval" workflow and task) and the institutes' approval workflows were named in English only,
so the Chinese admin showed English. Names still as created get the Chinese name first and the English
beside it; a name someone edited is left alone. New institutes get such names from
cms.services.approval_names.
"""

from django.db import migrations

DEFAULT_EN = "Moderators approval"
DEFAULT_BILINGUAL = "审核员审批 / Moderators approval"


def _institute_names(organization):
    # The same wording as cms.services.approval_names at the time of this migration.
    label = organization.name_en or organization.name
    old = (f"{label} · TTO approval"[:255], f"{label} · TTO review"[:255])
    new = (
        f"{organization.name} · 技术转移办公室审批 / {label} · TTO approval"[:255],
        f"{organization.name} · 技术转移办公室审核 / {label} · TTO review"[:255],
    )
    return old, new


def _rename(apps, forwards):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    InstituteAccess = apps.get_model("cms", "InstituteAccess")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")

    source, target = (DEFAULT_EN, DEFAULT_BILINGUAL) if forwards else (DEFAULT_BILINGUAL, DEFAULT_EN)
    Workflow.objects.filter(name=source).update(name=target)
    Task.objects.filter(name=source).update(name=target)

    for access in InstituteAccess.objects.select_related("organization", "workflow"):
        old, new = _institute_names(access.organization)
        (workflow_from, task_from), (workflow_to, task_to) = (old, new) if forwards else (new, old)
        if access.workflow.name == workflow_from:
            Workflow.objects.filter(pk=access.workflow_id).update(name=workflow_to)
        task_ids = WorkflowTask.objects.filter(workflow_id=access.workflow_id).values("task_id")
        Task.objects.filter(pk__in=task_ids, name=task_from).update(name=task_to)


def forwards(apps, schema_editor):
    _rename(apps, forwards=True)


def backwards(apps, schema_editor):
    _rename(apps, forwards=False)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_page_title_index"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
