import pytest
from django.utils import translation
from django.utils.html import escape

from cms.models import HomePage, InstitutePage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, expected",
    [("zh-hans", "华东测试研究院"), ("en", "East Test Institute")],
)
def test_institute_page_renders_in_each_language(client, institute, language, expected):
    page = InstitutePage.objects.get(organization=institute)
    client.cookies["language"] = language
    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{expected}</h1>" in html
    assert f'<html lang="{language}">' in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_home_page_lists_institutes_in_each_language(client, institute, other_institute, language):
    client.cookies["language"] = language
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override(language):
        home = HomePage.objects.get()
        assert escape(home.display_title) in html
    assert ("East Test Institute" if language == "en" else "华东测试研究院") in html
    assert ("North Test Institute" if language == "en" else "北方测试研究所") in html


def test_chinese_is_the_default_language(client, institute, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    response = client.get("/")
    assert '<html lang="zh-hans">' in response.content.decode()
