"""Action plans, the pure rules (no I/O): when a counted audit opens a plan, how a plan
moves from state to state, what the next counted audit says of each planned behaviour,
when a plan is overdue and what a repeat failure is. `services.plans` stores them.

States: open -> submitted -> accepted, or returned with a note (back to open); closed
when every behaviour is verified fixed (whatever state the plan was in).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

RESPOND_DAYS = 14  # an open plan not submitted within this many days of opening is overdue
MAX_ACTION = 2000
MAX_OWNER = 200
MAX_NOTE = 2000
MAX_DUE_DAYS = 366


class State(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class Verification(StrEnum):
    UNVERIFIED = "unverified"
    FIXED = "fixed"
    STILL_FAILING = "still_failing"


class Outcome(StrEnum):
    """What a counted audit says of one behaviour."""

    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"  # N/A, or not answered


class RuleError(ValueError):
    """A step the plan's state does not allow, or a form that is not complete; `field` names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def opens_plan(score: float | None, critical_failed: bool, threshold: float) -> bool:
    """A counted audit opens (or adds to) a plan when its score is below the threshold or a
    critical item failed. An audit with no score (everything N/A) opens none by its score."""
    return critical_failed or (score is not None and score < threshold)


def outcome(na: bool, possible: float, failed: bool) -> Outcome:
    """One answer of a counted audit, for verification."""
    if na or possible <= 0:
        return Outcome.UNKNOWN
    return Outcome.FAILED if failed else Outcome.PASSED


def verified(current: Verification, seen: Outcome) -> Verification:
    """What the next counted audit makes of a planned behaviour: fixed when it passed,
    still failing when it failed; N/A or absent leaves it as it was."""
    if seen == Outcome.PASSED:
        return Verification.FIXED
    if seen == Outcome.FAILED:
        return Verification.STILL_FAILING
    return current


def closes(verifications: Iterable[Verification]) -> bool:
    """A plan closes when every behaviour in it is verified fixed (and it has some)."""
    states = list(verifications)
    return bool(states) and all(v == Verification.FIXED for v in states)


@dataclass(frozen=True)
class Answer:
    """What one planned behaviour says in the form: what will change, who, by when."""

    action: str
    owner: str
    due_on: date | None
    verification: Verification = Verification.UNVERIFIED


def check_answer(action: str, owner: str, due: str, today: date) -> tuple[str, str, date]:
    """The form of one behaviour, checked: raises RuleError naming the field."""
    action, owner, due = action.strip(), owner.strip(), due.strip()
    if len(action) < 3:
        raise RuleError("action", "say what will change, in a few words")
    if len(action) > MAX_ACTION:
        raise RuleError("action", f"keep what will change under {MAX_ACTION} characters")
    if not owner:
        raise RuleError("owner", "say who will do it")
    if len(owner) > MAX_OWNER:
        raise RuleError("owner", f"keep who will do it under {MAX_OWNER} characters")
    try:
        due_on = date.fromisoformat(due)
    except ValueError:
        raise RuleError("due_on", "give the date it will be done by, as YYYY-MM-DD") from None
    if due_on < today:
        raise RuleError("due_on", "the date it will be done by cannot be in the past")
    if due_on > today + timedelta(days=MAX_DUE_DAYS):
        raise RuleError("due_on", "the date it will be done by must be within a year")
    return action, owner, due_on


def check_note(note: str) -> str:
    note = note.strip()
    if len(note) < 3:
        raise RuleError("note", "say what to change in the plan, in a few words")
    if len(note) > MAX_NOTE:
        raise RuleError("note", f"keep the note under {MAX_NOTE} characters")
    return note


def may_edit(state: State) -> None:
    if state != State.OPEN:
        raise RuleError("state", f"the plan is {_words(state)}: it can be changed only while open")


def may_submit(state: State, answers: Sequence[Answer]) -> None:
    """Open, and every behaviour not yet fixed says what will change, who and by when."""
    may_edit(state)
    missing = [a for a in answers if a.verification != Verification.FIXED and not (a.action and a.owner and a.due_on)]
    if missing:
        n = len(missing)
        raise RuleError("plan", f"{n} behaviour{'s' if n != 1 else ''} still need what will change, who and by when")


def may_decide(state: State) -> None:
    """Accepting or returning takes a submitted plan."""
    if state != State.SUBMITTED:
        raise RuleError("state", f"the plan is {_words(state)}: only a submitted plan can be accepted or returned")


def overdue(state: State, respond_by: date, answers: Sequence[Answer], today: date) -> bool:
    """Overdue when a due date passes before submission or verification: an open plan past
    its date to respond, or a behaviour past its own due date and not verified fixed."""
    if state == State.CLOSED:
        return False
    if state == State.OPEN and today > respond_by:
        return True
    return any(item_overdue(a, today) for a in answers)


def item_overdue(answer: Answer, today: date) -> bool:
    return answer.due_on is not None and today > answer.due_on and answer.verification != Verification.FIXED


def respond_by(opened: date) -> date:
    return opened + timedelta(days=RESPOND_DAYS)


def repeat_failures(audits: Iterable[frozenset[str] | set[str]]) -> frozenset[str]:
    """The behaviours failed in two consecutive counted audits of a store: `audits` are the
    sets of failed item keys of its counted audits, oldest first."""
    repeated: set[str] = set()
    before: frozenset[str] | set[str] = frozenset()
    for failed in audits:
        repeated |= set(failed) & set(before)
        before = failed
    return frozenset(repeated)


def _words(state: State) -> str:
    return {State.OPEN: "open", State.SUBMITTED: "submitted", State.ACCEPTED: "accepted", State.CLOSED: "closed"}[state]
