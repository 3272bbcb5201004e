from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import MAX_SEATS, MAX_UNITS, Blackout, BookingUnit


def _aware(day, t):
    return timezone.make_aware(datetime.combine(day, t), timezone.get_current_timezone())


class SlotForm(forms.Form):
    """A date with a start and an end time (a booking, a waitlist slot, a training session)."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    # A context of their own: other apps translate a bare "From" as a start *date*.
    start_time = forms.TimeField(
        label=pgettext_lazy("time of day", "From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=pgettext_lazy("time of day", "Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def clean(self):
        data = super().clean()
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        if day and start and end:
            if end <= start:
                raise forms.ValidationError(_("The end must be after the start."))
            data["start"] = _aware(day, start)
            data["end"] = _aware(day, end)
        return data


class BookingForm(SlotForm):
    field_order = ["enterprise", "date", "start_time", "end_time", "purpose", "charge_code"]
    # The organisation booked for (named `enterprise` since only enterprises booked): its kind and the
    # instrument's institute decide the tier; there is no tier field.
    enterprise = forms.ModelChoiceField(queryset=None, label=_("Book for"), empty_label=None)
    purpose = forms.CharField(
        label=_("Purpose and samples"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you want to measure or make, and the samples you bring."),
    )

    charge_code = forms.CharField(
        label=_("Project or cost-centre code"),
        required=False,
        max_length=64,
        help_text=_("Institute users: the code your institute is charged under (no card payment)."),
    )

    def __init__(self, *args, enterprises, end_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        if end_choices:
            # The ends a booking from the chosen start may have (with no choices, a plain time field).
            self.fields["end_time"].widget = forms.Select(
                choices=[(f"{end:%H:%M}", f"{end:%H:%M}") for end in end_choices]
            )
            self.fields["end_time"].help_text = _("The ends you can book from this start.")
        self.fields["enterprise"].queryset = enterprises
        choices = list(enterprises)
        self.fields["enterprise"].label_from_instance = _organization_label
        if all(org.is_enterprise for org in choices):
            # Enterprises pay by card or invoice: no code to give.
            del self.fields["charge_code"]
        self.only_enterprise = choices[0] if len(choices) == 1 else None
        if self.only_enterprise:
            # One enterprise: nothing to choose, and nothing a forged value could change.
            # Disabled: the posted value is ignored (a forged or garbled one is no error either).
            self.fields["enterprise"].widget = forms.HiddenInput()
            self.fields["enterprise"].required = False
            self.fields["enterprise"].disabled = True
            self.initial.setdefault("enterprise", self.only_enterprise.pk)

    def clean_enterprise(self):
        return self.only_enterprise or self.cleaned_data.get("enterprise")


class RangeBookingForm(BookingForm):
    """A booking of a resource that is not hourly (units.py): a first and last day (day unit, access period
    with seats) or a first day and a number of months (a lease)."""

    field_order = ["enterprise", "first_day", "last_day", "months", "seats", "purpose", "charge_code"]
    first_day = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=MAX_UNITS, initial=1)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=MAX_SEATS, initial=1)

    def __init__(self, *args, instrument, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("date", "start_time", "end_time"):
            del self.fields[name]
        unit = instrument.booking_unit
        if unit == BookingUnit.MONTH:
            del self.fields["last_day"]
            self.fields["first_day"].label = _("Lease starts on")
        else:
            del self.fields["months"]
        if unit != BookingUnit.ACCESS:
            del self.fields["seats"]
        else:
            self.fields["seats"].max_value = instrument.seats
            self.fields["seats"].help_text = _("Up to %(n)d at once.") % {"n": instrument.seats}
        self.order_fields(self.field_order)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            raise forms.ValidationError(_("The last day cannot be before the first day."))
        return data


def _organization_label(organization):
    kind = _("enterprise") if organization.is_enterprise else _("institute")
    return f"{organization.display_name} ({kind})"


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection"),
        max_length=255,
        help_text=_("The buyer sees it on the booking and in the email."),
        error_messages={"required": _("Give the reason for the rejection: the buyer is told it.")},
    )


class ConfirmForm(forms.Form):
    reference = forms.CharField(
        label=_("Invoice number"), required=False, max_length=120, help_text=_("The invoice sent to the enterprise.")
    )


class UsageForm(forms.Form):
    # The service bounds the hours by the booking (24, or a campaign's, lease's or access period's length).
    hours = forms.DecimalField(label=_("Actual hours"), min_value=0.01, decimal_places=2, max_digits=7)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class QualificationForm(forms.Form):
    email = forms.EmailField(label=_("Email of the user"))
    valid_until = forms.DateField(label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=255, help_text=_("e.g. the training given."))

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active account has this email address."))
        self.cleaned_data["user"] = user
        return email


class BlackoutForm(forms.Form):
    start = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.ChoiceField(label=_("Reason"), choices=Blackout.Reason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise forms.ValidationError(_("The end must be after the start."))
        return data


class TrainingRequestForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=None, label=_("Enterprise"), empty_label=None)
    preferred_dates = forms.CharField(
        label=_("Preferred dates"),
        required=False,
        max_length=255,
        help_text=_("e.g. weekday mornings in the next two weeks."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Your experience with similar instruments, and what you want to use it for."),
    )

    def __init__(self, *args, enterprises, end_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        if end_choices:
            # The ends a booking from the chosen start may have (with no choices, a plain time field).
            self.fields["end_time"].widget = forms.Select(
                choices=[(f"{end:%H:%M}", f"{end:%H:%M}") for end in end_choices]
            )
            self.fields["end_time"].help_text = _("The ends you can book from this start.")
        self.fields["enterprise"].queryset = enterprises
        choices = list(enterprises)
        self.only_enterprise = choices[0] if len(choices) == 1 else None
        if self.only_enterprise:
            self.fields["enterprise"].widget = forms.HiddenInput()
            self.fields["enterprise"].required = False
            self.fields["enterprise"].disabled = True
            self.initial.setdefault("enterprise", self.only_enterprise.pk)

    def clean_enterprise(self):
        return self.only_enterprise or self.cleaned_data.get("enterprise")


class TrainingResultForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"), choices=[("passed", _("Passed")), ("failed", _("Failed"))], widget=forms.RadioSelect
    )
    valid_until = forms.DateField(
        label=_("Qualified until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For a pass; a year from today when empty."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
