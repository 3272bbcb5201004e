"""Forms of the buyer and TTO pages. They parse input; the rules live in services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import DealMode, InquiryStage, TechnologyField, Territory


class AcceptOfferForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=None, label=_("Licensee (your enterprise)"), empty_label=None)
    accept_terms = forms.BooleanField(
        label=_("I have read the standard terms and accept them on behalf of the enterprise."), required=False
    )

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises


class InquiryForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=None, label=_("On behalf of"), empty_label=None)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Move to"), choices=InquiryStage.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class RecordAgreementForm(forms.Form):
    mode = forms.ChoiceField(label=_("Transfer mode"), choices=DealMode.choices)
    field_of_use = forms.ModelChoiceField(
        queryset=TechnologyField.objects.all(),
        label=_("Field of use"),
        required=False,
        empty_label=_("All fields of use"),
    )
    territory = forms.ChoiceField(label=_("Territory"), choices=Territory.choices)
    value = forms.DecimalField(label=_("Contract value (CNY)"), max_digits=14, decimal_places=2)
    upfront_fee = forms.DecimalField(
        label=_("Upfront fee (CNY)"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("Leave empty when it equals the contract value."),
    )
    royalty_percent = forms.DecimalField(
        label=_("Royalty (% of net sales)"), max_digits=5, decimal_places=2, required=False
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}))
    term_months = forms.IntegerField(label=_("Term (months)"), required=False)
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    milestones = forms.CharField(label=_("Milestones"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, offer=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("starts_on", timezone.localdate())
        if offer is not None:
            initial.setdefault("mode", offer.mode)
            initial.setdefault("field_of_use", offer.field_of_use_id)
            initial.setdefault("territory", offer.territory)
            initial.setdefault("value", offer.upfront_fee)
            initial.setdefault("royalty_percent", offer.royalty_percent)
            initial.setdefault("term_months", offer.term_months)
            initial.setdefault("milestones", offer.milestones)
        super().__init__(*args, **kwargs)


def _quarter_choices():
    today = timezone.localdate()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    choices = []
    for _i in range(8):
        choices.append((f"{year}-{quarter}", f"{year} Q{quarter}"))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return choices


class ImpactReportForm(forms.Form):
    period = forms.ChoiceField(label=_("Quarter"), choices=_quarter_choices)
    jobs_created = forms.IntegerField(label=_("Jobs created"), min_value=0, initial=0)
    revenue = forms.DecimalField(
        label=_("Revenue from the licensed technology (CNY)"), max_digits=14, decimal_places=2, initial=0
    )
    products_launched = forms.IntegerField(label=_("Products launched"), min_value=0, initial=0)
    company_founded = forms.BooleanField(label=_("A company was founded on this technology"), required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)

    def clean_period(self):
        year, quarter = self.cleaned_data["period"].split("-")
        return int(year), int(quarter)


class ConfirmPaymentForm(forms.Form):
    reference = forms.CharField(label=_("Invoice or transfer reference"), max_length=120, required=False)
