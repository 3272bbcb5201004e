from django import template

from marketplace.core.money import format_money

register = template.Library()


@register.filter(name="money")
def money_filter(amount, currency=None):
    """{{ amount|money }} or {{ amount|money:obj.currency }}"""
    return format_money(amount, currency)
