import re
from itertools import pairwise

import pytest

from audit import charts
from audit.charts import HeatRow, Point, heatmap_pages, line_chart


def test_a_chart_has_a_title_a_description_and_one_dot_per_value():
    svg = str(line_chart([Point("Jan", 50.0), Point("Feb", None), Point("Mar", 75.0)], "T", "D", "c"))
    assert svg.startswith("<svg") and '<title id="c-t">T</title>' in svg and '<desc id="c-d">D</desc>' in svg
    assert svg.count("<circle") == 2
    assert "<polyline" not in svg  # the gap in February splits the line into single points


def test_chart_text_is_escaped():
    svg = str(line_chart([Point("<img src=x>", 10.0)], "<b>", "&", "c"))
    assert "<img" not in svg and "&lt;img src=x&gt;" in svg and "&lt;b&gt;" in svg


def test_values_are_clamped_and_an_empty_chart_says_so():
    assert "No audits" in str(line_chart([Point("a", None)], "t", "d"))
    svg = str(line_chart([Point("a", 150.0), Point("b", -5.0)], "t", "d"))
    assert 'cy="16.0"' in svg and 'cy="200.0"' in svg  # top and bottom of the plot


def heat_rows(stores: list[str], items: int = 35, sections: int = 7) -> list[HeatRow]:
    return [
        HeatRow(
            f"Section {n * sections // items}",
            f"Behaviour {n} " + "with a long question " * (n % 4),
            {s: n % 101 for s in stores},
        )
        for n in range(items)
    ]


def test_the_heatmap_is_cut_into_even_groups_of_stores_and_pages_that_fit():
    stores = [f"NTH-{n:03}" for n in range(50)]
    pages = heatmap_pages(stores, heat_rows(stores), 273, 154, "#0b5cad")
    groups = {tuple(p.columns) for p in pages}
    assert sorted(len(g) for g in groups) == [16, 17, 17] and sum(len(g) for g in groups) == 50
    for page in pages:
        height = charts.HEAD + sum(line.height for line in page.lines)
        assert height <= 154 * charts.PT_PER_MM and f"height:{height:.2f}pt" in page.style
        assert not page.lines[-1].section  # a section's title is never alone at the foot of a page
        for line in page.lines:
            assert all(charts.text_width(part, charts.FONT_PT) <= charts.LABEL_WIDTH - 8 for part in line.label)
    heights = [sum(line.height for line in p.lines) for p in pages if p.part == 1]
    assert len(heights) == 2 and min(heights) > 0.7 * max(heights)  # evenly filled, no near-empty page


def test_heatmap_figures_stand_in_digit_wide_columns_and_text_is_escaped():
    (page,) = heatmap_pages(
        ["A<1", "B"], [HeatRow("S", "<b>Greets?</b>", {"A<1": 50.0, "B": None})], 273, 154, "#123456"
    )
    (section, row) = page.lines
    assert section.section and section.label == ["S"]
    cells = "".join(text for text, _ in row.runs)
    width = len(cells) // 2
    assert [cells[:width].strip("\u2007"), cells[width:].strip("\u2007")] == ["50", "\u2012"]
    assert row.runs[0][1] is True and row.runs[1][1] is False  # 50 % or more is on a dark cell
    assert "#123456" in page.background and "<b>" not in page.background


def test_a_region_without_stores_or_behaviours_has_no_heatmap_pages():
    assert heatmap_pages([], heat_rows([]), 273, 154, "#0b5cad") == []
    assert heatmap_pages(["NTH-001"], [], 273, 154, "#0b5cad") == []


def _labels(svg: str) -> list[tuple[float, str]]:
    import re

    return [(float(x), text) for x, text in re.findall(r'<text class="xlabel" x="([\d.]+)"[^>]*>([^<]*)</text>', svg)]


def _by_date(first, last, every_days: int) -> list[Point]:
    from datetime import timedelta

    days = (last - first).days
    return [Point(str(n), 50.0 + n % 40, first + timedelta(days=n)) for n in range(0, days + 1, every_days)]


@pytest.mark.parametrize(("months", "every"), [(1, 1), (3, 1), (12, 2), (12, 20), (24, 3), (24, 45), (120, 30)])
def test_time_axis_labels_never_overlap_and_months_read_jan_2026(months, every):
    from datetime import date, timedelta

    last = date(2026, 12, 31)
    first = last - timedelta(days=30 * months)
    svg = str(line_chart(_by_date(first, last, every), "t", "d", span=(first, last)))
    labels = _labels(svg)
    assert 2 <= len(labels) <= 9
    xs = [x for x, _ in labels]
    assert all(b - a >= charts.LABEL_GAP - 0.5 for a, b in pairwise(xs))  # never closer than a label
    if months >= 3:
        assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", text) for _, text in labels), labels


def test_points_stand_at_their_dates_not_evenly():
    from datetime import date

    first, last = date(2026, 1, 1), date(2026, 12, 31)
    points = [Point("a", 50.0, date(2026, 1, 1)), Point("b", 60.0, date(2026, 1, 2)), Point("c", 70.0, last)]
    xs = [
        float(x)
        for x in re.findall(r'<circle class="dot" cx="([\d.]+)"', str(line_chart(points, "t", "d", span=(first, last))))
    ]
    assert xs[1] - xs[0] < 5 and xs[2] - xs[1] > 500  # two visits a day apart sit together, December far away


def test_evenly_spaced_labels_are_thinned_to_fit():
    svg = str(line_chart([Point(f"{n:02d} Nov", 50.0) for n in range(40)], "t", "d"))
    xs = [x for x, _ in _labels(svg)]
    assert len(xs) <= 8 and all(b - a >= charts.LABEL_GAP - 0.5 for a, b in pairwise(xs))
