"""Edits of an instrument respect its live bookings; its numeric rules are bounded; open requests
expire and are limited per enterprise."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from cms.models import InstitutePage
from equipment import services
from equipment.models import Blackout, Booking, BookingStatus, BookingTransition, InstrumentPage

from .conftest import slot


def _hours_rows(instrument, changes=None):
    """The opening-hours inline as posted; `changes` maps a weekday to (opens, closes) or None (removed)."""
    rows = []
    for period in instrument.opening_hours.order_by("sort_order", "pk"):
        row = {"id": period.pk, "weekday": period.weekday, "ORDER": period.sort_order or 0}
        change = (changes or {}).get(period.weekday, (period.opens, period.closes))
        if change is None:
            row.update(opens=f"{period.opens:%H:%M}", closes=f"{period.closes:%H:%M}", DELETE="1")
        else:
            row.update(opens=f"{change[0]:%H:%M}", closes=f"{change[1]:%H:%M}")
        rows.append(row)
    return rows


def _edit_post(instrument, hours=None, **fields):
    """The whole admin edit form of `instrument` as the browser posts it, with `fields` changed."""
    data = {
        "title": instrument.title,
        "title_en": instrument.title_en,
        "slug": instrument.slug,
        "resource_kind": instrument.resource_kind,
        "category": instrument.category_id or "",
        "summary": instrument.summary,
        "summary_en": instrument.summary_en,
        "manufacturer": instrument.manufacturer,
        "model_number": instrument.model_number,
        "specifications": streamfield([]),
        "main_photo": "",
        "photos": streamfield([]),
        "location": instrument.location,
        "contact_name": instrument.contact_name,
        "contact_email": instrument.contact_email,
        "contact_phone": instrument.contact_phone,
        "currency": instrument.currency,
        "purchase_price": str(instrument.purchase_price),
        "service_life_years": instrument.service_life_years,
        "annual_maintenance": str(instrument.annual_maintenance),
        "annual_staff_share": str(instrument.annual_staff_share),
        "planned_hours_per_year": instrument.planned_hours_per_year,
        "consumables_per_hour": str(instrument.consumables_per_hour),
        "utilities_per_hour": str(instrument.utilities_per_hour),
        "operator_per_hour": str(instrument.operator_per_hour),
        "internal_subsidy_percent": str(instrument.internal_subsidy_percent),
        "academic_subsidy_percent": str(instrument.academic_subsidy_percent),
        "enterprise_subsidy_percent": str(instrument.enterprise_subsidy_percent),
        "subsidy_basis": instrument.subsidy_basis,
        "booking_mode": instrument.booking_mode,
        "slot_minutes": instrument.slot_minutes,
        "min_booking_minutes": instrument.min_booking_minutes,
        "max_booking_minutes": instrument.max_booking_minutes,
        "min_notice_hours": instrument.min_notice_hours,
        "horizon_days": instrument.horizon_days,
        "cancellation_window_hours": instrument.cancellation_window_hours,
        "seo_title": "",
        "search_description": "",
        "go_live_at": "",
        "expire_at": "",
        "comments": inline_formset([]),
        "action-publish": "1",
    }
    rows = hours if hours is not None else _hours_rows(instrument)
    data["opening_hours"] = inline_formset(rows, initial=instrument.opening_hours.count())
    data.update(fields)
    return nested_form_data(data)


def _publish(client, instrument, **kwargs):
    return client.post(f"/admin/pages/{instrument.pk}/edit/", _edit_post(instrument, **kwargs))


def _errors(response):
    form = response.context["form"]
    return form.errors, [f.errors for f in form.formsets["opening_hours"].forms]


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    client.cookies["language"] = "en"
    return client


def test_an_unchanged_edit_form_publishes(admin_client, instrument):
    response = _publish(admin_client, instrument, title_en="Renamed microscope")
    assert response.status_code == 302, _errors(response)
    instrument.refresh_from_db()
    assert instrument.title_en == "Renamed microscope"


# --- the admin edit form ---------------------------------------------------------------------------


@pytest.fixture
def booked(instrument, book):
    """A requested booking of `instrument`, 09:00–10:00 local three days ahead."""
    return book(*slot(days_ahead=3, hour=9))


def _weekday(booking):
    return timezone.localtime(booking.start).weekday()


BREAKING_CHANGES = {
    "opening hours of the day removed": lambda b: {"hours": {_weekday(b): None}},
    "opening hours of the day shortened": lambda b: {"hours": {_weekday(b): (time(10), time(20))}},
    "slot step longer": lambda b: {"slot_minutes": 120, "min_booking_minutes": 120},
    "minimum length longer": lambda b: {"min_booking_minutes": 120},
    "maximum length shorter": lambda b: {"slot_minutes": 30, "min_booking_minutes": 30, "max_booking_minutes": 30},
    "notice longer than it was given": lambda b: {"min_notice_hours": 720},
    "horizon shorter than it was booked ahead": lambda b: {"horizon_days": 1, "min_notice_hours": 0},
}


def _post_change(client, instrument, change):
    change = dict(change)
    hours = change.pop("hours", None)
    rows = _hours_rows(instrument, hours) if hours is not None else None
    return _publish(client, instrument, hours=rows, **change)


def _rules(instrument):
    fresh = InstrumentPage.objects.get(pk=instrument.pk)
    periods = sorted((p.weekday, p.opens, p.closes) for p in fresh.opening_hours.all())
    fields = ("slot_minutes", "min_booking_minutes", "max_booking_minutes", "min_notice_hours", "horizon_days")
    return {name: getattr(fresh, name) for name in fields}, periods


@pytest.mark.parametrize("change", BREAKING_CHANGES.values(), ids=BREAKING_CHANGES.keys())
def test_admin_edit_that_strands_a_booking_is_refused_naming_it_until_the_facility_cancels_it(
    admin_client, instrument, booked, facility_manager, buyer, change, django_capture_on_commit_callbacks, mailoutbox
):
    before = _rules(instrument)
    response = _post_change(admin_client, instrument, change(booked))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"#{booked.pk} " in html
    assert "would no longer follow the instrument&#x27;s rules" in html
    assert _rules(instrument) == before
    booked.refresh_from_db()
    assert booked.status == BookingStatus.REQUESTED

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booked, actor=facility_manager, reason="rules change")
    assert [m.to for m in mailoutbox] == [[buyer.email]]  # the enterprise is told
    response = _post_change(admin_client, instrument, change(booked))
    assert response.status_code == 302, _errors(response)
    assert _rules(instrument) != before


def test_admin_edit_that_keeps_every_booking_inside_the_rules_is_published(admin_client, instrument, booked):
    day = _weekday(booked)
    response = _publish(
        admin_client,
        instrument,
        hours=_hours_rows(instrument, {day: (time(8), time(12))}),
        slot_minutes=30,
        min_booking_minutes=30,
        max_booking_minutes=60,
        min_notice_hours=1,
        horizon_days=30,
    )
    assert response.status_code == 302, _errors(response)
    rules, periods = _rules(instrument)
    assert rules["slot_minutes"] == 30
    assert (day, time(8), time(12)) in periods


def test_past_bookings_need_not_follow_new_rules(admin_client, instrument, past_confirmed):
    response = _post_change(
        admin_client,
        instrument,
        {"hours": {_weekday(past_confirmed): None}, "slot_minutes": 240, "min_booking_minutes": 240},
    )
    assert response.status_code == 302, _errors(response)
    assert _rules(instrument)[0]["slot_minutes"] == 240


def test_refusal_names_only_the_bookings_the_change_strands(admin_client, instrument, book, booked):
    other_day = book(*slot(days_ahead=4, hour=9))
    response = _post_change(admin_client, instrument, {"hours": {_weekday(booked): None}})
    html = response.content.decode()
    assert f"#{booked.pk} " in html
    assert f"#{other_day.pk} " not in html


# --- unpublish, move, delete ------------------------------------------------------------------------


def _flashed(response):
    from django.contrib.messages import get_messages

    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_unpublishing_an_instrument_with_an_active_booking_is_refused_until_it_is_cancelled(
    admin_client, instrument, booked, facility_manager
):
    response = admin_client.post(f"/admin/pages/{instrument.pk}/unpublish/")
    assert response.status_code == 302
    assert f"#{booked.pk} " in _flashed(response)
    assert InstrumentPage.objects.get(pk=instrument.pk).live

    services.cancel_booking(booked, actor=facility_manager)
    response = admin_client.post(f"/admin/pages/{instrument.pk}/unpublish/")
    assert response.status_code == 302
    assert not InstrumentPage.objects.get(pk=instrument.pk).live


def test_unpublishing_the_institute_page_above_a_booked_instrument_is_refused(admin_client, institute, booked):
    parent = InstitutePage.objects.get(organization=institute)
    response = admin_client.post(f"/admin/pages/{parent.pk}/unpublish/", {"include_descendants": "on"})
    assert f"#{booked.pk} " in _flashed(response)
    assert InstitutePage.objects.get(pk=parent.pk).live
    assert InstrumentPage.objects.get(pk=booked.instrument_id).live


def test_moving_an_instrument_with_an_active_booking_is_refused_until_it_is_cancelled(
    admin_client, instrument, booked, facility_manager, other_institute
):
    destination = InstitutePage.objects.get(organization=other_institute)
    url = f"/admin/pages/{instrument.pk}/move/{destination.pk}/confirm/"
    response = admin_client.post(url)
    assert response.status_code == 302
    assert f"#{booked.pk} " in _flashed(response)
    assert InstrumentPage.objects.get(pk=instrument.pk).get_parent().pk != destination.pk

    services.cancel_booking(booked, actor=facility_manager)
    response = admin_client.post(url)
    assert response.status_code == 302
    assert InstrumentPage.objects.get(pk=instrument.pk).get_parent().pk == destination.pk


def test_deleting_an_instrument_with_an_active_booking_is_refused_naming_it(
    admin_client, instrument, booked, facility_manager
):
    response = admin_client.post(f"/admin/pages/{instrument.pk}/delete/")
    assert response.status_code == 302
    assert f"#{booked.pk} " in _flashed(response)
    assert InstrumentPage.objects.filter(pk=instrument.pk).exists()

    # Cancelled, the booking stays on record with its instrument: deleting is still refused, clearly.
    services.cancel_booking(booked, actor=facility_manager)
    response = admin_client.post(f"/admin/pages/{instrument.pk}/delete/")
    assert response.status_code == 302
    assert "Unpublish it instead" in _flashed(response)
    assert Booking.objects.filter(pk=booked.pk).exists()


def test_deleting_the_institute_page_above_a_booked_instrument_is_refused(admin_client, institute, booked):
    parent = InstitutePage.objects.get(organization=institute)
    response = admin_client.post(f"/admin/pages/{parent.pk}/delete/")
    assert response.status_code == 302
    assert f"#{booked.pk} " in _flashed(response)
    assert InstitutePage.objects.filter(pk=parent.pk).exists()


def test_an_instrument_never_booked_can_be_deleted(admin_client, instrument):
    response = admin_client.post(f"/admin/pages/{instrument.pk}/delete/")
    assert response.status_code == 302
    assert not InstrumentPage.objects.filter(pk=instrument.pk).exists()


# --- the facility's manage page -----------------------------------------------------------------------


def test_a_blackout_over_an_active_booking_is_refused_naming_it_until_it_is_cancelled(
    client, instrument, booked, facility_manager
):
    client.force_login(facility_manager)
    client.cookies["language"] = "en"
    start = timezone.localtime(booked.start)
    data = {
        "blackout": "1",
        "b-start": f"{start:%Y-%m-%dT08:00}",
        "b-end": f"{start:%Y-%m-%dT12:00}",
        "b-reason": Blackout.Reason.MAINTENANCE,
    }
    response = client.post(f"/equipment/manage/instruments/{instrument.pk}/", data)
    assert response.status_code == 400
    assert f"#{booked.pk} " in response.content.decode()
    assert not Blackout.objects.filter(instrument=instrument).exists()

    services.cancel_booking(booked, actor=facility_manager)
    response = client.post(f"/equipment/manage/instruments/{instrument.pk}/", data)
    assert response.status_code == 302
    assert Blackout.objects.filter(instrument=instrument).count() == 1
