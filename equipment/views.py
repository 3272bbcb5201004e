"""Thin views: parse input, call one service or selector, render."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from marketplace.accounts import selectors as account_selectors
from marketplace.core.catalogue_cache import CachedCountPaginator
from marketplace.core.forms import apply_errors, flash_errors
from marketplace.core.links import absolute_url
from marketplace.core.pagecache import cache_anonymous_page
from marketplace.core.pdf import pdf_response
from marketplace.core.search import pages_with_ids, search_ids
from marketplace.payments import selectors as payment_selectors
from marketplace.payments import services as payment_services

from . import calendars, selectors, services, units
from .filters import InstrumentFilter
from .forms import (
    BlackoutForm,
    BookingForm,
    ConfirmForm,
    QualificationForm,
    RangeBookingForm,
    ReasonForm,
    RejectForm,
    SlotForm,
    TrainingRequestForm,
    TrainingResultForm,
    UsageForm,
)
from .models import (
    CANCELLABLE_STATUSES,
    Blackout,
    BookingStatus,
    CalendarToken,
    InstrumentPage,
    Overrun,
    Qualification,
    RateTier,
    UsageRecord,
    WaitlistEntry,
)
from .policy import booking_policy
from .rates import tier_for, tier_rate

PAGE_SIZE = 20


# --- browse ------------------------------------------------------------------------------------------


def _search_ids(query):
    fields = ["title", "title_en", "summary", "summary_en", "manufacturer", "model_number"]
    return search_ids(InstrumentPage.objects.live(), query, fields)


@cache_anonymous_page
def browse(request):
    queryset = selectors.live_instruments().select_related("institute", "category", "main_photo")
    query = (request.GET.get("q") or "").strip()[:200]
    if query:
        queryset = queryset.filter(pk__in=pages_with_ids(_search_ids(query)))
    filterset = InstrumentFilter(request.GET or None, queryset=queryset.order_by("title"), request=request)
    results = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset.order_by("title")
    paginator = CachedCountPaginator(results, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    selectors.attach_next_free_slots(page.object_list)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "equipment/browse.html",
        {"filter": filterset, "page_obj": page, "query": query, "querystring": params.urlencode()},
    )


# --- buyers ------------------------------------------------------------------------------------------


@login_required
def book(request, instrument_id):
    instrument = selectors.instrument_for_booking_or_404(instrument_id)
    if not instrument.is_hourly:
        # Days, months and access periods have their own form.
        return redirect("equipment:book_range", instrument.pk)
    enterprises = selectors.booking_organizations(request.user, instrument)
    first = enterprises.first()
    if first is None:
        messages.error(request, _("Enterprise buyers and institute researchers can book instruments."))
        return redirect(instrument.url or "/")
    initial = {}
    if request.GET.get("date"):
        initial["date"] = request.GET["date"]
    if request.GET.get("start"):
        initial["start_time"] = request.GET["start"]
    if request.GET.get("end"):
        initial["end_time"] = request.GET["end"]
    form = BookingForm(
        request.POST or None,
        enterprises=enterprises,
        initial=initial,
        end_choices=_end_choices(instrument, request.user, request.POST or request.GET),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booking = services.request_booking(
                instrument=instrument,
                user=request.user,
                organization=data["enterprise"],
                start=data["start"],
                end=data["end"],
                purpose=data["purpose"],
                charge_code=data.get("charge_code", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your booking request is recorded."))
            return redirect("equipment:booking", booking.pk)
    # The rate of each organisation the user may book for: the tier follows the organisation chosen.
    rates = [(org, RateTier(tier_for(org, instrument)), tier_rate(instrument, tier_for(org, instrument)))
             for org in enterprises]  # fmt: skip
    tier = tier_for(first, instrument)
    start, end = _slot_shown(request, form)
    policy = booking_policy(instrument, enterprises, start, end)
    # Refused because the slot is taken: the page offers the waitlist for it.
    taken = form.is_bound and form.errors and "start" in form.cleaned_data
    waitlist_slot = (
        form.cleaned_data
        if taken and selectors.slot_is_taken(instrument, form.cleaned_data["start"], form.cleaned_data["end"])
        else None
    )
    return render(
        request,
        "equipment/book.html",
        {
            "instrument": instrument,
            "form": form,
            "rate": tier_rate(instrument, tier),
            "tier": tier,
            "rates": rates,
            "waitlist_slot": waitlist_slot,
            "policy": policy,
        },
        status=400 if form.errors else 200,
    )


def _slot_shown(request, form):
    """The slot the booking form shows (posted, or pre-filled from the calendar link), to price it."""
    if form.is_bound:
        data = getattr(form, "cleaned_data", {})
        return data.get("start"), data.get("end")
    slot = SlotForm(
        {"date": request.GET.get("date"), "start_time": request.GET.get("start"), "end_time": request.GET.get("end")}
    )
    if slot.is_valid():
        return slot.cleaned_data["start"], slot.cleaned_data["end"]
    return None, None


@login_required
def book_range(request, instrument_id):
    """Book a resource that is not hourly: a campaign of days, a lease of months, an access period."""
    instrument = selectors.instrument_for_booking_or_404(instrument_id)
    if instrument.is_hourly:
        return redirect("equipment:book", instrument.pk)
    organizations = selectors.booking_organizations(request.user, instrument)
    first = organizations.first()
    if first is None:
        messages.error(request, _("Enterprise buyers and institute researchers can book instruments."))
        return redirect(instrument.url or "/")
    initial = {key: request.GET[key] for key in ("first_day", "last_day", "months", "seats") if request.GET.get(key)}
    form = RangeBookingForm(request.POST or None, enterprises=organizations, instrument=instrument, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booking = services.request_range_booking(
                instrument=instrument,
                user=request.user,
                organization=data["enterprise"],
                first_day=data["first_day"],
                last_day=data.get("last_day"),
                months=data.get("months"),
                seats=data.get("seats") or 1,
                purpose=data["purpose"],
                charge_code=data.get("charge_code", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your booking request is recorded."))
            return redirect("equipment:booking", booking.pk)
    opening_hours = list(instrument.opening_hours.all())
    prices = []
    for org in organizations:
        tier = tier_for(org, instrument)
        rate = tier_rate(instrument, tier)
        prices.append((org, RateTier(tier), rate, units.unit_price(instrument, rate, opening_hours=opening_hours)))
    return render(
        request,
        "equipment/book_range.html",
        {
            "instrument": instrument,
            "form": form,
            "prices": prices,
            "taken": services.taken_periods(instrument),
            "policy": booking_policy(instrument, organizations),
        },
        status=400 if form.errors else 200,
    )


def _end_choices(instrument, user, data):
    """The valid ends for the start in `data` (the query of a calendar link, or the posted form); none
    (a plain time field) when the date or start is missing or not a valid time."""
    field = SlotForm.base_fields
    try:
        day = field["date"].clean(data.get("date", ""))
        start = field["start_time"].clean(data.get("start_time") or data.get("start") or "")
    except ValidationError:
        return []
    today = timezone.localdate()
    if not today - timedelta(days=1) <= day <= today + timedelta(days=instrument.horizon_days + 1):
        return []
    return selectors.valid_ends(instrument, user, day, start)


@login_required
def my_bookings(request):
    bookings = selectors.bookings_of_buyer(request.user)
    status = request.GET.get("status", "")
    if status in BookingStatus.values:
        bookings = bookings.filter(status=status)
    page = Paginator(bookings, PAGE_SIZE).get_page(request.GET.get("page"))
    token = CalendarToken.objects.filter(user=request.user).first()
    calendar_url = absolute_url("equipment:my_ical", token.token) if token else ""
    return render(
        request,
        "equipment/my_bookings.html",
        {
            "page_obj": page,
            "statuses": BookingStatus.choices,
            "status": status,
            "calendar_url": calendar_url,
            "waitlist": selectors.waitlist_of(request.user)[:50],
            "training_requests": selectors.training_requests_of(request.user)[:50],
        },
    )


def _usage_context(booking, user, *, staff=False):
    """What the booking pages show of check-in, check-out, actual hours and an overrun, and which of the
    check-in and check-out buttons `user` gets now."""
    usage = UsageRecord.objects.filter(booking=booking).first()
    overrun = Overrun.objects.filter(booking=booking).first()
    may = services.may_check_in_out(user, booking)
    return {
        "usage": usage,
        "overrun": overrun,
        "overrun_payment": (
            payment_selectors.payment_box(overrun, staff=staff)
            if overrun is not None and overrun.status in (Overrun.Status.DUE, Overrun.Status.PAID)
            else None
        ),
        "can_check_in": may and services.can_check_in_now(booking),
        "can_check_out": may and services.can_check_out_now(booking),
        "check_in_opens": services.check_in_opens(booking) if services.checks_in(booking) else None,
    }


@login_required
def booking_detail(request, pk):
    booking = selectors.booking_for_buyer_or_404(request.user, pk)
    transitions = list(booking.transitions.select_related("actor"))
    rejected = [t for t in transitions if t.to_status == BookingStatus.REJECTED]
    return render(
        request,
        "equipment/booking_detail.html",
        {
            "booking": booking,
            "transitions": transitions,
            "rejection": rejected[-1].shown_note if rejected else "",
            "deadline": services.cancellation_deadline(booking),
            "can_cancel": services.buyer_may_cancel(booking),
            "payment": None if booking.by_internal_charge else payment_selectors.payment_box(booking),
            **_usage_context(booking, request.user),
        },
    )


def _use_action(request, pk, run, done):
    booking = selectors.booking_for_buyer_or_404(request.user, pk)
    try:
        booking = run(booking, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        flash_errors(request, error)
    else:
        messages.success(request, done(booking))
    return redirect("equipment:booking", booking.pk)


@login_required
@require_POST
def check_in(request, pk):
    """The booker checks in on a self-service instrument (a double click checks in once)."""
    return _use_action(request, pk, services.check_in, _checked_in_text)


@login_required
@require_POST
def check_out(request, pk):
    """The booker checks out: the booking is completed with the real hours (a double click, once)."""
    return _use_action(request, pk, services.check_out, _checked_out_text)


def _checked_in_text(booking):
    return _("Checked in at %(time)s.") % {"time": timezone.localtime(booking.checked_in_at).strftime("%H:%M")}


def _checked_out_text(booking):
    text = _("Checked out at %(time)s; the booking is completed.") % {
        "time": timezone.localtime(booking.checked_out_at).strftime("%H:%M")
    }
    overrun = Overrun.objects.filter(booking=booking).first()
    if overrun is not None:
        text += " " + _("It ran %(n)s minutes over the booked time.") % {"n": overrun.minutes}
    return text


@login_required
def booking_confirmation(request, pk):
    """The confirmation of a booking as a PDF document, for its buyer and the facility's managers."""
    booking = selectors.booking_for_buyer_or_manager_or_404(request.user, pk)
    if not booking.has_confirmation:
        raise Http404
    return pdf_response(
        "equipment/booking_confirmation.pdf.html",
        {"booking": booking, "transitions": booking.transitions.select_related("actor")},
        filename=f"booking-{booking.pk}",
    )


@login_required
@require_POST
def cancel(request, pk):
    booking = selectors.booking_for_buyer_or_404(request.user, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.cancel_booking(booking, actor=request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("The booking is cancelled."))
    return redirect("equipment:booking", booking.pk)


@login_required
@require_POST
def reset_calendar(request):
    services.reset_calendar_token(request.user)
    messages.success(request, _("Your calendar address is new; the old one no longer works."))
    return redirect("equipment:my_bookings")


# --- facility managers -------------------------------------------------------------------------------


def _manager_required(request):
    if not selectors.is_manager(request.user):
        raise Http404


@login_required
def manage(request):
    _manager_required(request)
    try:
        day = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    if not date.min < day < date.max:  # the page links to the day before and after
        day = timezone.localdate()
    return render(
        request,
        "equipment/manage/dashboard.html",
        {
            "queue": selectors.approval_queue(request.user)[:100],
            "awaiting_confirmation": selectors.awaiting_confirmation(request.user)[:100],
            "awaiting_usage": selectors.awaiting_usage(request.user)[:100],
            "schedule": selectors.schedule_for_day(request.user, day),
            "training_requests": selectors.training_requests_managed_by(request.user)[:100],
            "day": day,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "instruments": selectors.live_instruments()
            .filter(institute__in=selectors.managed_institutes(request.user))
            .order_by("title")[:200],
        },
    )


@login_required
def manage_booking(request, pk):
    booking = selectors.booking_for_manager_or_404(request.user, pk)
    return render(
        request,
        "equipment/manage/booking.html",
        {
            "booking": booking,
            "transitions": booking.transitions.select_related("actor"),
            "usage_form": UsageForm(initial={"hours": booking.hours}),
            "confirm_form": ConfirmForm(),
            "reason_form": ReasonForm(),
            "reject_form": RejectForm(auto_id="reject_%s"),
            "payment": None if booking.by_internal_charge else payment_selectors.payment_box(booking, staff=True),
            **_usage_context(booking, request.user, staff=True),
        },
    )


# Labels are lazy: each request shows them in its own language.
ACTIONS = {
    "approve": (lambda b, u, f: services.approve_booking(b, actor=u), None, gettext_lazy("Approved.")),
    "reject": (
        lambda b, u, f: services.reject_booking(b, actor=u, reason=f["reason"]),
        RejectForm,
        gettext_lazy("Rejected."),
    ),
    "confirm": (
        # Money received by invoice goes through the payments app: one record of every payment.
        lambda b, u, f: payment_services.receive_invoice_payment(b, actor=u, reference=f["reference"]),
        ConfirmForm,
        gettext_lazy("Confirmed by invoice."),
    ),
    "complete": (
        lambda b, u, f: services.complete_booking(b, actor=u, hours=f["hours"], note=f["note"]),
        UsageForm,
        gettext_lazy("Usage recorded; the booking is completed."),
    ),
    "no-show": (lambda b, u, f: services.mark_no_show(b, actor=u), None, gettext_lazy("Marked as a no-show.")),
    "check-in": (lambda b, u, f: services.check_in(b, actor=u), None, gettext_lazy("Checked in.")),
    "check-out": (
        lambda b, u, f: services.check_out(b, actor=u),
        None,
        gettext_lazy("Checked out; the booking is completed with the real hours."),
    ),
    "cancel": (
        lambda b, u, f: services.cancel_booking(b, actor=u, reason=f["reason"]),
        ReasonForm,
        gettext_lazy("Cancelled."),
    ),
}


@login_required
@require_POST
def manage_action(request, pk, action):
    booking = selectors.booking_for_manager_or_404(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    run, form_class, done = ACTIONS[action]
    data = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return redirect("equipment:manage_booking", booking.pk)
        data = form.cleaned_data
    try:
        run(booking, request.user, data)
    except (ValidationError, PermissionDenied) as error:
        flash_errors(request, error)
    else:
        messages.success(request, str(done))
    next_url = request.POST.get("next", "")
    if next_url == "queue":
        return redirect("equipment:manage")
    return redirect("equipment:manage_booking", booking.pk)


@login_required
def manage_instrument(request, pk):
    instrument = selectors.instrument_for_manager_or_404(request.user, pk)
    qualification_form = QualificationForm(prefix="q")
    blackout_form = BlackoutForm(prefix="b")
    if request.method == "POST":
        if "grant" in request.POST:
            qualification_form = QualificationForm(request.POST, prefix="q")
            if qualification_form.is_valid():
                data = qualification_form.cleaned_data
                try:
                    services.grant_qualification(
                        instrument, data["user"], actor=request.user, valid_until=data["valid_until"], note=data["note"]
                    )
                except ValidationError as error:
                    apply_errors(qualification_form, error)
                else:
                    messages.success(request, _("Qualification granted."))
                    return redirect("equipment:manage_instrument", instrument.pk)
        elif "blackout" in request.POST:
            blackout_form = BlackoutForm(request.POST, prefix="b")
            if blackout_form.is_valid():
                data = blackout_form.cleaned_data
                try:
                    services.add_blackout(
                        instrument,
                        actor=request.user,
                        start=data["start"],
                        end=data["end"],
                        reason=data["reason"],
                        note=data["note"],
                    )
                except ValidationError as error:
                    apply_errors(blackout_form, error)
                else:
                    messages.success(request, _("Blackout added."))
                    return redirect("equipment:manage_instrument", instrument.pk)
    return render(
        request,
        "equipment/manage/instrument.html",
        {
            "instrument": instrument,
            "qualifications": instrument.qualifications.filter(revoked_at__isnull=True).select_related("user"),
            "blackouts": instrument.blackouts.filter(end__gt=timezone.now()),
            "qualification_form": qualification_form,
            "blackout_form": blackout_form,
            "upcoming": instrument.bookings.filter(
                status__in=CANCELLABLE_STATUSES,
                end__gt=timezone.now(),
            ).select_related("organization")[:50],
        },
        status=400 if (qualification_form.errors or blackout_form.errors) else 200,
    )


@login_required
@require_POST
def revoke_qualification(request, pk):
    qualification = get_object_or_404(Qualification.objects.select_related("instrument"), pk=pk)
    if not selectors.can_manage(request.user, qualification.instrument.institute_id):
        raise Http404
    try:
        services.revoke_qualification(qualification, actor=request.user)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("Qualification revoked."))
    return redirect("equipment:manage_instrument", qualification.instrument_id)


@login_required
@require_POST
def remove_blackout(request, pk):
    blackout = get_object_or_404(Blackout.objects.select_related("instrument"), pk=pk)
    if not selectors.can_manage(request.user, blackout.instrument.institute_id):
        raise Http404
    services.remove_blackout(blackout, actor=request.user)
    messages.success(request, _("Blackout removed."))
    return redirect("equipment:manage_instrument", blackout.instrument_id)


# --- training (services/training.py) -------------------------------------------------------------------


@login_required
def request_training(request, instrument_id):
    instrument = selectors.instrument_for_booking_or_404(instrument_id)
    enterprises = account_selectors.enterprises_of(request.user)
    if not selectors.may_request_training(request.user, instrument):
        messages.error(request, _("You cannot ask for training on this instrument now."))
        return redirect(instrument.url or "/")
    form = TrainingRequestForm(request.POST or None, enterprises=enterprises)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.request_training(
                instrument=instrument,
                user=request.user,
                enterprise=data["enterprise"],
                preferred_dates=data["preferred_dates"],
                note=data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your training request is sent to the facility."))
            return redirect("equipment:my_bookings")
    return render(
        request,
        "equipment/request_training.html",
        {"instrument": instrument, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def manage_training(request, pk):
    training = selectors.training_request_for_manager_or_404(request.user, pk)
    session_form = SlotForm(prefix="s")
    result_form = TrainingResultForm(prefix="r")
    if request.method == "POST":
        try:
            if "schedule" in request.POST:
                session_form = SlotForm(request.POST, prefix="s")
                if session_form.is_valid():
                    data = session_form.cleaned_data
                    services.schedule_training(training, actor=request.user, start=data["start"], end=data["end"])
                    messages.success(request, _("Training session scheduled; the user is told by email."))
                    return redirect("equipment:manage_training", training.pk)
            elif "result" in request.POST:
                result_form = TrainingResultForm(request.POST, prefix="r")
                if result_form.is_valid():
                    data = result_form.cleaned_data
                    services.record_training_result(
                        training,
                        actor=request.user,
                        passed=data["result"] == "passed",
                        valid_until=data["valid_until"],
                        note=data["note"],
                    )
                    messages.success(request, _("Training result recorded."))
                    return redirect("equipment:manage_training", training.pk)
        except ValidationError as error:
            apply_errors(session_form if "schedule" in request.POST else result_form, error)
    return render(
        request,
        "equipment/manage/training.html",
        {"training": training, "session_form": session_form, "result_form": result_form},
        status=400 if (session_form.errors or result_form.errors) else 200,
    )


# --- waitlist (services/waitlist.py) ------------------------------------------------------------------


@login_required
def join_waitlist(request, instrument_id):
    instrument = selectors.instrument_for_booking_or_404(instrument_id)
    if not account_selectors.enterprises_of(request.user).exists():
        messages.error(request, _("Only buyers of a registered enterprise can book instruments."))
        return redirect(instrument.url or "/")
    initial = {"date": request.GET.get("date", ""), "start_time": request.GET.get("start", "")}
    if request.GET.get("end"):
        initial["end_time"] = request.GET["end"]
    form = SlotForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.join_waitlist(
                instrument=instrument, user=request.user, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("You are on the waitlist; we email you if the slot becomes free."))
            return redirect("equipment:my_bookings")
    return render(
        request,
        "equipment/join_waitlist.html",
        {"instrument": instrument, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def leave_waitlist(request, pk):
    entry = get_object_or_404(WaitlistEntry.objects.select_related("instrument"), pk=pk, user=request.user)
    services.leave_waitlist(entry, user=request.user)
    messages.success(request, _("You left the waitlist."))
    return redirect("equipment:my_bookings")


# --- calendars -----------------------------------------------------------------------------------


def _ics(body, filename):
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def instrument_ical(request, pk):
    instrument = selectors.instrument_for_booking_or_404(pk)
    return _ics(calendars.instrument_busy_calendar(instrument), f"instrument-{instrument.pk}.ics")


def my_ical(request, token):
    token = CalendarToken.objects.select_related("user").filter(token=str(token)[:64]).first()
    if token is None or not token.user.is_active:
        raise Http404
    return _ics(calendars.user_bookings_calendar(token.user), "my-bookings.ics")
