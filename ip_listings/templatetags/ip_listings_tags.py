"""Labels for the codes stored in frozen agreement terms and emails, in the current language; the
sections other apps' pages show."""

from django import template
from django.utils.translation import get_language

from ip_listings import selectors
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


# The sections other apps' pages show only hand over what `ip_listings.selectors` prepares (no query
# here): once the platform's registry of home sections and dashboard links lands, it calls those
# selectors and these tags can go.


@register.simple_tag
def institute_results(organization, limit=6):
    """The latest live results of an institute, with their available offers (for the institute page)."""
    return selectors.institute_results(organization, limit)


@register.simple_tag
def latest_results(limit=6):
    return selectors.home_results(limit)


@register.simple_tag(takes_context=True)
def ip_roles(context):
    """{'buyer': bool, 'tto': bool} for the signed-in user (dashboard links)."""
    return selectors.roles_of(context.get("user"))
