from decimal import Decimal

import pytest
from django.utils import translation

from marketplace.core.money import format_money, quantize


def test_quantize_rounds_half_up_once():
    assert quantize(Decimal("1.005")) == Decimal("1.01")
    assert quantize(Decimal("1.004")) == Decimal("1.00")
    assert quantize("2") == Decimal("2.00")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        quantize(1.1)


def test_cny_is_the_default_currency_display():
    with translation.override("en"):
        assert format_money(Decimal("1234.5")) == "¥1,234.50"
        assert format_money(Decimal("10"), "USD") == "$10.00"
        assert format_money(Decimal("10"), "JPY") == "10.00 JPY"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    "amount, currency, expected",
    [
        (Decimal("6200000"), "CNY", "¥6,200,000.00"),
        (Decimal("-1052327.64"), "CNY", "\u2212¥1,052,327.64"),
        (Decimal("999.995"), "CNY", "¥1,000.00"),
        (Decimal("0"), "CNY", "¥0.00"),
        (Decimal("-0.004"), "CNY", "¥0.00"),  # rounds to zero: no "minus zero"
        (Decimal("-12345.6"), "JPY", "\u221212,345.60 JPY"),
        (Decimal("1234567.891"), "USD", "$1,234,567.89"),
    ],
)
def test_amounts_are_grouped_and_signed_the_same_way_in_both_languages(language, amount, currency, expected):
    with translation.override(language):
        assert format_money(amount, currency) == expected


def test_no_amount_shows_nothing():
    assert format_money(None) == ""
    assert format_money("") == ""
