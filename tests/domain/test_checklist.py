from pathlib import Path

import pytest

from audit.domain import checklist
from audit.domain.checklist import ChecklistError
from audit.settings import ROOT

MINIMAL = """
key = "mini"
title = "Mini"

[[sections]]
key = "greeting"
title = "Greeting"

[[sections.items]]
key = "greeted"
question = "Were you greeted?"
guidance = "A spoken hello counts; a nod does not."
type = "yesno"
points = 2
"""

CORE = ("greeting", "eye_contact", "name", "patience")


def problems_of(text: str) -> list[str]:
    with pytest.raises(ChecklistError) as caught:
        checklist.parse(text, source="bad.toml")
    assert str(caught.value).startswith("bad.toml: ")
    return caught.value.problems


def with_item(extra: str) -> str:
    return MINIMAL + "\n[[sections.items]]\n" + extra


def test_the_default_checklist_covers_the_seven_sections_and_the_core_behaviours():
    spec = checklist.load(ROOT / "checklists" / "customer-service.toml")
    assert [s.key for s in spec.sections] == [
        "greeting",
        "eye_contact",
        "name_personal",
        "listening_patience",
        "knowledge_honesty",
        "problem_handling",
        "courtesy_close",
    ]
    by_section = {s.key: [i for i in s.items if i.scored] for s in spec.sections}
    for core in ("greeting", "eye_contact", "name_personal", "listening_patience"):
        assert len(by_section[core]) >= 3, core
    assert any(i.critical for i in spec.items)
    assert any(i.allow_na for i in spec.items)
    assert {i.type for i in spec.items} == {"yesno", "scale", "choice", "number", "text", "photo"}
    assert all(i.guidance for i in spec.items)
    uses_name = spec.item("used_customer_name") or next(i for i in spec.items if "name" in i.key and i.allow_na)
    assert uses_name.allow_na


def test_the_quick_visit_checklist_is_short_and_valid():
    spec = checklist.load(ROOT / "checklists" / "quick-visit.toml")
    assert 5 <= len(spec.items) <= 8
    assert spec.key == "quick-visit"


def test_every_shipped_checklist_has_a_distinct_key():
    keys = [checklist.load(p).key for p in sorted((ROOT / "checklists").glob("*.toml"))]
    assert len(keys) == len(set(keys)) >= 2


def test_a_minimal_file_parses_with_defaults_filled_in():
    spec = checklist.parse(MINIMAL)
    item = spec.item("greeted")
    assert item is not None
    assert (item.required, item.allow_na, item.critical, item.points) == (True, False, False, 2.0)


def test_the_version_ignores_comments_and_layout():
    reformatted = "# a comment\n" + MINIMAL.replace('title = "Mini"', 'title   =   "Mini"   # same')
    assert checklist.parse(reformatted).version == checklist.parse(MINIMAL).version


def test_the_version_changes_with_the_content():
    changed = MINIMAL.replace("points = 2", "points = 3")
    assert checklist.parse(changed).version != checklist.parse(MINIMAL).version


def test_a_spec_survives_storage_as_data():
    spec = checklist.load(ROOT / "checklists" / "customer-service.toml")
    again = checklist.from_data(spec.to_data(), spec.version)
    assert again == spec
    assert checklist.content_version(again.to_data()) == spec.version


def test_it_names_the_file_when_the_toml_is_broken():
    problems = problems_of("key = ")
    assert "not valid TOML" in problems[0]


def test_it_refuses_a_duplicate_item_key_and_names_both_sections():
    text = MINIMAL + (
        '\n[[sections]]\nkey = "close"\ntitle = "Close"\n[[sections.items]]\nkey = "greeted"\n'
        'question = "Again?"\nguidance = "g"\ntype = "yesno"\npoints = 1\n'
    )
    (problem,) = problems_of(text)
    assert "section 'close', item 'greeted'" in problem
    assert "duplicate item key" in problem and "'greeting'" in problem


def test_it_refuses_an_unknown_type():
    (problem,) = problems_of(with_item('key = "x"\nquestion = "Q"\nguidance = "g"\ntype = "stars"\npoints = 1'))
    assert "item 'x'" in problem and "unknown type 'stars'" in problem


def test_it_refuses_points_on_an_unscored_type():
    (problem,) = problems_of(with_item('key = "x"\nquestion = "Q"\nguidance = "g"\ntype = "text"\npoints = 1'))
    assert "item 'x'" in problem and "points on an unscored type" in problem


def test_it_refuses_bands_that_overlap():
    item = (
        'key = "wait"\nquestion = "Q"\nguidance = "g"\ntype = "number"\npoints = 3\n'
        "bands = [{ upto = 60, points = 1 }, { upto = 30, points = 3 }, { points = 0 }]"
    )
    (problem,) = problems_of(with_item(item))
    assert "item 'wait'" in problem and "bands overlap" in problem


def test_it_refuses_a_band_after_the_catch_all():
    item = (
        'key = "wait"\nquestion = "Q"\nguidance = "g"\ntype = "number"\npoints = 3\n'
        "bands = [{ points = 3 }, { upto = 30, points = 1 }]"
    )
    assert any("can never apply" in p for p in problems_of(with_item(item)))


def test_it_refuses_a_choice_whose_best_option_is_not_the_full_points():
    item = (
        'key = "c"\nquestion = "Q"\nguidance = "g"\ntype = "choice"\npoints = 3\n'
        'options = [{ key = "a", label = "A", points = 2 }, { key = "b", label = "B", points = 0 }]'
    )
    assert any("best option" in p for p in problems_of(with_item(item)))


def test_it_refuses_scale_labels_that_do_not_fit_the_scale():
    item = 'key = "s"\nquestion = "Q"\nguidance = "g"\ntype = "scale"\npoints = 2\nmax = 5\nlabels = ["bad", "good"]'
    assert any("labels has 2 entries" in p for p in problems_of(with_item(item)))


def test_it_refuses_a_critical_unscored_item_and_unknown_fields():
    item = 'key = "t"\nquestion = "Q"\nguidance = "g"\ntype = "text"\ncritical = true\ncolour = "red"'
    problems = problems_of(with_item(item))
    assert any("only a scored item can be critical" in p for p in problems)
    assert any("unknown field 'colour'" in p for p in problems)


def test_it_reports_every_problem_at_once():
    text = with_item('key = "Bad Key"\nquestion = ""\ntype = "yesno"')
    problems = problems_of(text)
    assert len(problems) >= 4  # key format, question, guidance, points


def test_load_names_a_missing_file(tmp_path: Path):
    with pytest.raises(ChecklistError, match="cannot read the file"):
        checklist.load(tmp_path / "nope.toml")


def test_the_complete_example_in_the_docs_is_a_valid_checklist():
    docs = (ROOT / "docs" / "checklists.md").read_text()
    example = docs.split("```toml", 1)[1].split("```", 1)[0]
    spec = checklist.parse(example, source="docs/checklists.md")
    assert {i.type for i in spec.items} == {"yesno", "scale", "choice", "number", "text", "photo"}


def test_a_duplicate_key_is_found_even_when_the_item_has_other_mistakes():
    text = with_item('key = "greeted"\nquestion = "Q"\nguidance = "g"\ntype = "yesnoo"\npoints = 1')
    problems = problems_of(text)
    assert any("duplicate item key" in p for p in problems)
    assert any("unknown type 'yesnoo'" in p for p in problems)


def test_a_missing_scale_max_is_named_plainly():
    problems = problems_of(with_item('key = "s"\nquestion = "Q"\nguidance = "g"\ntype = "scale"\npoints = 2'))
    assert problems == ["section 'greeting', item 's': scale max is missing (a whole number above min, at most 10)"]


def test_bad_item_points_do_not_cascade_into_band_errors():
    item = (
        'key = "wait"\nquestion = "Q"\nguidance = "g"\ntype = "number"\npoints = -3\n'
        "bands = [{ upto = 30, points = 3 }, { points = 0 }]"
    )
    assert problems_of(with_item(item)) == ["section 'greeting', item 'wait': points must be a positive number, not -3"]


def test_a_number_answer_is_written_with_its_unit_as_a_person_would():
    seconds = checklist.Item("wait", "s", "How long?", "number", unit="seconds")
    assert [seconds.amount(v) for v in (1, 45, 2.5, 0)] == ["1 second", "45 seconds", "2.5 seconds", "0 seconds"]
    assert checklist.Item("n", "s", "How many?", "number").amount(3) == "3"
    assert checklist.Item("g", "s", "Glass?", "number", unit="glass").amount(1) == "1 glass"
