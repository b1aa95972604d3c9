"""The action plans' pure rules (audit.domain.plans), with plain data."""

from datetime import date

import pytest

from audit.domain import plans
from audit.domain.plans import Answer, Outcome, State, Verification

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("score", "critical", "opens"),
    [(69.9, False, True), (70.0, False, False), (100.0, True, True), (None, False, False), (None, True, True)],
)
def test_a_plan_opens_below_the_threshold_or_on_a_critical_failure(score, critical, opens):
    assert plans.opens_plan(score, critical, 70.0) is opens


def test_the_next_audit_fixes_or_keeps_failing_and_na_leaves_it():
    assert plans.outcome(False, 2, False) == Outcome.PASSED
    assert plans.outcome(False, 2, True) == Outcome.FAILED
    assert plans.outcome(True, 0, False) == Outcome.UNKNOWN
    assert plans.outcome(False, 0, False) == Outcome.UNKNOWN  # not scored
    assert plans.verified(Verification.UNVERIFIED, Outcome.PASSED) == Verification.FIXED
    assert plans.verified(Verification.FIXED, Outcome.FAILED) == Verification.STILL_FAILING
    assert plans.verified(Verification.STILL_FAILING, Outcome.UNKNOWN) == Verification.STILL_FAILING
    assert plans.verified(Verification.UNVERIFIED, Outcome.UNKNOWN) == Verification.UNVERIFIED


def test_a_plan_closes_only_when_every_behaviour_is_fixed():
    assert plans.closes([Verification.FIXED, Verification.FIXED])
    assert not plans.closes([Verification.FIXED, Verification.STILL_FAILING])
    assert not plans.closes([Verification.FIXED, Verification.UNVERIFIED])
    assert not plans.closes([])


def test_the_form_of_a_behaviour_is_checked_field_by_field():
    assert plans.check_answer(" Greet within 10 s ", " Ann ", "2026-12-20", TODAY) == (
        "Greet within 10 s",
        "Ann",
        date(2026, 12, 20),
    )
    for args, field in [
        (("", "Ann", "2026-12-20"), "action"),
        (("Greet", " ", "2026-12-20"), "owner"),
        (("Greet", "Ann", "20/12/2026"), "due_on"),
        (("Greet", "Ann", "2026-12-01"), "due_on"),
        (("Greet", "Ann", "2028-12-01"), "due_on"),
        (("x" * 2001, "Ann", "2026-12-20"), "action"),
    ]:
        with pytest.raises(plans.RuleError) as caught:
            plans.check_answer(*args, TODAY)
        assert caught.value.field == field


def test_states_move_open_submitted_accepted_or_back_to_open():
    done = Answer("Greet", "Ann", date(2026, 12, 20))
    blank = Answer("", "", None)
    plans.may_submit(State.OPEN, [done, Answer("", "", None, Verification.FIXED)])
    with pytest.raises(plans.RuleError, match="1 behaviour still need"):
        plans.may_submit(State.OPEN, [done, blank])
    for state in (State.SUBMITTED, State.ACCEPTED, State.CLOSED):
        with pytest.raises(plans.RuleError):
            plans.may_submit(state, [done])
        with pytest.raises(plans.RuleError):
            plans.may_edit(state)
    plans.may_decide(State.SUBMITTED)
    for state in (State.OPEN, State.ACCEPTED, State.CLOSED):
        with pytest.raises(plans.RuleError):
            plans.may_decide(state)
    with pytest.raises(plans.RuleError):
        plans.check_note("  ")
    assert plans.check_note(" more staff ") == "more staff"


def test_overdue_when_a_date_passes_before_submission_or_verification():
    opened = date(2026, 11, 1)
    by = plans.respond_by(opened)
    assert by == date(2026, 11, 15)
    assert plans.overdue(State.OPEN, by, [], TODAY)
    assert not plans.overdue(State.OPEN, by, [], date(2026, 11, 15))
    late = Answer("Greet", "Ann", date(2026, 12, 1))
    assert plans.overdue(State.ACCEPTED, by, [late], TODAY)
    assert not plans.overdue(State.ACCEPTED, by, [Answer("Greet", "Ann", date(2026, 12, 1), Verification.FIXED)], TODAY)
    assert not plans.overdue(State.ACCEPTED, by, [Answer("Greet", "Ann", date(2026, 12, 10))], TODAY)
    assert not plans.overdue(State.CLOSED, by, [late], TODAY)


def test_a_repeat_failure_is_a_behaviour_failed_in_two_consecutive_audits():
    assert plans.repeat_failures([{"greet"}, {"greet", "smile"}, {"smile"}]) == {"greet", "smile"}
    assert plans.repeat_failures([{"greet"}, set(), {"greet"}]) == frozenset()
    assert plans.repeat_failures([]) == frozenset()
