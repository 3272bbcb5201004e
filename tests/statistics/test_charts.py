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
