from decimal import Decimal

from marketplace.statistics.charts import bar_chart, line_chart


def test_bar_lengths_are_proportional_to_values():
    svg = str(bar_chart([("a", 10), ("b", Decimal("5")), ("c", 0)], title="T"))
    assert svg.count('class="bar"') == 3
    assert 'width="370.0"' in svg and 'width="185.0"' in svg and 'width="0.0"' in svg
    assert "<title>T</title>" in svg


def test_labels_are_escaped():
    svg = str(bar_chart([("<script>", 1)], title="<b>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "&lt;b&gt;" in svg


def test_an_empty_or_all_zero_chart_still_renders():
    assert 'role="img"' in str(bar_chart([], title="empty"))
    svg = str(line_chart([("2025-01", 0), ("2025-02", 0)], title="flat"))
    assert 'class="line"' in svg


def test_line_points_rise_with_values():
    svg = str(line_chart([("Jan", 0), ("Feb", 10)], title="up"))
    # First point on the axis (y = 188), last at the top of the plot (y = 32).
    assert 'points="32.0,188.0 608.0,32.0"' in svg


def test_a_chart_has_a_visible_title_with_its_unit_and_a_text_alternative():
    svg = str(bar_chart([("Licence", Decimal("1200000")), ("Assignment", 5)], title="Contract value", unit="CNY"))
    assert "<figcaption" in svg and "Contract value (CNY)</figcaption>" in svg
    # The accessible name is the caption; the description lists every value.
    caption_id = svg.split('<figcaption id="', 1)[1].split('"', 1)[0]
    assert f'aria-labelledby="{caption_id} ' in svg
    assert "<desc" in svg and "Licence: 1,200,000; Assignment: 5</desc>" in svg


def test_a_line_chart_names_its_unit_on_the_value_axis_and_formats_money():
    from marketplace.core.money import format_money

    svg = str(
        line_chart(
            [("2025-01", Decimal("0")), ("2025-02", Decimal("-1500.5")), ("2025-03", Decimal("2500000"))],
            title="Contract value per month",
            unit="CNY",
            value_format=format_money,
        )
    )
    assert "¥2,500,000.00 CNY</text>" in svg  # the highest value, with the unit, at the top of the axis
    assert ">0</text>" in svg
    assert "2025-02: −¥1,500.50" in svg  # negative amounts read with a minus sign before the symbol
