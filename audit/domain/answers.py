"""Answers as sent by a shopper, checked against the exact checklist version.

Every problem is reported with the item key it concerns, so the phone can jump
to the item and the shopper can fix it. Checking is pure: no database, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

from audit.domain.checklist import Checklist, Item

NA = "na"
MAX_TEXT = 10_000
# a number answer larger than this is a typing slip, and past 2**53 it would not even
# round-trip through JSON as a float
MAX_NUMBER = 1_000_000_000_000


class Answer(NamedTuple):
    """One answer: `value` is "yes"/"no"/"na", a number, an option key or text, by item type.

    A NamedTuple rather than a frozen dataclass: a submission makes dozens, and
    this is the hot path of every POST.
    """

    value: str | float | int | None
    comment: str = ""

    @property
    def is_na(self) -> bool:
        return self.value == NA

    @property
    def is_blank(self) -> bool:
        return blank(self.value)


@dataclass(frozen=True)
class AnswerError:
    item: str
    message: str


def blank(value: object) -> bool:
    return value is None or (value.__class__ is str and not value.strip())  # type: ignore[attr-defined]


def check(spec: Checklist, answers: Mapping[str, Answer]) -> list[AnswerError]:
    """All the reasons these answers cannot be accepted for `spec` (empty when they can)."""
    known = spec.item_keys
    errors = [AnswerError(key, "no such item in this checklist version") for key in answers if key not in known]
    for item in spec.items:
        answer = answers.get(item.key)
        if answer is None or blank(answer.value):
            if item.required:
                errors.append(AnswerError(item.key, "an answer is required"))
            continue
        if len(answer.comment) > MAX_TEXT:
            errors.append(AnswerError(item.key, f"comment is longer than {MAX_TEXT} characters"))
        if answer.value == NA:
            if not item.allow_na:
                errors.append(AnswerError(item.key, "N/A is not allowed for this item"))
            continue
        problem = _value_problem(item, answer.value)
        if problem:
            errors.append(AnswerError(item.key, problem))
    return errors


def _value_problem(item: Item, value: str | float | int | None) -> str | None:
    if item.type == "yesno":
        return None if value in ("yes", "no") else f'expected "yes" or "no"{_na_hint(item)}, got {value!r}'
    if item.type == "photo":
        return (
            None
            if isinstance(value, str) and _is_uuid(value)
            else f"expected the id of an uploaded photo, got {value!r}"
        )
    if item.type == "text":
        if not isinstance(value, str):
            return f"expected text, got {value!r}"
        return f"text is longer than {MAX_TEXT} characters" if len(value) > MAX_TEXT else None
    if item.type == "choice":
        if isinstance(value, str) and item.option(value):
            return None
        keys = ", ".join(o.key for o in item.options)
        return f"expected one of the options ({keys}){_na_hint(item)}, got {value!r}"
    if not _is_finite_number(value):
        return f"expected a number{_na_hint(item)}, got {value!r}"
    assert isinstance(value, int | float)
    if abs(value) > MAX_NUMBER:
        return f"expected a number between -{MAX_NUMBER:,} and {MAX_NUMBER:,}, got {value!r}"
    if item.type == "scale":
        if value != int(value) or not item.min <= value <= item.max:  # type: ignore[operator]
            return f"expected a whole number from {item.min:g} to {item.max:g}, got {value!r}"
        return None
    if item.min is not None and value < item.min:
        return f"must be at least {item.min:g}, got {value!r}"
    if item.max is not None and value > item.max:
        return f"must be at most {item.max:g}, got {value!r}"
    return None


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _na_hint(item: Item) -> str:
    return ' or "na"' if item.allow_na else ""


def _is_finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def in_words(item: Item, answer: Mapping[str, Any] | None, photos: int = 0) -> str:
    """A stored answer (`value`, `na`) in words, as the audit page and its PDF print it."""
    if item.type == "photo":
        return f"{photos} photo{'s' if photos != 1 else ''}" if photos else "no photo"
    if answer is None:
        return "not answered"
    value = answer["value"]
    if answer["na"]:
        return "N/A"
    if item.type == "yesno":
        return "Yes" if value == "yes" else "No"
    if item.type == "choice":
        option = item.option(str(value))
        return option.label if option else str(value)
    if item.type == "scale":
        label = ""
        if item.labels and item.min is not None and isinstance(value, int | float):
            index = int(value - item.min)
            label = f" ({item.labels[index]})" if 0 <= index < len(item.labels) else ""
        return f"{value:g} of {item.max:g}{label}" if isinstance(value, int | float) and item.max else str(value)
    if item.type == "number":
        return item.amount(value)
    return "" if value is None else str(value)
