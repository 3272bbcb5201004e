"""First impressions: sort menus say which way they sort in the reader's language; the site has an icon."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def sort_options(html):
    select = re.search(r'<select name="sort"[^>]*>(.*?)</select>', html, re.S).group(1)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))


@pytest.mark.parametrize("path", ["/instruments/", "/results/"])
def test_sort_labels_in_english_are_english_and_say_the_direction(client, path):
    client.cookies["language"] = "en"
    options = sort_options(client.get(path).content.decode())
    assert options["-published"] == "Newest first"
    assert options["published"] == "Oldest first"
    assert options["name"] == "Listing name: A to Z"
    labels = [label for value, label in options.items() if value]
    assert not any(CJK.search(label) or "descending" in label for label in labels)


@pytest.mark.parametrize("path", ["/instruments/", "/results/"])
def test_sort_labels_in_chinese_are_chinese(client, path):
    client.cookies["language"] = "zh-hans"
    options = sort_options(client.get(path).content.decode())
    assert options["-published"] == "最新发布在前"
    assert options["published"] == "最早发布在前"
    labels = [label for value, label in options.items() if value]
    assert all(CJK.search(label) for label in labels)
    assert not any("姓名" in label or "descending" in label for label in labels)


def test_favicon_is_served_and_linked_from_every_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("img/favicon.ico")
    with open(finders.find("img/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # a Windows icon file, as browsers expect there
    assert 'rel="icon"' in client.get("/instruments/").content.decode()
