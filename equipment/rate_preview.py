"""The hourly-rate preview in the instrument editor's "Cost and rates" tab.

The panel shows the rate and its breakdown for the values in the form, before they are published: on
load from the page as saved, then, as the manager types, from the form's values posted to
`rate_preview` (computed, never saved). The arithmetic is `rates.compute_hourly_rate`, the same that
prices bookings.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from wagtail.permissions import page_permission_policy

from .models import InstrumentPage
from .rates import COST_FIELDS, compute_hourly_rate, cost_model_errors, tier_rates

FIELDS = [
    *COST_FIELDS,
    "currency",
    "service_life_years",
    "planned_hours_per_year",
    "booking_mode",
    "internal_subsidy_percent",
    "academic_subsidy_percent",
    "enterprise_subsidy_percent",
]
TEMPLATE = "equipment/admin/rate_preview.html"


def preview_from(data):
    """An unsaved instrument with the cost fields of `data` (form values, as strings), and the errors of
    the values that are not numbers or choices the field accepts."""
    instrument = InstrumentPage()
    errors = {}
    for name in FIELDS:
        field = InstrumentPage._meta.get_field(name)
        raw = data.get(name, "")
        try:
            value = field.formfield().clean(raw) if raw not in ("", None) else None
        except ValidationError as error:
            errors[name] = error.messages[0]
            continue
        if value is None and field.choices:
            value = field.get_default()
        setattr(instrument, name, value)
    return instrument, errors


def context_for(instrument, errors=None):
    errors = dict(errors or {})
    for name, message in cost_model_errors(instrument).items():
        if name in FIELDS:
            errors.setdefault(name, message)
    labels = [(InstrumentPage._meta.get_field(name).verbose_name, message) for name, message in errors.items()]
    context = {"errors": labels}
    if not errors:
        context.update(breakdown=compute_hourly_rate(instrument), tiers=tier_rates(instrument))
    return context


def instrument_for(instance):
    """The page being edited, or a blank instrument (a new page's defaults)."""
    return instance if isinstance(instance, InstrumentPage) else InstrumentPage()


def render_preview(instrument, errors=None):
    return render_to_string(TEMPLATE, context_for(instrument, errors))


@require_POST
def rate_preview(request):
    """The preview for the posted cost fields (an admin URL: signed-in admin users only; of those, people
    who may add or edit pages). Computes, never saves."""
    if not page_permission_policy.user_has_any_permission(request.user, ["add", "change"]):
        raise PermissionDenied
    instrument, errors = preview_from(request.POST)
    return HttpResponse(render_preview(instrument, errors))
