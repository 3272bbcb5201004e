"""Edits of an instrument respect its live bookings; its numeric rules are bounded; open requests
expire and are limited per enterprise."""

from datetime import time, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from cms.models import InstitutePage
from equipment import services
from equipment.models import (
    Blackout,
    Booking,
    BookingMode,
    BookingStatus,
    BookingTransition,
    InstrumentPage,
    Qualification,
)

from .conftest import make_instrument, slot


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
        "check_in_early_minutes": instrument.check_in_early_minutes,
        "no_show_grace_minutes": instrument.no_show_grace_minutes,
        "overrun_tolerance_minutes": instrument.overrun_tolerance_minutes,
        "overrun_policy": instrument.overrun_policy,
        "overrun_multiplier": str(instrument.overrun_multiplier),
        "booking_unit": instrument.booking_unit,
        "min_units": instrument.min_units,
        "max_units": instrument.max_units,
        "setup_buffer_hours": instrument.setup_buffer_hours,
        "cleanup_buffer_hours": instrument.cleanup_buffer_hours,
        "seats": instrument.seats,
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
    "self-service though the booker is not qualified": lambda b: {"booking_mode": BookingMode.SELF_SERVICE},
}


def _post_change(client, instrument, change):
    change = dict(change)
    hours = change.pop("hours", None)
    rows = _hours_rows(instrument, hours) if hours is not None else None
    return _publish(client, instrument, hours=rows, **change)


def _rules(instrument):
    fresh = InstrumentPage.objects.get(pk=instrument.pk)
    periods = sorted((p.weekday, p.opens, p.closes) for p in fresh.opening_hours.all())
    fields = (
        "booking_mode",
        "slot_minutes",
        "min_booking_minutes",
        "max_booking_minutes",
        "min_notice_hours",
        "horizon_days",
    )
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


@pytest.mark.parametrize("action", ["delete", "unpublish"])
def test_bulk_actions_on_a_booked_instrument_are_refused_naming_the_booking(admin_client, instrument, booked, action):
    parent = instrument.get_parent()
    response = admin_client.post(f"/admin/bulk/wagtailcore/page/{action}/?id={instrument.pk}&childOf={parent.pk}")
    assert response.status_code == 302
    assert f"#{booked.pk} " in _flashed(response)
    fresh = InstrumentPage.objects.get(pk=instrument.pk)
    assert fresh.live


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


def test_revoking_or_shortening_the_qualification_a_self_service_booking_needs_is_refused_until_it_is_cancelled(
    client, institute, buyer, enterprise, facility_manager
):
    instrument = make_instrument(institute, booking_mode=BookingMode.SELF_SERVICE)
    qualification = services.grant_qualification(
        instrument, buyer, actor=facility_manager, valid_until=timezone.localdate() + timedelta(days=30)
    )
    start, end = slot(days_ahead=3, hour=9)
    booking = services.request_booking(instrument=instrument, user=buyer, enterprise=enterprise, start=start, end=end)

    with pytest.raises(ValidationError) as info:
        services.grant_qualification(
            instrument, buyer, actor=facility_manager, valid_until=timezone.localdate() + timedelta(days=1)
        )
    assert f"#{booking.pk} " in info.value.messages[0]
    # Until the booking's day is still enough.
    services.grant_qualification(
        instrument, buyer, actor=facility_manager, valid_until=timezone.localtime(start).date()
    )

    client.force_login(facility_manager)
    client.cookies["language"] = "en"
    response = client.post(f"/equipment/manage/qualifications/{qualification.pk}/revoke/")
    assert response.status_code == 302
    assert f"#{booking.pk} " in _flashed(response)
    assert Qualification.objects.get(pk=qualification.pk).revoked_at is None

    services.cancel_booking(booking, actor=facility_manager)
    client.post(f"/equipment/manage/qualifications/{qualification.pk}/revoke/")
    assert Qualification.objects.get(pk=qualification.pk).revoked_at is not None


# --- bounds ---------------------------------------------------------------------------------------------

# field: (the largest or smallest value allowed, the first value refused)
BOUNDS = {
    "horizon_days": (730, 731),
    "min_notice_hours": (720, 721),
    "cancellation_window_hours": (720, 721),
    "max_booking_minutes": (1440, 1441),
    "planned_hours_per_year": (8784, 8785),
    "service_life_years": (100, 101),
}


@pytest.mark.parametrize(("field", "allowed", "refused"), [(f, *b) for f, b in BOUNDS.items()])
def test_numeric_settings_are_bounded_by_validation(instrument, field, allowed, refused):
    setattr(instrument, field, refused)
    with pytest.raises(ValidationError) as info:
        instrument.full_clean()
    assert field in info.value.message_dict
    setattr(instrument, field, allowed)
    instrument.full_clean()


@pytest.mark.parametrize(
    ("field", "allowed", "refused"),
    [(f, *b) for f, b in BOUNDS.items()]
    + [("min_booking_minutes", 15, 14), ("horizon_days", 1, 0), ("slot_minutes", 15, 7)],
)
def test_numeric_settings_are_bounded_by_the_database(instrument, field, allowed, refused):
    changes = {field: refused}
    if field == "min_booking_minutes":
        changes["slot_minutes"] = 15
    if field == "horizon_days":
        changes["min_notice_hours"] = 0
    with transaction.atomic(), pytest.raises(IntegrityError):
        InstrumentPage.objects.filter(pk=instrument.pk).update(**changes)
    changes[field] = allowed
    assert InstrumentPage.objects.filter(pk=instrument.pk).update(**changes) == 1


def test_notice_must_be_shorter_than_the_horizon_in_form_and_database(instrument):
    instrument.horizon_days, instrument.min_notice_hours = 2, 48
    with pytest.raises(ValidationError) as info:
        instrument.full_clean()
    assert info.value.message_dict["min_notice_hours"] == [
        "The minimum notice must be shorter than the booking horizon."
    ]
    with transaction.atomic(), pytest.raises(IntegrityError):
        InstrumentPage.objects.filter(pk=instrument.pk).update(horizon_days=2, min_notice_hours=48)
    assert InstrumentPage.objects.filter(pk=instrument.pk).update(horizon_days=2, min_notice_hours=47) == 1


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Ensure this value is less than or equal to 730."), ("zh-hans", "确保该值小于或等于730。")],
)
def test_admin_refuses_a_huge_horizon_in_each_language_and_the_catalogue_stays_up(
    client, staff_user, instrument, language, message
):
    client.force_login(staff_user)
    client.cookies["language"] = language
    response = _publish(client, instrument, horizon_days=10_000_000)
    assert response.status_code == 200
    assert response.context["form"].errors["horizon_days"] == [message]
    assert InstrumentPage.objects.get(pk=instrument.pk).horizon_days == 90
    assert client.get("/instruments/").status_code == 200


def test_notice_against_horizon_is_explained_in_chinese(client, staff_user, instrument):
    client.force_login(staff_user)
    client.cookies["language"] = "zh-hans"
    response = _publish(client, instrument, horizon_days=1, min_notice_hours=24)
    assert response.status_code == 200
    assert response.context["form"].errors["min_notice_hours"] == ["最短提前预约时间必须短于可预约期限。"]


# --- requests expire ----------------------------------------------------------------------------------


def _entered(booking, status):
    return BookingTransition.objects.filter(booking=booking, to_status=status).latest("at").at


@pytest.fixture
def expiry(settings):
    settings.BOOKING_REQUEST_EXPIRY_HOURS = 48
    return timedelta(hours=48)


def test_a_request_nobody_approves_expires_after_the_set_time_and_frees_its_slot(
    book, expiry, buyer, other_buyer, other_enterprise, django_capture_on_commit_callbacks, mailoutbox
):
    booking = book(*slot(days_ahead=5, hour=9))
    at = _entered(booking, BookingStatus.REQUESTED)
    assert services.expire_bookings(now=at + expiry) == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_bookings(now=at + expiry + timedelta(seconds=1)) == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    last = booking.transitions.last()
    assert (last.from_status, last.to_status, last.actor) == (BookingStatus.REQUESTED, BookingStatus.CANCELLED, None)
    assert "48" in last.note
    assert [buyer.email] in [m.to for m in mailoutbox]
    # The slot is free again for anyone.
    book(booking.start, booking.end, user=other_buyer, org=other_enterprise)


def test_an_approved_booking_nobody_pays_for_expires_counted_from_its_approval(book, expiry, facility_manager):
    booking = book(*slot(days_ahead=5, hour=9))
    BookingTransition.objects.filter(booking=booking).update(at=timezone.now() - timedelta(days=10))
    services.approve_booking(booking, actor=facility_manager)
    approved_at = _entered(booking, BookingStatus.APPROVED)
    assert services.expire_bookings(now=approved_at + expiry) == 0
    assert services.expire_bookings(now=approved_at + expiry + timedelta(seconds=1)) == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.transitions.last().from_status == BookingStatus.APPROVED


def test_an_approved_booking_with_a_live_card_hold_is_left_to_the_hold_release(book, expiry, facility_manager, buyer):
    from marketplace.payments.models import Payment, PaymentStatus, Provider

    booking = services.approve_booking(book(*slot(days_ahead=5, hour=9)), actor=facility_manager)
    late = _entered(booking, BookingStatus.APPROVED) + expiry + timedelta(hours=1)
    Payment.objects.create(
        subject_kind="booking",
        subject_id=booking.pk,
        institute=booking.institute,
        enterprise=booking.enterprise,
        created_by=buyer,
        amount=booking.price_amount,
        currency=booking.currency,
        provider=Provider.STRIPE,
        status=PaymentStatus.PENDING,
        stripe_payment_intent_id="pi_test_hold",
        hold_until=late + timedelta(minutes=1),
    )
    assert services.expire_bookings(now=late) == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED


def test_confirmed_bookings_never_expire_and_zero_switches_expiry_off(book, expiry, facility_manager, settings):
    confirmed = book(*slot(days_ahead=5, hour=9))
    services.approve_booking(confirmed, actor=facility_manager)
    services.confirm_booking(confirmed, actor=facility_manager, reference="INV-9")
    requested = book(*slot(days_ahead=5, hour=12))
    far = timezone.now() + timedelta(days=4)
    settings.BOOKING_REQUEST_EXPIRY_HOURS = 0
    assert services.expire_bookings(now=far) == 0
    settings.BOOKING_REQUEST_EXPIRY_HOURS = 48
    assert services.expire_bookings(now=far) == 1
    assert Booking.objects.get(pk=confirmed.pk).status == BookingStatus.CONFIRMED
    assert Booking.objects.get(pk=requested.pk).status == BookingStatus.CANCELLED


def test_expire_bookings_command(book, expiry):
    first, second = book(*slot(days_ahead=5, hour=9)), book(*slot(days_ahead=5, hour=12))
    BookingTransition.objects.filter(booking=first).update(at=timezone.now() - expiry - timedelta(minutes=1))
    out = StringIO()
    call_command("expire_bookings", stdout=out)
    assert out.getvalue().strip() == "1 booking(s) expired"
    BookingTransition.objects.filter(booking=second).update(at=timezone.now() - expiry - timedelta(minutes=1))
    call_command("expire_bookings", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "1 booking(s) expired"
    assert set(Booking.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
        BookingStatus.CANCELLED
    }


# --- open requests per enterprise and instrument --------------------------------------------------------


@pytest.fixture
def limit(settings):
    settings.BOOKING_MAX_OPEN_REQUESTS_PER_INSTRUMENT = 2
    return 2


def test_an_enterprise_holds_at_most_the_set_number_of_open_requests_per_instrument(
    book, limit, facility_manager, other_buyer, other_enterprise, other_instrument, buyer, enterprise
):
    first = book(*slot(days_ahead=5, hour=9))
    book(*slot(days_ahead=5, hour=11))
    with pytest.raises(ValidationError) as info:
        book(*slot(days_ahead=5, hour=13))
    assert info.value.messages == [
        "Your enterprise already has 2 open requests for this instrument. Wait until one is confirmed, "
        "or cancel one, before asking for more time."
    ]
    assert Booking.objects.filter(enterprise=enterprise).count() == 2
    # Other enterprises and other instruments are not affected.
    book(*slot(days_ahead=5, hour=13), user=other_buyer, org=other_enterprise)
    book(*slot(days_ahead=5, hour=13), target=other_instrument)
    # An approved booking not yet paid is still open; a confirmed one is not.
    services.approve_booking(first, actor=facility_manager)
    with pytest.raises(ValidationError):
        book(*slot(days_ahead=5, hour=15))
    services.confirm_booking(first, actor=facility_manager, reference="INV-1")
    book(*slot(days_ahead=5, hour=15))


def test_a_cancelled_request_frees_a_place_and_zero_means_no_limit(book, limit, buyer, settings):
    first = book(*slot(days_ahead=5, hour=9))
    book(*slot(days_ahead=5, hour=11))
    services.cancel_booking(first, actor=buyer)
    book(*slot(days_ahead=5, hour=13))
    settings.BOOKING_MAX_OPEN_REQUESTS_PER_INSTRUMENT = 0
    book(*slot(days_ahead=5, hour=15))
    book(*slot(days_ahead=5, hour=17))


def test_the_booking_form_explains_the_limit(client, instrument, book, limit, buyer):
    book(*slot(days_ahead=5, hour=9))
    book(*slot(days_ahead=5, hour=11))
    client.force_login(buyer)
    client.cookies["language"] = "zh-hans"
    day = timezone.localdate() + timedelta(days=5)
    response = client.post(
        f"/equipment/book/{instrument.pk}/", {"date": day.isoformat(), "start_time": "13:00", "end_time": "14:00"}
    )
    assert response.status_code == 400
    assert "您的企业在此仪器上已有 2 个未确认的预约申请" in response.content.decode()


def test_the_usage_rules_are_edited_in_the_booking_rules_tab(admin_client, instrument):
    response = admin_client.get(f"/admin/pages/{instrument.pk}/edit/")
    content = response.content.decode()
    for name in (
        "check_in_early_minutes",
        "no_show_grace_minutes",
        "overrun_tolerance_minutes",
        "overrun_policy",
        "overrun_multiplier",
    ):
        assert f'name="{name}"' in content, name
    response = _publish(
        admin_client,
        instrument,
        check_in_early_minutes=20,
        no_show_grace_minutes=45,
        overrun_tolerance_minutes=0,
        overrun_policy="multiplier",
        overrun_multiplier="2.00",
    )
    assert response.status_code == 302, _errors(response)
    instrument.refresh_from_db()
    assert (
        instrument.check_in_early_minutes,
        instrument.no_show_grace_minutes,
        instrument.overrun_tolerance_minutes,
        instrument.overrun_policy,
        str(instrument.overrun_multiplier),
    ) == (20, 45, 0, "multiplier", "2.00")


@pytest.mark.parametrize(
    "field, value",
    [
        ("overrun_multiplier", "0.50"),
        ("overrun_multiplier", "11"),
        ("check_in_early_minutes", "-1"),
        ("no_show_grace_minutes", "1441"),
        ("overrun_tolerance_minutes", "99999"),
        ("overrun_policy", "free"),
    ],
)
def test_out_of_bounds_usage_rules_are_refused(admin_client, instrument, field, value):
    before = getattr(instrument, field)
    response = _publish(admin_client, instrument, **{field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    instrument.refresh_from_db()
    assert getattr(instrument, field) == before
