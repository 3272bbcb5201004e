"""Fixtures of the ip_listings tests: result pages with known offers, and a quick way to license them."""

from decimal import Decimal

import pytest

from cms.models import InstitutePage
from ip_listings.models import DealMode, IPKind, LicenceOffer, ResultPage, TechnologyField, Territory


def field(slug):
    return TechnologyField.objects.get(slug=slug)


def offer(mode=DealMode.NON_EXCLUSIVE, *, field_slug=None, territory=Territory.WORLDWIDE, **kwargs):
    """An unsaved offer; pass a list of them to make_result."""
    defaults = {
        "upfront_fee": Decimal("50000.00"),
        "royalty_percent": Decimal("3.00"),
        "term_months": 60,
        "express": False,
        "standard_terms": "",
    }
    defaults.update(kwargs)
    if defaults["express"] and not defaults["standard_terms"]:
        defaults["standard_terms"] = "Standard licence terms: royalty reports each quarter; no sublicensing."
    return LicenceOffer(
        mode=mode, field_of_use=field(field_slug) if field_slug else None, territory=territory, **defaults
    )


def make_result(
    institute, *, offers=(), live=True, title="柔性压力传感器", title_en="Flexible pressure sensor", **fields
):
    """A result page under the institute's page; live (published with a revision) unless live=False."""
    defaults = {
        "slug": f"result-{ResultPage.objects.count() + 1}",
        "ip_kind": IPKind.INVENTION_PATENT,
        "trl": 5,
        "field": field("electronics"),
        "abstract": "<p>一种柔性压力传感器。</p>",
        "abstract_en": "<p>A flexible pressure sensor.</p>",
    }
    defaults.update(fields)
    page = ResultPage(title=title, title_en=title_en, offers=list(offers), live=live, **defaults)
    parent = InstitutePage.objects.get(organization=institute)
    parent.add_child(instance=page)
    revision = page.save_revision()
    if live:
        revision.publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def result(institute):
    return make_result(
        institute,
        offers=[
            offer(
                DealMode.NON_EXCLUSIVE,
                express=True,
                upfront_fee=Decimal("20000.00"),
                territory=Territory.CHINA_MAINLAND,
            ),
            offer(DealMode.EXCLUSIVE, field_slug="medical-devices", territory=Territory.CHINA_MAINLAND),
            offer(DealMode.EXCLUSIVE, field_slug="transport", territory=Territory.CHINA_MAINLAND),
        ],
    )


@pytest.fixture
def other_result(other_institute):
    return make_result(
        other_institute,
        title="海水淡化膜",
        title_en="Desalination membrane",
        offers=[offer(DealMode.NON_EXCLUSIVE, express=True)],
    )
