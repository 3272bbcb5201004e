"""Formatting of the statistics: money in CNY, hours and percentages."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from marketplace.core.money import format_money

register = template.Library()


@register.filter
def cny(value):
    return format_money(value if value is not None else Decimal("0"), "CNY")


@register.filter
def hours(value):
    return number_format(Decimal(value or 0).quantize(Decimal("0.1")), decimal_pos=1, force_grouping=True)


@register.filter
def percent(value):
    """A ratio as a percentage with one decimal; a dash when there is nothing to divide by."""
    if value is None:
        return "–"
    return f"{number_format((Decimal(value) * 100).quantize(Decimal('0.1')), decimal_pos=1)} %"
