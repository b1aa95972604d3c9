import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


# Limits ------------------------------------------------------------------------------------------


def toml_of(data: dict[str, Any]) -> str:
    """A checklist as TOML text, from plain data (JSON strings and numbers are TOML's too)."""

    def value(v: Any) -> str:
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)

    def table(d: dict[str, Any]) -> list[str]:
        return [f"{k} = {value(v)}" for k, v in d.items() if k not in ("sections", "items")]

    lines = table(data)
    for section in data["sections"]:
        lines += ["", "[[sections]]", *table(section)]
        for item in section["items"]:
            lines += ["[[sections.items]]", *table(item)]
    return "\n".join(lines) + "\n"


def yesno(key: str) -> dict[str, Any]:
    return {"key": key, "question": "Did they?", "guidance": "g", "type": "yesno", "points": 1}


def at_the_limits() -> dict[str, Any]:
    """A checklist exactly at every limit: 40 sections, 300 items, 100 in its first section,
    20 options, 20 bands, every text and key at its longest."""
    first = [
        {
            "key": "i" * checklist.MAX_KEY,
            "question": "Q" * checklist.MAX_QUESTION,
            "guidance": "G" * checklist.MAX_GUIDANCE,
            "type": "yesno",
            "points": 1,
        },
        {
            "key": "choice",
            "question": "Which?",
            "guidance": "g",
            "type": "choice",
            "points": 3,
            "options": [{"key": "o" * checklist.MAX_KEY, "label": "L" * checklist.MAX_LABEL, "points": 3}]
            + [{"key": f"o{n}", "label": f"Option {n}", "points": 0} for n in range(2, checklist.MAX_OPTIONS + 1)],
        },
        {
            "key": "wait",
            "question": "How long?",
            "guidance": "g",
            "type": "number",
            "unit": "U" * checklist.MAX_UNIT,
            "points": 3,
            "bands": [{"upto": 1, "points": 3}]
            + [{"upto": n, "points": 0} for n in range(2, checklist.MAX_BANDS)]
            + [{"points": 0}],
        },
        {
            "key": "tone",
            "question": "Tone?",
            "guidance": "g",
            "type": "scale",
            "points": 2,
            "max": 5,
            "labels": ["S" * checklist.MAX_LABEL, "b", "c", "d", "e"],
        },
    ]
    first += [yesno(f"a{n}") for n in range(len(first), checklist.MAX_SECTION_ITEMS)]
    sections = [
        {
            "key": "s" * checklist.MAX_KEY,
            "title": "T" * checklist.MAX_TITLE,
            "description": "D" * checklist.MAX_DESCRIPTION,
            "items": first,
        }
    ]
    left = checklist.MAX_ITEMS - checklist.MAX_SECTION_ITEMS
    for n in range(2, checklist.MAX_SECTIONS + 1):
        count = left // (checklist.MAX_SECTIONS - n + 1)
        sections.append({"key": f"s{n}", "title": f"Section {n}", "items": [yesno(f"s{n}_{m}") for m in range(count)]})
        left -= count
    return {
        "key": "k" * checklist.MAX_KEY,
        "title": "T" * checklist.MAX_TITLE,
        "description": "D" * checklist.MAX_DESCRIPTION,
        "sections": sections,
    }


def test_a_checklist_exactly_at_every_limit_is_accepted():
    data = at_the_limits()
    spec = checklist.parse(toml_of(data))
    assert len(spec.sections) == checklist.MAX_SECTIONS
    assert len(spec.items) == checklist.MAX_ITEMS
    assert max(len(s.items) for s in spec.sections) == checklist.MAX_SECTION_ITEMS
    assert len(spec.item("choice").options) == checklist.MAX_OPTIONS
    assert len(spec.item("wait").bands) == checklist.MAX_BANDS
    assert spec.item("i" * checklist.MAX_KEY).guidance == "G" * checklist.MAX_GUIDANCE


def _first(data: dict[str, Any]) -> dict[str, Any]:
    return data["sections"][0]


def _item(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(i for s in data["sections"] for i in s["items"] if i["key"] == key)


def _one_more_section(data: dict[str, Any]) -> None:
    data["sections"][-1]["items"].pop()  # keeps the items at their limit
    data["sections"].append({"key": "extra", "title": "Extra", "items": [yesno("extra_1")]})


def _one_more_item(data: dict[str, Any]) -> None:
    data["sections"][-1]["items"].append(yesno("extra_1"))


def _one_more_item_in_a_section(data: dict[str, Any]) -> None:
    data["sections"][-1]["items"].pop()  # keeps the checklist's items at their limit
    _first(data)["items"].append(yesno("extra_1"))


def _one_more_option(data: dict[str, Any]) -> None:
    _item(data, "choice")["options"].append({"key": "extra", "label": "Extra", "points": 0})


def _one_more_band(data: dict[str, Any]) -> None:
    _item(data, "wait")["bands"].insert(-1, {"upto": 100, "points": 0})


def _longer(path: str, limit: int) -> Callable[[dict[str, Any]], None]:
    """Makes the text at `path` (in the checklist, its first section or first item, an option
    or a scale label) one character longer than `limit`."""

    def change(data: dict[str, Any]) -> None:
        where, _, name = path.rpartition(".")
        target = {
            "": data,
            "section": _first(data),
            "item": _first(data)["items"][0],
            "option": _item(data, "choice")["options"][0],
            "number": _item(data, "wait"),
        }.get(where)
        if where == "scale":
            _item(data, "tone")["labels"][0] = "S" * (limit + 1)
            return
        letter = "a" if name == "key" else "X"
        target[name] = letter * (limit + 1)

    return change


OVER_THE_LIMITS = [
    ("sections", _one_more_section, "checklist: has 41 sections; the limit is 40 sections in a checklist"),
    ("items", _one_more_item, "checklist: has 301 items; the limit is 300 items in a checklist"),
    ("section items", _one_more_item_in_a_section, "has 101 items; the limit is 100 items in a section"),
    ("options", _one_more_option, "item 'choice': has 21 options; the limit is 20 options in a choice item"),
    ("bands", _one_more_band, "item 'wait': has 21 bands; the limit is 20 bands in a number item"),
    ("checklist key", _longer("key", 64), "checklist: key is 65 characters long; the limit is 64"),
    ("title", _longer("title", 120), "checklist: title is 121 characters long; the limit is 120"),
    ("description", _longer("description", 1000), "checklist: description is 1001 characters long; the limit is 1000"),
    ("section key", _longer("section.key", 64), "key is 65 characters long; the limit is 64"),
    ("section title", _longer("section.title", 120), "title is 121 characters long; the limit is 120"),
    ("section description", _longer("section.description", 1000), "description is 1001 characters long"),
    ("item key", _longer("item.key", 64), "key is 65 characters long; the limit is 64"),
    ("question", _longer("item.question", 300), "question is 301 characters long; the limit is 300"),
    ("guidance", _longer("item.guidance", 1000), "guidance is 1001 characters long; the limit is 1000"),
    ("option key", _longer("option.key", 64), "key is 65 characters long; the limit is 64"),
    ("option label", _longer("option.label", 120), "label is 121 characters long; the limit is 120"),
    ("scale label", _longer("scale.labels", 120), "item 'tone': label 1 is 121 characters long; the limit is 120"),
    ("unit", _longer("number.unit", 30), "item 'wait': unit is 31 characters long; the limit is 30"),
]


@pytest.mark.parametrize(("limit", "change", "message"), OVER_THE_LIMITS, ids=[c[0] for c in OVER_THE_LIMITS])
def test_a_checklist_over_a_limit_is_refused_naming_the_limit(limit, change, message):
    data = at_the_limits()
    change(data)
    problems = problems_of(toml_of(data))
    assert len(problems) == 1, problems
    assert message in problems[0]


def test_a_breach_is_reported_where_it_is_like_every_other_mistake():
    data = at_the_limits()
    _first(data)["items"][1]["options"][0]["label"] = "X" * 121
    data["sections"][3]["items"][0]["question"] = "Q" * 301
    problems = problems_of(toml_of(data))
    assert problems == [
        f"section '{'s' * 64}', item 'choice': option '{'o' * 64}': label is 121 characters long; the limit is 120",
        "section 's4', item 's4_0': question is 301 characters long; the limit is 300",
    ]


def test_a_very_long_key_is_cut_short_where_messages_repeat_it():
    data = at_the_limits()
    _first(data)["key"] = "s" * 5000
    for item in _first(data)["items"]:
        item.pop("guidance")
    problems = problems_of(toml_of(data))
    assert problems[0].startswith(f"section '{'s' * 64}'…: key is 5000 characters long; the limit is 64")
    assert all(len(p) < 300 for p in problems)


def test_a_file_with_very_many_problems_lists_the_first_hundred_and_counts_the_rest():
    data = at_the_limits()
    for section in data["sections"]:
        for item in section["items"]:
            item.pop("guidance")
    problems = problems_of(toml_of(data))
    assert len(problems) == checklist.MAX_PROBLEMS + 1
    assert problems[-1] == "and 200 more problem(s) not listed; fix these and check again"


def test_sixteen_thousand_items_are_refused_with_the_limits_first():
    data = at_the_limits()
    data["sections"][0]["items"] += [yesno(f"more_{n}") for n in range(16_000 - checklist.MAX_ITEMS)]
    problems = problems_of(toml_of(data))
    assert problems == [
        "checklist: has 16000 items; the limit is 300 items in a checklist",
        f"section '{'s' * 64}': has 15800 items; the limit is 100 items in a section",
    ]


def test_the_limits_are_documented_with_their_numbers():
    docs = (ROOT / "docs" / "checklists.md").read_text()
    limits = docs.split("## Limits", 1)[1].split("\n## ", 1)[0]
    for name in (
        "MAX_SECTIONS", "MAX_ITEMS", "MAX_SECTION_ITEMS", "MAX_OPTIONS", "MAX_BANDS", "MAX_KEY", "MAX_TITLE",
        "MAX_DESCRIPTION", "MAX_QUESTION", "MAX_GUIDANCE", "MAX_LABEL", "MAX_UNIT", "MAX_PROBLEMS",
    ):  # fmt: skip
        assert f"| {getattr(checklist, name):,} |" in limits, name


def test_the_plan_threshold_defaults_to_70_and_leaves_existing_versions_alone():
    plain = checklist.parse(MINIMAL, source="mini.toml")
    assert plain.plan_threshold == checklist.PLAN_THRESHOLD == 70.0
    assert "plan_threshold" not in plain.to_data()  # the version of a file without it is what it was
    stricter = checklist.parse(MINIMAL.replace('title = "Mini"', 'title = "Mini"\nplan_threshold = 80', 1), "m.toml")
    assert stricter.plan_threshold == 80.0 and stricter.version != plain.version
    assert checklist.from_data(stricter.to_data(), stricter.version).plan_threshold == 80.0


@pytest.mark.parametrize("value", ["101", "-1", '"high"', "true"])
def test_a_plan_threshold_outside_0_to_100_is_a_mistake(value):
    problems = problems_of(MINIMAL.replace('title = "Mini"', f'title = "Mini"\nplan_threshold = {value}', 1))
    assert problems == ["checklist: plan_threshold must be a score from 0 to 100 (the default is 70)"]
