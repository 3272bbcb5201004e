from decimal import Decimal

import pytest
from django.utils import translation

from marketplace.core.money import format_money, from_minor_units, quantize, to_minor_units


def test_quantize_rounds_half_up_once():
    assert quantize(Decimal("1.005")) == Decimal("1.01")
    assert quantize(Decimal("1.004")) == Decimal("1.00")
    assert quantize("2") == Decimal("2.00")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        quantize(1.1)


def test_minor_units_round_trip():
    assert to_minor_units(Decimal("1234.56")) == 123456
    assert from_minor_units(123456) == Decimal("1234.56")


def test_cny_is_the_default_currency_display():
    with translation.override("en"):
        assert format_money(Decimal("1234.5")) == "¥1,234.50"
        assert format_money(Decimal("10"), "USD") == "$10.00"
        assert format_money(Decimal("10"), "JPY") == "10.00 JPY"
