"""Money is a Decimal with two places plus a currency code; never a float."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$"}
CURRENCY_CHOICES = [
    ("CNY", _("Chinese yuan (CNY)")),
    ("USD", _("US dollar (USD)")),
    ("EUR", _("Euro (EUR)")),
    ("HKD", _("Hong Kong dollar (HKD)")),
]


def quantize(value) -> Decimal:
    """Round a Decimal (or int/str) once, half up, to two places."""
    if isinstance(value, float):
        raise TypeError("Money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# The minus sign (U+2212): it reads as a minus, not a hyphen, in both languages.
MINUS = "\u2212"


def format_money(amount, currency=None) -> str:
    """An amount as people read it in both languages: thousands grouped by commas (as Chinese invoices and
    statements also write them: ¥6,200,000.00), two decimal places, the sign before the currency symbol
    (−¥1,052.60), or the code after the number for a currency without a symbol (−10.00 JPY)."""
    currency = currency or settings.DEFAULT_CURRENCY
    if amount is None or amount == "":
        return ""
    amount = quantize(amount)
    sign = MINUS if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


class MoneyField(models.DecimalField):
    """A DecimalField with the project's money precision."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


def CurrencyField(**kwargs):  # noqa: N802 - reads like a field class
    kwargs.setdefault("max_length", 3)
    kwargs.setdefault("choices", CURRENCY_CHOICES)
    kwargs.setdefault("default", "CNY")
    kwargs.setdefault("verbose_name", _("currency"))
    return models.CharField(**kwargs)
