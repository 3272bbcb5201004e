"""The offer facets of /results/ count only offers still available under the scope rule.

`selectors.blocking_agreements` is the scope rule of ip_listings/scope.py written in SQL for the facets;
it must agree with `scope.conflicts` for every combination of offer and agreement."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Exists
from django.utils import timezone

from ip_listings import scope, selectors
from ip_listings.models import AgreementSource, AgreementStatus, DealMode, LicenceAgreement, LicenceOffer, Territory
from tests.ip_listings.conftest import field, make_result, offer

pytestmark = pytest.mark.django_db

MODES = [DealMode.NON_EXCLUSIVE, DealMode.EXCLUSIVE, DealMode.ASSIGNMENT]
FIELDS = [None, "electronics", "medical-devices"]
TERRITORIES = [Territory.WORLDWIDE, Territory.CHINA_MAINLAND, Territory.EUROPE]


def agree(result, enterprise, *, mode, field_slug=None, territory=Territory.WORLDWIDE, status=None, ends_on=None):
    return LicenceAgreement.objects.create(
        number=f"T-{LicenceAgreement.objects.count() + 1}",
        source=AgreementSource.NEGOTIATED,
        status=status or AgreementStatus.ACTIVE,
        result=result,
        institute=result.institute,
        enterprise=enterprise,
        mode=mode,
        field_of_use=field(field_slug) if field_slug else None,
        territory=territory,
        starts_on=(ends_on - timedelta(days=365)) if ends_on else timezone.localdate(),
        ends_on=ends_on,
        price_amount=Decimal("100000.00"),
        signed_at=timezone.now(),
    )


def test_the_sql_rule_agrees_with_the_scope_rule_for_every_combination(institute, enterprise):
    combos = list(itertools.product(MODES, FIELDS, TERRITORIES))
    result = make_result(institute, offers=[offer(m, field_slug=f, territory=t) for m, f, t in combos])
    offers = list(result.offers.all())
    checked = 0
    for mode, field_slug, territory in combos:
        agreement = agree(result, enterprise, mode=mode, field_slug=field_slug, territory=territory)
        available = set(
            LicenceOffer.objects.filter(result=result)
            .filter(~Exists(selectors.blocking_agreements()))
            .values_list("pk", flat=True)
        )
        for candidate in offers:
            assert (candidate.pk in available) == (not scope.conflicts(candidate, agreement)), (
                candidate.mode,
                candidate.field_of_use_id,
                candidate.territory,
                agreement.mode,
                agreement.field_of_use_id,
                agreement.territory,
            )
            checked += 1
        agreement.delete()
    assert checked == len(combos) ** 2


def test_cancelled_and_ended_agreements_block_nothing(institute, enterprise):
    result = make_result(institute, offers=[offer(DealMode.EXCLUSIVE)])
    agree(result, enterprise, mode=DealMode.EXCLUSIVE, status=AgreementStatus.CANCELLED)
    agree(result, enterprise, mode=DealMode.EXCLUSIVE, ends_on=timezone.localdate() - timedelta(days=1))
    assert not LicenceOffer.objects.filter(result=result).filter(Exists(selectors.blocking_agreements())).exists()


def test_an_exclusive_licence_takes_its_result_out_of_the_mode_facet(client, institute, enterprise):
    client.cookies["language"] = "en"
    result = make_result(institute, offers=[offer(DealMode.EXCLUSIVE, territory=Territory.CHINA_MAINLAND)])
    make_result(
        institute,
        title="固态电池",
        title_en="Solid-state battery",
        offers=[offer(DealMode.EXCLUSIVE, territory=Territory.CHINA_MAINLAND)],
    )

    def listed():
        body = client.get("/results/?mode=exclusive").content.decode()
        count = "2 results found" if "2 results found" in body else "1 result found" if "1 result found" in body else ""
        return [t for t in ("Flexible pressure sensor", "Solid-state battery") if t in body], count

    assert listed() == (["Flexible pressure sensor", "Solid-state battery"], "2 results found")
    agree(result, enterprise, mode=DealMode.EXCLUSIVE, territory=Territory.CHINA_MAINLAND)
    assert listed() == (["Solid-state battery"], "1 result found")


def test_an_unpaid_express_licence_already_holds_its_scope_in_the_facets(client, institute, enterprise):
    client.cookies["language"] = "en"
    result = make_result(institute, offers=[offer(DealMode.SOLE, express=True, upfront_fee=Decimal("5000"))])
    assert "Flexible pressure sensor" in client.get("/results/?express=on").content.decode()
    agree(result, enterprise, mode=DealMode.SOLE, status=AgreementStatus.AWAITING_PAYMENT)
    assert "Flexible pressure sensor" not in client.get("/results/?express=on").content.decode()
