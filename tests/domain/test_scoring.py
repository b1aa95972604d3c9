"""Hand-computed examples of every rule in docs/scoring.md, then properties that hold for any answers."""

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.domain import checklist, scoring
from audit.domain.answers import Answer
from audit.domain.scoring import Aggregate
from audit.settings import ROOT

SPEC = checklist.parse(
    """
key = "hand"
title = "Hand computed"

[[sections]]
key = "greeting"
title = "Greeting"

[[sections.items]]
key = "greeted"
question = "Greeted warmly?"
guidance = "g"
type = "yesno"
points = 2

[[sections.items]]
key = "wait"
question = "Seconds before noticed"
guidance = "g"
type = "number"
points = 4
min = 0
bands = [{ upto = 30, points = 4 }, { upto = 60, points = 2 }, { points = 0 }]

[[sections.items]]
key = "staff"
question = "Who served you?"
guidance = "g"
type = "text"

[[sections]]
key = "close"
title = "Close"

[[sections.items]]
key = "tone"
question = "Tone of voice"
guidance = "g"
type = "scale"
points = 5
min = 1
max = 5

[[sections.items]]
key = "name"
question = "Used your name?"
guidance = "g"
type = "yesno"
points = 3
allow_na = true

[[sections.items]]
key = "resolution"
question = "Resolved?"
guidance = "g"
type = "choice"
points = 3
allow_na = true
options = [
    { key = "spot", label = "On the spot", points = 3 },
    { key = "next", label = "Next step", points = 1 },
    { key = "none", label = "No", points = 0 },
]

[[sections.items]]
key = "respect"
question = "Respectful throughout?"
guidance = "g"
type = "yesno"
points = 1
critical = true
"""
)


def answers(**values) -> dict[str, Answer]:
    base = {
        "greeted": "yes",
        "wait": 10,
        "staff": "Sam",
        "tone": 5,
        "name": "yes",
        "resolution": "spot",
        "respect": "yes",
    }
    base.update(values)
    return {k: Answer(v) for k, v in base.items() if v is not None}


def test_everything_good_scores_100():
    result = scoring.score(SPEC, answers())
    assert (result.earned, result.possible, result.percent) == (18, 18, 100.0)


def test_a_hand_computed_mixed_visit():
    # greeted no 0/2, wait 45 s -> 2/4, tone 4 -> 5*4/5 = 4/5, name n/a, resolution next 1/3, respect 1/1
    result = scoring.score(SPEC, answers(greeted="no", wait=45, tone=4, name="na", resolution="next"))
    assert result.earned == 8 and result.possible == 15
    assert result.percent == 53.3  # 8 / 15 = 53.33 %
    greeting, close = result.sections
    assert (greeting.earned, greeting.possible, greeting.percent) == (2, 6, 33.3)
    assert (close.earned, close.possible, close.percent) == (6, 9, 66.7)


def test_bands_are_inclusive_at_their_upper_bound():
    points = {w: scoring.score(SPEC, answers(wait=w)).items[1].earned for w in (0, 30, 30.5, 60, 61, 3000)}
    assert points == {0: 4, 30: 4, 30.5: 2, 60: 2, 61: 0, 3000: 0}


def test_scale_scores_points_times_value_over_max():
    assert [scoring.score(SPEC, answers(tone=v)).items[3].earned for v in (1, 3, 5)] == [1.0, 3.0, 5.0]


def test_na_leaves_both_earned_and_possible():
    with_na = scoring.score(SPEC, answers(name="na"))
    assert (with_na.earned, with_na.possible) == (15, 15)
    assert with_na.items[4].na


def test_a_failed_critical_item_makes_the_total_zero_but_keeps_section_scores():
    result = scoring.score(SPEC, answers(respect="no"))
    assert result.critical_failed and result.critical_failures == ("respect",)
    assert result.percent == 0.0
    assert result.earned == 17  # what happened is still recorded
    assert result.sections[0].percent == 100.0


def test_an_item_fails_below_half_its_points():
    result = scoring.score(SPEC, answers(wait=45, tone=2, resolution="next"))
    by_key = {i.key: i for i in result.items}
    assert not by_key["wait"].failed  # 2 of 4 is half: passes
    assert by_key["tone"].failed  # 2 of 5
    assert by_key["resolution"].failed  # 1 of 3


def test_unscored_items_carry_no_points():
    result = scoring.score(SPEC, answers())
    staff = next(i for i in result.items if i.key == "staff")
    assert (staff.earned, staff.possible, staff.failed) == (0, 0, False)


def test_nothing_scorable_gives_no_score_not_zero():
    only_na = checklist.parse(
        'key = "n"\ntitle = "N"\n[[sections]]\nkey = "s"\ntitle = "S"\n[[sections.items]]\n'
        'key = "a"\nquestion = "Q"\nguidance = "g"\ntype = "yesno"\npoints = 1\nallow_na = true\n'
    )
    result = scoring.score(only_na, {"a": Answer("na")})
    assert result.percent is None
    assert result.sections[0].percent is None


def test_rounding_is_half_up_to_one_decimal():
    assert scoring.round1(87.25) == 87.3
    assert scoring.round1(87.249) == 87.2
    assert scoring.percent(1, 3) == 33.3
    assert scoring.percent(2, 3) == 66.7
    assert scoring.percent(1, 8) == 12.5


def test_store_score_is_the_mean_of_its_audits():
    assert scoring.store_score([80.0, 90.0, 100.0]) == Aggregate(mean=90.0, count=3)
    assert scoring.store_score([]) is None
    assert scoring.store_score([None]) is None


def test_region_score_counts_each_store_once():
    busy = scoring.store_score([100.0] * 9)  # visited nine times
    quiet = scoring.store_score([50.0])
    region = scoring.region_score([busy, quiet, None])  # a store without audits has no say
    assert region is not None
    assert region.score == 75.0  # not (900 + 50) / 10 = 95
    assert region.count == 10
    assert scoring.region_score([None, None]) is None


def test_region_score_averages_exact_store_means_then_rounds():
    a = scoring.store_score([33.3, 33.4])  # 33.35
    b = scoring.store_score([33.3])
    region = scoring.region_score([a, b])
    assert region is not None and region.score == 33.3  # (33.35 + 33.3) / 2 = 33.325


# Properties over the real default checklist and any valid answers.

DEFAULT = checklist.load(ROOT / "checklists" / "customer-service.toml")


def item_value(item):
    choices = []
    if item.type == "yesno":
        choices.append(st.sampled_from(["yes", "no"]))
    elif item.type == "scale":
        choices.append(st.integers(int(item.min), int(item.max)))
    elif item.type == "choice":
        choices.append(st.sampled_from([o.key for o in item.options]))
    elif item.type == "number":
        choices.append(st.floats(item.min or 0, item.max or 10_000, allow_nan=False))
    else:
        choices.append(st.text(max_size=20))
    if item.allow_na:
        choices.append(st.just("na"))
    return st.one_of(*choices)


any_answers = st.fixed_dictionaries({item.key: item_value(item).map(Answer) for item in DEFAULT.items})


@settings(max_examples=300, deadline=None)
@given(any_answers)
def test_a_score_is_always_between_0_and_100(given_answers):
    result = scoring.score(DEFAULT, given_answers)
    assert result.percent is None or 0 <= result.percent <= 100
    for section in result.sections:
        assert section.percent is None or 0 <= section.percent <= 100
    assert 0 <= result.earned <= result.possible


@settings(max_examples=200, deadline=None)
@given(any_answers, st.sampled_from([i.key for i in DEFAULT.items if i.allow_na]))
def test_marking_an_item_na_never_changes_other_items(given_answers, key):
    before = scoring.score(DEFAULT, given_answers)
    after = scoring.score(DEFAULT, {**given_answers, key: Answer("na")})
    assert [i for i in before.items if i.key != key] == [i for i in after.items if i.key != key]


@settings(max_examples=300, deadline=None)
@given(any_answers, st.sampled_from([i for i in DEFAULT.items if i.scored and not i.critical]))
def test_turning_a_failed_non_critical_item_into_a_pass_never_lowers_the_total(given_answers, item):
    before = scoring.score(DEFAULT, given_answers)
    if not next(i for i in before.items if i.key == item.key).failed:
        return
    best = {"yesno": "yes", "scale": int(item.max or 0), "number": 0}.get(item.type)
    if item.type == "choice":
        best = max(item.options, key=lambda o: o.points).key
    after = scoring.score(DEFAULT, {**given_answers, item.key: Answer(best)})
    assert next(i for i in after.items if i.key == item.key).failed is False
    assert after.earned >= before.earned
    if before.percent is not None:
        assert after.percent is not None and after.percent >= before.percent
