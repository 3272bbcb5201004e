"""Template tags of the sections other apps' pages show (home page, institute pages, account page).

They only hand over what `equipment.selectors` prepares (no query here): once the platform's registry of
home sections and dashboard links lands, it calls those selectors and these tags can go."""

from django import template

from equipment import selectors

register = template.Library()


@register.simple_tag
def instruments_of(organization, limit=12):
    """Live instruments of one institute, cheapest first."""
    return selectors.instruments_of(organization, limit)


@register.simple_tag
def featured_instruments(limit=6):
    """A few recently published instruments for the home page."""
    return selectors.featured_instruments(limit)


@register.simple_tag
def manages_instruments(user):
    return selectors.is_manager(user)
