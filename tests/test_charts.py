from audit.charts import Point, line_chart


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
