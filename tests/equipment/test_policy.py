"""The policy shown before committing (price, cancellation deadline, what happens next), withdrawing a
request, and the reason a rejection must give."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment import services
from equipment.models import Booking, BookingStatus
from tests.equipment.conftest import slot

pytestmark = pytest.mark.django_db


def _form_url(instrument, start, end):
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    return (
        f"/equipment/book/{instrument.pk}/?date={local_start:%Y-%m-%d}&start={local_start:%H:%M}&end={local_end:%H:%M}"
    )


def test_the_form_prices_the_slot_and_gives_the_cancellation_deadline(client, instrument, buyer):
    start, end = slot(days_ahead=5, hour=9, hours=2)
    client.force_login(buyer)
    html = client.get(_form_url(instrument, start, end)).content.decode()
    assert "¥715.50" in html  # 2 h at the enterprise rate of ¥357.75
    assert "2 h at ¥357.75 per hour" in html
    deadline = timezone.localtime(start - timedelta(hours=48))
    assert f"cancel free of charge until {deadline:%Y-%m-%d %H:%M} (48 hours before the start)" in html
    assert "withdraw your request at any time" in html
    assert "The facility reviews your request; if nobody answers within 72 hours, it expires." in html


def test_without_a_slot_the_form_states_the_rule_not_a_price(client, instrument, buyer):
    client.force_login(buyer)
    html = client.get(f"/equipment/book/{instrument.pk}/").content.decode()
    assert "shown here once you choose a slot" in html
    assert "up to 48 hours before the start" in html


def test_garbled_slot_parameters_show_the_form_without_a_price(client, instrument, buyer):
    client.force_login(buyer)
    response = client.get(f"/equipment/book/{instrument.pk}/?date=2026-13-40&start=25:00&end=x")
    assert response.status_code == 200
    assert "shown here once you choose a slot" in response.content.decode()


@pytest.mark.parametrize(
    "key, step",
    [
        ("sk_test_x", "Once approved, pay by card"),
        ("", "Once approved, the facility invoices your enterprise"),
    ],
)
def test_next_steps_follow_the_payment_mode(client, instrument, buyer, settings, key, step):
    settings.STRIPE_SECRET_KEY = key
    client.force_login(buyer)
    html = client.get(f"/equipment/book/{instrument.pk}/").content.decode()
    assert step in html
    assert "charged to your institute" not in html


def test_an_automatically_approving_listing_says_so(client, instrument, buyer):
    instrument.auto_approve = True
    instrument.save()
    client.force_login(buyer)
    html = client.get(f"/equipment/book/{instrument.pk}/").content.decode()
    assert "approved at once" in html
    assert "The facility reviews your request" not in html


def test_an_institute_researcher_is_told_of_the_internal_charge(client, instrument, researcher):
    start, end = slot(days_ahead=5, hour=9, hours=1)
    client.force_login(researcher)
    html = client.get(_form_url(instrument, start, end)).content.decode()
    assert "charged to your institute under your project code" in html
    assert "pay by card" not in html and "invoices your enterprise" not in html


def test_the_policy_is_shown_in_chinese(client, instrument, buyer):
    start, end = slot(days_ahead=5, hour=9, hours=2)
    client.cookies["language"] = "zh-hans"
    client.force_login(buyer)
    html = client.get(_form_url(instrument, start, end)).content.decode()
    assert "提交前请了解" in html
    assert "¥715.50" in html
    assert "Before you request" not in html


def test_the_price_shown_is_the_price_booked(client, instrument, buyer, enterprise):
    start, end = slot(days_ahead=5, hour=9, hours=2)
    client.force_login(buyer)
    local = timezone.localtime(start)
    response = client.post(
        f"/equipment/book/{instrument.pk}/",
        {"date": f"{local:%Y-%m-%d}", "start_time": "09:00", "end_time": "11:00", "purpose": ""},
    )
    assert response.status_code == 302
    booking = Booking.objects.get(user=buyer)
    assert str(booking.price_amount) == "715.50"


def test_a_late_request_can_still_be_withdrawn_from_its_page(client, book, buyer):
    start, end = slot(days_ahead=1, hour=15)
    booking = book(start, end)
    client.force_login(buyer)
    html = client.get(f"/equipment/bookings/{booking.pk}/").content.decode()
    assert "Withdraw this request" in html
    response = client.post(f"/equipment/bookings/{booking.pk}/cancel/", {"reason": "计划变更"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_an_approved_booking_past_the_deadline_offers_no_cancel_button(client, book, buyer, facility_manager):
    booking = book(*slot(days_ahead=1, hour=15))
    services.approve_booking(booking, actor=facility_manager)
    client.force_login(buyer)
    html = client.get(f"/equipment/bookings/{booking.pk}/").content.decode()
    assert "Cancel this booking" not in html and "Withdraw this request" not in html
    assert "cancellation window closed" in html


def test_the_manager_must_give_a_reason_to_reject(client, book, facility_manager):
    booking = book()
    client.force_login(facility_manager)
    response = client.post(f"/equipment/manage/bookings/{booking.pk}/reject/", {"reason": "  "}, follow=True)
    assert "Give the reason for the rejection" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_the_buyer_sees_the_rejection_reason_on_the_page_and_in_the_email(
    client, book, buyer, facility_manager, django_capture_on_commit_callbacks, mailoutbox
):
    booking = book()
    client.force_login(facility_manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/equipment/manage/bookings/{booking.pk}/reject/", {"reason": "R&D <lab> closed for audit"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REJECTED
    (mail,) = [m for m in mailoutbox if m.to == [buyer.email]]
    assert "R&D <lab> closed for audit" in mail.body  # plain text, as typed (in the buyer's language)
    client.force_login(buyer)
    html = client.get(f"/equipment/bookings/{booking.pk}/").content.decode()
    assert "R&amp;D &lt;lab&gt; closed for audit" in html  # escaped in HTML
    assert "Reason for the rejection" in html


def test_a_slot_inside_the_cancellation_window_says_only_the_facility_can_cancel_it(client, instrument, buyer):
    start, end = slot(days_ahead=1, hour=19)  # at most 43 hours ahead: inside the 48-hour window
    instrument.min_notice_hours = 1
    instrument.save()
    client.force_login(buyer)
    html = client.get(_form_url(instrument, start, end)).content.decode()
    assert "This slot starts within 48 hours: once approved, only the facility can cancel it." in html
    assert "cancel free of charge until" not in html
