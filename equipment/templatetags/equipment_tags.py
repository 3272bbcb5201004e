"""Template tags other pages use to show instruments (home page, institute pages, account page)."""

from django import template

from equipment import selectors

register = template.Library()


@register.simple_tag
def instruments_of(organization, limit=12):
    """Live instruments of one institute, cheapest first."""
    if organization is None:
        return []
    return list(
        selectors.live_instruments()
        .filter(institute=organization)
        .select_related("institute", "category", "main_photo")
        .order_by("enterprise_rate")[:limit]
    )


@register.simple_tag
def featured_instruments(limit=6):
    """A few recently published instruments for the home page."""
    return list(
        selectors.live_instruments()
        .select_related("institute", "category", "main_photo")
        .order_by("-first_published_at")[:limit]
    )


@register.simple_tag
def manages_instruments(user):
    return selectors.is_manager(user)
