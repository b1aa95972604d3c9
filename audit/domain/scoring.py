"""The scoring rules of docs/scoring.md as pure functions.

- Each scored item earns points out of its weight: yes/no (yes = full), scale
  (points x value / max), choice (the option's points), number (the first band
  whose `upto` holds the value). Text and photo items carry no points.
- N/A leaves both earned and possible points.
- An item fails when it earns less than half its points; a failed critical item
  flags the audit and makes its total 0 % while section scores still show what
  happened.
- Section score = earned / possible of its items; audit score = earned / possible
  over all items, a percentage with one decimal (half up). Nothing possible
  (everything N/A) means no score, not 0.
- Store score = mean of its audits' scores; region score = mean of its stores'
  scores; no audits means no score.

Answers are assumed checked (`audit.domain.answers.check`) before scoring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from audit.domain.answers import NA, Answer, blank
from audit.domain.checklist import Checklist, Item

FAIL_BELOW = 0.5
TENTH = Decimal("0.1")


class ItemScore(NamedTuple):  # NamedTuple: made for every item of every audit
    key: str
    section: str
    earned: float
    possible: float
    na: bool = False
    failed: bool = False
    critical: bool = False


class SectionScore(NamedTuple):
    key: str
    earned: float
    possible: float

    @property
    def percent(self) -> float | None:
        return percent(self.earned, self.possible)


@dataclass(frozen=True)
class AuditScore:
    earned: float
    possible: float
    critical_failed: bool
    items: tuple[ItemScore, ...]
    sections: tuple[SectionScore, ...]

    @property
    def percent(self) -> float | None:
        """The audit's score: 0 when a critical item failed, none when nothing was scorable."""
        if self.possible == 0:
            return None
        return 0.0 if self.critical_failed else percent(self.earned, self.possible)

    @property
    def critical_failures(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.items if i.critical and i.failed)


@dataclass(frozen=True)
class Aggregate:
    """A mean score and how many audits stand behind it (always shown together)."""

    mean: float
    count: int

    @property
    def score(self) -> float:
        """Rounded for display only; averaging goes on from the exact `mean`."""
        return round1(self.mean)


def round1(value: float) -> float:
    """One decimal, half up: 87.25 -> 87.3, as a person rounding by hand expects."""
    return float(Decimal(repr(value)).quantize(TENTH, rounding=ROUND_HALF_UP))


def percent(earned: float, possible: float) -> float | None:
    if possible <= 0:
        return None
    return round1(min(100.0, max(0.0, 100.0 * earned / possible)))


def item_points(item: Item, answer: Answer | None) -> ItemScore:
    """What one item earns; an unscored, unanswered or N/A item earns nothing of nothing."""
    value = None if answer is None else answer.value
    if not item.points or blank(value):
        return ItemScore(item.key, item.section, 0.0, 0.0, False, False, item.critical)
    if value == NA:
        return ItemScore(item.key, item.section, 0.0, 0.0, True, False, item.critical)
    earned = _earned(item, value)
    return ItemScore(
        item.key, item.section, earned, item.points, False, earned < FAIL_BELOW * item.points, item.critical
    )


def _earned(item: Item, value: str | float | int | None) -> float:
    if item.type == "yesno":
        return item.points if value == "yes" else 0.0
    if item.type == "scale":
        assert isinstance(value, int | float) and item.max
        return round(item.points * float(value) / item.max, 6)  # 2 x 1 / 3 stays tidy in reports
    if item.type == "choice":
        option = item.option(str(value))
        return option.points if option else 0.0
    assert isinstance(value, int | float)
    band = next((b for b in item.bands if b.upto is None or value <= b.upto), None)
    return band.points if band else 0.0


def score(spec: Checklist, answers: Mapping[str, Answer]) -> AuditScore:
    # Runs on every submission: lists rather than generators, looked-up names kept local.
    items: list[ItemScore] = []
    sections: list[SectionScore] = []
    get = answers.get
    for section in spec.sections:
        scored = [item_points(item, get(item.key)) for item in section.items]
        items += scored
        earned, possible = round(sum([i.earned for i in scored]), 6), sum([i.possible for i in scored])
        sections.append(SectionScore(section.key, earned, possible))
    return AuditScore(
        earned=round(sum([s.earned for s in sections]), 6),
        possible=sum([s.possible for s in sections]),
        critical_failed=any([i.critical and i.failed for i in items]),
        items=tuple(items),
        sections=tuple(sections),
    )


def mean_score(scores: Iterable[float | None]) -> Aggregate | None:
    """Mean of the given scores, skipping the unscorable; None when nothing is left."""
    present = [s for s in scores if s is not None]
    if not present:
        return None
    return Aggregate(mean=sum(present) / len(present), count=len(present))


def store_score(audit_scores: Iterable[float | None]) -> Aggregate | None:
    """Each audit counts once; `count` is the number of audits behind the score."""
    return mean_score(audit_scores)


def region_score(store_scores: Iterable[Aggregate | None]) -> Aggregate | None:
    """Each store counts once (a busy store does not dominate); `count` is the number of audits."""
    present = [s for s in store_scores if s is not None]
    if not present:
        return None
    return Aggregate(mean=sum(s.mean for s in present) / len(present), count=sum(s.count for s in present))
