"""What ip_listings adds to shared pages (`marketplace.core.navigation`), registered by IpListingsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from marketplace.core import navigation
from marketplace.core.navigation import Link, LinkGroup, Section

from . import selectors


def home_results(request, page):
    """The latest live results, with their available offers."""
    results = selectors.home_results(6)
    return {"results": results} if results else None


def institute_results(request, page):
    """The latest live results of the page's institute, with their available offers."""
    results = selectors.institute_results(page.organization, 6)
    return {"results": results} if results else None


def register():
    navigation.register(navigation.NAV, "ip_listings", Link(_("Results"), "results"), order=30)
    navigation.register(
        navigation.DASHBOARD,
        "ip_listings",
        LinkGroup(
            _("Research results and licences"),
            (
                Link(_("My licences"), "ip_listings:agreements", query="?as=buyer", shown=selectors.is_buyer),
                Link(_("My inquiries"), "ip_listings:inquiries", query="?as=buyer", shown=selectors.is_buyer),
                Link(
                    _("Technology transfer desk: approvals, inquiries, agreements"),
                    "ip_listings:tto",
                    shown=selectors.is_tto,
                ),
                Link(_("Find a research result"), "results"),
            ),
        ),
        order=20,
    )
    navigation.register(
        navigation.HOME, "ip_listings", Section("ip_listings/includes/home_results.html", home_results), order=20
    )
    navigation.register(
        navigation.INSTITUTE,
        "ip_listings",
        Section("ip_listings/includes/institute_results.html", institute_results),
        order=20,
    )
