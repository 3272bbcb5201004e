"""Licence emails: one text, names (as frozen in the terms) and links resolved for the recipient's language."""

import pytest
from django.conf import settings

from ip_listings import services

pytestmark = pytest.mark.django_db


def test_express_acceptance_emails_read_in_each_recipients_language(
    result, buyer, enterprise, tto, institute, django_capture_on_commit_callbacks, mailoutbox
):
    buyer.preferred_language = "en"
    buyer.save()
    tto.preferred_language = "zh-hans"
    tto.save()
    express = result.offers.get(express=True)
    with django_capture_on_commit_callbacks(execute=True):
        agreement = services.accept_express_offer(express, buyer=buyer, enterprise=enterprise, accept_terms=True)
    by_recipient = {m.to[0]: m for m in mailoutbox}
    english, chinese = by_recipient[buyer.email], by_recipient[tto.email]
    assert "Flexible pressure sensor" in english.body and "East Test Institute" in english.body
    assert "柔性压力传感器" in chinese.subject and enterprise.name in chinese.subject
    link = f"{settings.SITE_URL}/ip/agreements/{agreement.pk}/"
    assert link in english.body and link in chinese.body
    assert "{" not in english.body + chinese.body


def test_inquiry_emails_link_to_the_inquiry(
    result, buyer, enterprise, tto, django_capture_on_commit_callbacks, mailoutbox
):
    tto.preferred_language = "en"
    tto.save()
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = services.open_inquiry(result=result, buyer=buyer, enterprise=enterprise, message="Hello")
    (mail,) = mailoutbox
    assert mail.subject == f"New inquiry from {enterprise.name_en}: Flexible pressure sensor"
    assert f"{settings.SITE_URL}/ip/inquiries/{inquiry.pk}/" in mail.body
