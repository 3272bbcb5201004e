"""Labels for the codes stored in frozen agreement terms and emails, in the current language."""

from django import template
from django.utils.translation import get_language

from ip_listings.models import DealMode, InquiryStage, IPKind, RegistrationStatus, Territory

register = template.Library()


def _label(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return value


@register.filter
def deal_mode(value):
    return _label(DealMode, value)


@register.filter
def territory(value):
    return _label(Territory, value)


@register.filter
def ip_kind(value):
    return _label(IPKind, value)


@register.filter
def inquiry_stage(value):
    return _label(InquiryStage, value)


@register.filter
def registration_status(value):
    return _label(RegistrationStatus, value)


@register.filter
def bilingual(data, key):
    """data[key + "_en"] in English when it is set, else data[key] (for frozen snapshots)."""
    if not isinstance(data, dict):
        return ""
    if (get_language() or "").startswith("en") and data.get(f"{key}_en"):
        return data[f"{key}_en"]
    return data.get(key, "")
