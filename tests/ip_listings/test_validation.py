"""Bad listing and offer input gets a clear message; the database refuses it too."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ip_listings.models import LicenceOffer, ResultPage

from .conftest import make_result, offer


@pytest.mark.parametrize("trl", [0, 10])
def test_a_trl_outside_1_to_9_is_refused_by_the_form_rules_and_the_database(institute, trl):
    page = make_result(institute)
    page.trl = trl
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert "between 1 and 9" in str(error.value.message_dict["trl"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultPage.objects.filter(pk=page.pk).update(trl=trl)


@pytest.mark.parametrize("trl", [1, 9])
def test_trl_1_and_9_are_accepted(institute, trl):
    page = make_result(institute, trl=trl)
    page.full_clean()
    assert page.trl_description.startswith(f"TRL {trl}")


@pytest.mark.parametrize(
    ("fields", "error_field", "text"),
    [
        ({"upfront_fee": Decimal("-0.01")}, "upfront_fee", "cannot be negative"),
        ({"royalty_percent": Decimal("100.01")}, "royalty_percent", "between 0 and 100"),
        ({"royalty_percent": Decimal("-1")}, "royalty_percent", "between 0 and 100"),
        ({"express": True, "standard_terms": ""}, "standard_terms", "standard terms"),
        ({"term_months": 0}, "term_months", "at least one month"),
    ],
)
def test_bad_offer_terms_get_a_clear_message(institute, fields, error_field, text):
    page = make_result(institute)
    bad = LicenceOffer(result=page, mode="exclusive", territory="cn", **fields)
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert text in " ".join(error.value.message_dict[error_field])


@pytest.mark.parametrize(
    "fields",
    [
        {"upfront_fee": Decimal("-1")},
        {"royalty_percent": Decimal("101")},
        {"express": True, "standard_terms": ""},
    ],
)
def test_the_database_refuses_bad_offers(institute, fields):
    page = make_result(institute)
    with pytest.raises(IntegrityError), transaction.atomic():
        LicenceOffer.objects.create(result=page, mode="exclusive", territory="cn", **fields)


def test_publishing_a_result_keeps_offer_ids_stable(institute):
    page = make_result(institute, offers=[offer(), offer("exclusive")])
    ids = sorted(page.offers.values_list("pk", flat=True))
    page.title = "修订"
    page.save_revision().publish()
    assert sorted(page.offers.values_list("pk", flat=True)) == ids
