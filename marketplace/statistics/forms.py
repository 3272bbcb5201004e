"""The period and institute chooser of the dashboard and the exports."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .periods import Period

MAX_PERIOD_DAYS = 5 * 366


class PeriodForm(forms.Form):
    institute = forms.CharField(label=_("Institute"), required=False)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if bool(date_from) != bool(date_to):
            raise forms.ValidationError(_("Choose both a first and a last day, or a year."))
        if date_from and date_to and date_to < date_from:
            raise forms.ValidationError(_("The last day cannot be before the first day."))
        if date_from and date_to and (date_to - date_from).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("Choose a period of at most five years."))
        return data

    def period(self) -> Period:
        """The chosen period; the current year when nothing (valid) was chosen."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("date_from") and data.get("date_to"):
            return Period.between(data["date_from"], data["date_to"])
        return Period.year(data.get("year") or timezone.localdate().year)

    def institute_param(self):
        return (self.data.get("institute") or "").strip()


def year_choices(today: dt.date | None = None):
    year = (today or timezone.localdate()).year
    return list(range(year, year - 6, -1))
