"""Shared pages show what the apps registered (marketplace.core.navigation), in order, for the visitor."""

import re

import pytest
from django.utils.translation import gettext_lazy as _

from cms.models import InstitutePage
from marketplace.accounts.models import Role
from marketplace.core import navigation
from marketplace.core.navigation import Link, LinkGroup, Section
from tests.equipment.conftest import make_instrument
from tests.factories import make_member
from tests.ip_listings.conftest import make_result

pytestmark = pytest.mark.django_db

BACK_OFFICE = 'class="button secondary" href="/admin/"'


@pytest.fixture
def restore_registry(monkeypatch):
    for slot, items in navigation._registry.items():
        monkeypatch.setitem(navigation._registry, slot, dict(items))


def links_in(html):
    return re.findall(r'<a href="([^"]+)">', html)


def header(html):
    return html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]


def account_page(client, user):
    client.force_login(user)
    return client.get("/accounts/").content.decode()


def test_the_header_shows_each_apps_link_in_order(client, settings):
    settings.LANGUAGE_CODE = "en"
    html = header(client.get("/accounts/login/").content.decode())
    assert links_in(html)[:4] == ["/institutes/", "/instruments/", "/results/", "/stats/"]
    assert [label in html for label in ("Institutes", "Instruments", "Results", "Impact")] == [True] * 4


def test_a_registered_link_appears_only_for_the_role_it_is_for(client, institute, restore_registry):
    tto = make_member(institute, Role.TTO_OFFICER)
    researcher = make_member(institute, Role.RESEARCHER)

    def is_tto(user):
        return user.memberships.filter(role=Role.TTO_OFFICER).exists()

    navigation.register(navigation.NAV, "test", Link(_("Queue"), path="/queue/", shown=is_tto), order=5)
    navigation.register(
        navigation.DASHBOARD,
        "test",
        LinkGroup(_("Test group"), (Link(_("Only TTO"), path="/only-tto/", shown=is_tto),)),
        order=1,
    )

    tto_page = account_page(client, tto)
    assert "/only-tto/" in tto_page and "Test group" in tto_page
    assert links_in(header(tto_page))[0] == "/queue/"

    researcher_page = account_page(client, researcher)
    assert "/only-tto/" not in researcher_page
    assert "Test group" not in researcher_page  # a group with no link left is not shown
    assert "/queue/" not in researcher_page


def test_account_page_links_by_role(client, institute, enterprise, settings):
    settings.LANGUAGE_CODE = "en"
    manager = make_member(institute, Role.FACILITY_MANAGER)
    tto = make_member(institute, Role.TTO_OFFICER)
    buyer = make_member(enterprise, Role.BUYER)
    researcher = make_member(institute, Role.RESEARCHER)
    every = ["/equipment/bookings/", "/instruments/", "/results/"]
    manage, licences, inquiries, desk = (
        "/equipment/manage/",
        "/ip/agreements/?as=buyer",
        "/ip/inquiries/?as=buyer",
        "/ip/tto/",
    )

    html = account_page(client, buyer)
    assert html.index("Shared instruments") < html.index("Research results and licences")
    assert all(link in html for link in [*every, licences, inquiries]) and manage not in html and desk not in html
    assert BACK_OFFICE not in html

    html = account_page(client, manager)
    assert manage in html and licences not in html and desk not in html
    assert BACK_OFFICE in html  # an institute member is in its staff group

    html = account_page(client, tto)
    assert desk in html and licences not in html

    html = account_page(client, researcher)
    assert all(link in html for link in every)
    assert manage not in html and desk not in html and licences not in html


def test_home_and_institute_pages_show_the_registered_sections_in_order(client, institute, other_institute):
    make_instrument(institute)
    make_result(institute)
    home = client.get("/").content.decode()
    assert home.index('class="home-instruments"') < home.index('class="home-results"')

    page = client.get(InstitutePage.objects.get(organization=institute).url).content.decode()
    assert page.index('class="institute-instruments"') < page.index('class="institute-results"')

    empty = client.get(InstitutePage.objects.get(organization=other_institute).url).content.decode()
    assert "institute-instruments" not in empty and "institute-results" not in empty


def test_a_section_whose_context_is_none_is_left_out(rf, monkeypatch):
    monkeypatch.setitem(navigation._registry, navigation.HOME, {})
    navigation.register(navigation.HOME, "shown", Section("shown.html", lambda request, page: {"n": 1}), order=2)
    navigation.register(navigation.HOME, "hidden", Section("hidden.html", lambda request, page: None), order=1)
    navigation.register(navigation.HOME, "first", Section("first.html", lambda request, page: {}), order=0)

    shown = navigation.sections(navigation.HOME, rf.get("/"), None)

    assert [(section.template, section.context) for section in shown] == [("first.html", {}), ("shown.html", {"n": 1})]
