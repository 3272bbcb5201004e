"""Pages: browse with facets and constant queries, result page, express licence and inquiry flows, languages."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from ip_listings.models import AgreementStatus, LicenceAgreement

from .conftest import make_result, offer


def _results(institute, n):
    for i in range(n):
        make_result(
            institute,
            title=f"成果{i}",
            title_en=f"Result {i}",
            trl=(i % 9) + 1,
            offers=[
                offer(express=True, upfront_fee=Decimal(1000 * (i + 1))),
                offer("exclusive", field_slug="transport"),
            ],
        )


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_browse_query_count_does_not_grow_with_listings(client, institute):
    from django.core.cache import cache

    def cold_and_warm():
        cache.clear()
        return [_count_queries(client, "/results/") for _ in range(2)]

    _results(institute, 5)
    five = cold_and_warm()
    _results(institute, 20)
    twenty_five = cold_and_warm()
    assert twenty_five == five
    cold, warm = five
    assert warm < cold  # the count is cached


def test_browse_facets_filter_results(client, institute, other_institute):
    make_result(institute, title="低TRL成果", title_en="Early result", trl=2, offers=[offer("exclusive")])
    make_result(
        other_institute,
        title="成熟成果",
        title_en="Mature result",
        trl=8,
        offers=[offer(express=True, upfront_fee=Decimal("900"))],
    )
    body = client.get("/results/?trl_min=7").content.decode()
    assert "Mature result" in body and "Early result" not in body
    body = client.get("/results/?express=on").content.decode()
    assert "Mature result" in body and "Early result" not in body
    body = client.get(f"/results/?institute={institute.slug}").content.decode()
    assert "Early result" in body and "Mature result" not in body
    body = client.get("/results/?mode=exclusive").content.decode()
    assert "Early result" in body and "Mature result" not in body
    body = client.get("/results/?max_price=1000").content.decode()
    assert "Mature result" in body and "Early result" not in body


def test_full_text_search_finds_results(client, institute):
    make_result(institute, title="钙钛矿太阳能电池", title_en="Perovskite solar cell")
    make_result(institute, title="海水淡化膜", title_en="Desalination membrane")
    body = client.get("/results/?q=Perovskite").content.decode()
    assert "Perovskite solar cell" in body and "Desalination membrane" not in body


@pytest.mark.parametrize(("language", "text"), [("en", "<h1>Research results</h1>"), ("zh-hans", "<h1>科研成果</h1>")])
def test_main_pages_render_in_both_languages(client, result, buyer, language, text):
    client.cookies["language"] = language
    body = client.get("/results/").content.decode()
    assert text in body
    page = client.get(result.url)
    assert page.status_code == 200
    client.force_login(buyer)
    offer_id = result.offers.get(express=True).pk
    for url in (
        f"/ip/offers/{offer_id}/accept/",
        f"/ip/results/{result.pk}/inquire/",
        "/ip/agreements/",
        "/ip/inquiries/",
    ):
        assert client.get(url).status_code == 200, url


def test_result_page_shows_trl_description_and_offers(client, result):
    body = client.get(result.url).content.decode()
    assert "TRL 5 · technology validated in a relevant environment" in body
    assert "Take this licence" not in body  # not signed in


def test_express_licence_flow_through_the_pages(client, result, buyer, enterprise, tto):
    express = result.offers.get(express=True)
    client.force_login(buyer)
    response = client.post(f"/ip/offers/{express.pk}/accept/", {"enterprise": enterprise.pk})
    assert response.status_code == 400 and "accept the standard terms" in response.content.decode()
    response = client.post(f"/ip/offers/{express.pk}/accept/", {"enterprise": enterprise.pk, "accept_terms": "on"})
    agreement = LicenceAgreement.objects.get()
    assert response.status_code == 302 and response.url == f"/ip/agreements/{agreement.pk}/"
    # The buyer cannot confirm their own payment.
    client.post(f"/ip/agreements/{agreement.pk}/confirm-payment/")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.AWAITING_PAYMENT
    client.force_login(tto)
    client.post(f"/ip/agreements/{agreement.pk}/confirm-payment/", {"reference": "INV-9"})
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    download = client.get(f"/ip/agreements/{agreement.pk}/download/")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(download.content)).pages)
    assert download["Content-Disposition"].startswith("attachment") and agreement.number in text
    assert client.get(f"/ip/agreements/{agreement.pk}/document/").status_code == 200
    assert client.get("/ip/tto/").status_code == 200


def test_inquiry_flow_through_the_pages(client, result, buyer, enterprise, tto):
    client.force_login(buyer)
    response = client.post(
        f"/ip/results/{result.pk}/inquire/", {"enterprise": enterprise.pk, "message": "Interested", "subject": ""}
    )
    assert response.status_code == 302
    inquiry_url = response.url
    client.force_login(tto)
    for stage in ("discussion", "terms_proposed", "agreed"):
        client.post(inquiry_url + "stage/", {"stage": stage})
    response = client.post(
        inquiry_url + "record-agreement/",
        {"mode": "sole", "territory": "cn", "value": "120000", "starts_on": "2026-01-01", "term_months": "36"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert LicenceAgreement.objects.get().mode == "sole"


def test_non_buyers_cannot_reach_the_accept_page_flow(client, result, researcher):
    client.force_login(researcher)
    response = client.get(f"/ip/offers/{result.offers.get(express=True).pk}/accept/")
    assert response.status_code == 302
    assert not LicenceAgreement.objects.exists()
