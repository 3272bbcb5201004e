"""The Wagtail admin speaks Chinese: the strings Wagtail's own zh_Hans catalogue lacks come from
marketplace/locale_wagtail (see its build.py), and the pages a facility manager sees show no English."""

import importlib
import re
from pathlib import Path

import polib
from django.apps import apps
from django.utils import translation
from wagtail.models import Task, Workflow

from cms.models import InstituteAccess
from cms.services import approval_names
from marketplace.locale_wagtail.build import CATALOGUE, missing_from_wagtail, wagtail_root

from ..equipment.conftest import make_instrument
from ..equipment.test_live_bookings import _edit_post

PLACEHOLDER = re.compile(r"%\(\w+\)[sdi]|\{\w*\}")
TAG = re.compile(r"</?\w+[^>]*>")

# Msgids whose Chinese is rightly the msgid itself.
SAME_IN_CHINESE = {
    "%(range_start)s - %(range_end)s": "a numeric range, written the same way in Chinese",
    "%(related_model_name)s %(field_label)s": "only two names joined by a space",
    "URL": "Chinese interfaces (and Wagtail's own zh_Hans catalogue elsewhere) keep the abbreviation",
    "ID": "Chinese interfaces (and Wagtail's own zh_Hans catalogue elsewhere) keep the abbreviation",
    "Wagtail API v2": "a product name (the app's label)",
    "Wagtail API v3": "a product name (the app's label)",
}


def installed_wagtail_catalogues():
    """The English catalogue of every installed Wagtail app: every msgid its admin can show."""
    root = wagtail_root()
    paths = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve() / "locale" / "en" / "LC_MESSAGES" / "django.po"
        if path.is_relative_to(root) and path.exists():
            paths.append(path)
    return paths


def wagtail_entries():
    seen = {}
    for path in installed_wagtail_catalogues():
        for entry in polib.pofile(str(path)):
            if not entry.obsolete:
                seen.setdefault(entry.msgid, entry)
    return list(seen.values())


def chinese(entry):
    with translation.override("zh-hans"):
        if entry.msgid_plural:
            return translation.ngettext(entry.msgid, entry.msgid_plural, 2)
        return translation.gettext(entry.msgid)


def test_the_installed_wagtail_apps_have_english_catalogues():
    paths = {str(p.relative_to(wagtail_root())) for p in installed_wagtail_catalogues()}
    assert "admin/locale/en/LC_MESSAGES/django.po" in paths
    assert "locale/en/LC_MESSAGES/django.po" in paths
    assert len(wagtail_entries()) > 1000


def test_every_wagtail_admin_string_has_chinese():
    untranslated = [
        entry.msgid
        for entry in wagtail_entries()
        if entry.msgid not in SAME_IN_CHINESE and chinese(entry) in (entry.msgid, entry.msgid_plural)
    ]
    assert untranslated == []


def test_the_exemptions_are_real_msgids():
    assert set(SAME_IN_CHINESE) <= {entry.msgid for entry in wagtail_entries()}


def test_chinese_keeps_every_placeholder():
    """Chinese has one plural form, used for every count, so a plural's translation has the plural's placeholders."""
    bad = []
    for entry in wagtail_entries():
        source = entry.msgid_plural or entry.msgid
        if sorted(PLACEHOLDER.findall(chinese(entry))) != sorted(PLACEHOLDER.findall(source)):
            bad.append(entry.msgid)
    assert bad == []


def test_the_project_catalogue_covers_exactly_what_wagtail_lacks_and_keeps_markup():
    wanted = missing_from_wagtail()
    po = polib.pofile(str(CATALOGUE))
    ours = {entry.msgid: entry for entry in po if not entry.obsolete}
    assert set(ours) == set(wanted)
    problems = []
    for msgid, entry in ours.items():
        text = entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr
        source = entry.msgid_plural or msgid
        if entry.msgid_plural and set(entry.msgstr_plural) != {0}:
            problems.append((msgid, "zh has one plural form"))
        if not text or entry.fuzzy:
            problems.append((msgid, "untranslated"))
        if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)):
            problems.append((msgid, "placeholders"))
        if sorted(TAG.findall(text)) != sorted(TAG.findall(source)):
            problems.append((msgid, "HTML tags"))
    assert problems == []


def test_the_project_catalogue_comes_after_the_project_one(settings):
    names = [Path(p).name for p in settings.LOCALE_PATHS]
    assert names == ["locale", "locale_wagtail"]


def _invalid_edit(client, instrument, language):
    client.cookies["language"] = language
    data = _edit_post(instrument, title="", **{"action-publish": ""})
    response = client.post(f"/admin/pages/{instrument.pk}/edit/", data)
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    return response.content.decode()


def test_the_validation_banner_is_chinese(client, institute, facility_manager):
    instrument = make_instrument(institute)
    client.force_login(facility_manager)
    html = _invalid_edit(client, instrument, "zh-hans")
    assert "存在验证错误，无法保存页面。" in html
    assert "转到第一个错误" in html
    assert "could not be saved" not in html
    assert "Go to the first error" not in html
    instrument.refresh_from_db()
    assert instrument.title == "扫描电子显微镜"
    assert not instrument.has_unpublished_changes


def test_the_validation_banner_stays_english_in_english(client, institute, facility_manager):
    instrument = make_instrument(institute)
    client.force_login(facility_manager)
    html = _invalid_edit(client, instrument, "en")
    assert "The page could not be saved due to validation errors." in html
    assert "存在验证错误" not in html


def test_the_dashboard_in_chinese_has_no_english_counters(client, institute, facility_manager):
    make_instrument(institute)
    client.force_login(facility_manager)
    client.cookies["language"] = "zh-hans"
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"\d+ 个页面<span class=\"w-sr-only\">创建于 ", html)
    assert re.search(r"\d+ 张图片<span class=\"w-sr-only\">创建于 ", html)
    assert re.search(r"\d+ 个文档<span class=\"w-sr-only\">创建于 ", html)
    assert "编辑指南" in html
    for english in (
        "created in",
        " Pages <span",
        " Images <span",
        " Documents <span",
        "editor guide",
        "JavaScript is required",
    ):
        assert english not in html, english


def test_the_dashboard_in_english_keeps_english(client, institute, facility_manager):
    client.force_login(facility_manager)
    client.cookies["language"] = "en"
    html = client.get("/admin/").content.decode()
    assert "created in" in html
    assert "个页面" not in html


names_migration = importlib.import_module("cms.migrations.0004_bilingual_workflow_names")


def test_wagtails_default_workflow_is_named_in_both_languages(db):
    assert Workflow.objects.filter(name="审核员审批 / Moderators approval").exists()
    assert Task.objects.filter(name="审核员审批 / Moderators approval").exists()
    assert not Workflow.objects.filter(name="Moderators approval").exists()


def test_an_institutes_workflow_is_named_in_both_languages(institute):
    workflow = InstituteAccess.objects.get(organization=institute).workflow
    assert workflow.name == "华东测试研究院 · 技术转移办公室审批 / East Test Institute · TTO approval"
    task_names = [task.name for task in workflow.tasks]
    assert task_names == ["华东测试研究院 · 技术转移办公室审核 / East Test Institute · TTO review"]
    assert (workflow.name, workflow.tasks[0].name) == approval_names(institute)


def test_the_migration_renames_only_names_still_as_created(institute, other_institute):
    east = InstituteAccess.objects.get(organization=institute).workflow
    north = InstituteAccess.objects.get(organization=other_institute).workflow
    Workflow.objects.filter(pk=east.pk).update(name="East Test Institute · TTO approval")
    Task.objects.filter(pk=east.tasks[0].pk).update(name="East Test Institute · TTO review")
    Workflow.objects.filter(pk=north.pk).update(name="北方所成果审批")
    default = Workflow.objects.get(name="审核员审批 / Moderators approval")
    Workflow.objects.filter(pk=default.pk).update(name="Moderators approval")

    names_migration.forwards(apps, None)
    assert Workflow.objects.get(pk=east.pk).name == approval_names(institute)[0]
    assert Task.objects.get(pk=east.tasks[0].pk).name == approval_names(institute)[1]
    assert Workflow.objects.get(pk=north.pk).name == "北方所成果审批"
    assert Workflow.objects.get(pk=default.pk).name == "审核员审批 / Moderators approval"

    names_migration.backwards(apps, None)
    assert Workflow.objects.get(pk=east.pk).name == "East Test Institute · TTO approval"
    assert Task.objects.get(pk=east.tasks[0].pk).name == "East Test Institute · TTO review"
    assert Workflow.objects.get(pk=north.pk).name == "北方所成果审批"
    assert Workflow.objects.get(pk=default.pk).name == "Moderators approval"


def test_the_chinese_page_editor_names_the_workflow_in_chinese(client, institute, facility_manager):
    instrument = make_instrument(institute)
    client.force_login(facility_manager)
    client.cookies["language"] = "zh-hans"
    html = client.get(f"/admin/pages/{instrument.pk}/edit/").content.decode()
    assert "提交给华东测试研究院 · 技术转移办公室审批" in html
    assert "Submit to" not in html
