from audit.domain import answers as answers_module
from audit.domain.answers import Answer
from tests.domain.test_scoring import SPEC


def errors(**values) -> dict[str, str]:
    base = {"greeted": "yes", "wait": 10, "tone": 5, "name": "yes", "resolution": "spot", "respect": "yes"}
    base.update(values)
    given = {k: Answer(v) for k, v in base.items() if v is not None}
    return {e.item: e.message for e in answers_module.check(SPEC, given)}


def test_complete_valid_answers_have_no_errors():
    assert errors() == {}


def test_it_names_an_unknown_item():
    assert errors(smiled="yes") == {"smiled": "no such item in this checklist version"}


def test_it_names_a_missing_required_answer():
    assert errors(greeted=None) == {"greeted": "an answer is required"}
    assert errors(greeted="  ") == {"greeted": "an answer is required"}


def test_optional_items_may_stay_blank():
    assert "staff" not in errors()


def test_na_only_where_the_checklist_allows_it():
    assert errors(name="na") == {}
    assert errors(greeted="na") == {"greeted": "N/A is not allowed for this item"}


def test_wrong_value_types_are_refused():
    found = errors(greeted=1, wait="soon", resolution="maybe", staff=3)
    assert found["greeted"].startswith('expected "yes" or "no"')
    assert found["wait"].startswith("expected a number")
    assert "spot, next, none" in found["resolution"]
    assert found["staff"].startswith("expected text")


def test_a_scale_value_must_be_a_whole_step_in_range():
    assert "from 1 to 5" in errors(tone=6)["tone"]
    assert "from 1 to 5" in errors(tone=0)["tone"]
    assert "from 1 to 5" in errors(tone=2.5)["tone"]


def test_a_number_must_respect_min_and_be_finite():
    assert errors(wait=-1) == {"wait": "must be at least 0, got -1"}
    assert "expected a number" in errors(wait=float("inf"))["wait"]
    assert "expected a number" in errors(wait=True)["wait"]


def test_overlong_text_is_refused():
    assert "longer than" in errors(staff="x" * 10_001)["staff"]
