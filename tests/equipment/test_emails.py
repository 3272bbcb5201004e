"""Booking emails: one text, names and links resolved for the recipient's language."""

import pytest
from django.conf import settings

from equipment import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def readers(buyer, facility_manager):
    buyer.preferred_language = "en"
    buyer.save()
    facility_manager.preferred_language = "zh-hans"
    facility_manager.save()
    return buyer, facility_manager


def test_request_emails_read_in_each_recipients_language_with_absolute_links(
    book, readers, enterprise, django_capture_on_commit_callbacks, mailoutbox
):
    buyer, manager = readers
    with django_capture_on_commit_callbacks(execute=True):
        booking = book()
    by_recipient = {m.to[0]: m for m in mailoutbox}
    english, chinese = by_recipient[buyer.email], by_recipient[manager.email]
    assert "Scanning electron microscope" in english.body and "扫描电子显微镜" not in english.body
    assert "扫描电子显微镜" in chinese.body and enterprise.name in chinese.body
    assert f"{settings.SITE_URL}/equipment/bookings/{booking.pk}/" in english.body
    assert f"{settings.SITE_URL}/equipment/manage/bookings/{booking.pk}/" in chinese.body
    assert "{" not in english.body + chinese.body + english.subject + chinese.subject


def test_english_falls_back_to_the_chinese_name(
    instrument, book, readers, enterprise, django_capture_on_commit_callbacks, mailoutbox
):
    buyer, manager = readers
    enterprise.name_en = ""
    enterprise.save()
    instrument.title_en = ""
    instrument.save()
    instrument.auto_approve = True
    instrument.save()
    with django_capture_on_commit_callbacks(execute=True):
        book()
    english = next(m for m in mailoutbox if m.to == [buyer.email])
    assert english.subject == "Booking approved: 扫描电子显微镜"
    assert "Note" not in english.body  # the automatic approval says nothing more


def test_a_rejection_reason_is_not_the_booking_note(
    book, facility_manager, django_capture_on_commit_callbacks, mailoutbox
):
    booking = book()
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_booking(booking, actor=facility_manager, reason="Instrument under repair")
    assert booking.transitions.last().shown_note == "Instrument under repair"
    assert len(mailoutbox) == 1
