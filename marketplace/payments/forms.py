from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .gateway import stripe_enabled
from .models import Provider


class ProviderForm(forms.Form):
    provider = forms.ChoiceField(label=_("How will you pay?"), widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the label is a question: no colon after its question mark
        super().__init__(*args, **kwargs)
        choices = [(Provider.INVOICE.value, _("By invoice (bank transfer from your enterprise's account)"))]
        if stripe_enabled():
            choices.insert(0, (Provider.STRIPE.value, _("Now, by card (or Alipay / WeChat Pay where offered)")))
        self.fields["provider"].choices = choices
        self.fields["provider"].initial = choices[0][0]


class MarkPaidForm(forms.Form):
    reference = forms.CharField(
        label=_("Bank reference"),
        max_length=120,
        required=False,
        help_text=_("The reference of the incoming bank transfer, for the records."),
    )


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    # Statements cover the platform's years; a date far outside them is a typing error (and year 1 or 9999
    # has no day before or after to compute a period with).
    FIRST, LAST = date(2000, 1, 1), date(2100, 12, 31)

    def _within(self, name):
        value = self.cleaned_data.get(name)
        if value and not self.FIRST <= value <= self.LAST:
            raise forms.ValidationError(
                _("Choose a date between %(first)s and %(last)s."), params={"first": self.FIRST, "last": self.LAST}
            )
        return value

    def clean_start(self):
        return self._within("start")

    def clean_end(self):
        return self._within("end")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The end must not be before the start."))
        return cleaned

    def period(self):
        """(start inclusive, end exclusive); the current month by default."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        start = data.get("start") or _first_of_month(today)
        end = data.get("end") or today
        return start, end + timedelta(days=1)
