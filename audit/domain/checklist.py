"""Checklist files parsed once into a typed, versioned spec.

A checklist is data (TOML, see docs/checklists.md). Everything downstream (the
form, validation of answers, scoring, reports) works on the `Checklist` built
here, so every mistake an author can make is caught in this module, with a
message that names the file, the section or item, and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

ItemType = Literal["yesno", "scale", "choice", "number", "text", "photo"]
SCORED_TYPES: frozenset[str] = frozenset({"yesno", "scale", "choice", "number"})
ITEM_TYPES: tuple[str, ...] = ("yesno", "scale", "choice", "number", "text", "photo")

CHECKLIST_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RESERVED_KEYS = frozenset({"help"})  # /admin/checklists/help is the guide to checklist files
ITEM_KEY = re.compile(r"^[a-z][a-z0-9_]*$")

# Limits (docs/checklists.md, "Limits"): far above any real visit, low enough that a checklist
# stays a form a shopper can fill in one visit and a page a phone can show. Texts are counted
# in characters, after surrounding spaces are trimmed.
MAX_SECTIONS = 40
MAX_ITEMS = 300  # in the whole checklist
MAX_SECTION_ITEMS = 100
MAX_OPTIONS = 20  # per choice item
MAX_BANDS = 20  # per number item
MAX_KEY = 64  # checklist, section, item and option keys: the width of the key columns
MAX_TITLE = 120  # the checklist's and each section's title
MAX_DESCRIPTION = 1000  # the checklist's and each section's description
# Items for identifying staff: for owners and managers only, never on the store's copy (the
# checklist's guidance promises it). A fixed key until checklists can mark items internal.
INTERNAL_ITEMS = frozenset({"staff_description"})
MAX_QUESTION = 300
MAX_GUIDANCE = 1000
MAX_LABEL = 120  # an option's label, a scale step's label
MAX_UNIT = 30
MAX_PROBLEMS = 100  # problems listed for one file; the rest are counted

TOP_FIELDS = {"key", "title", "description", "plan_threshold", "sections"}
# below this score (or with a failed critical item) a counted audit opens an action plan
PLAN_THRESHOLD = 70.0
SECTION_FIELDS = {"key", "title", "description", "items"}
COMMON_ITEM_FIELDS = {"key", "question", "guidance", "type", "points", "allow_na", "required", "critical"}
TYPE_FIELDS: dict[str, set[str]] = {
    "yesno": set(),
    "scale": {"min", "max", "labels"},
    "choice": {"options"},
    "number": {"unit", "min", "max", "bands"},
    "text": set(),
    "photo": set(),
}
ITEM_FIELDS = COMMON_ITEM_FIELDS.union(*TYPE_FIELDS.values())


class ChecklistError(ValueError):
    """A checklist file that cannot be used; `problems` lists every mistake found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    points: float


@dataclass(frozen=True)
class Band:
    """Scores `points` for a value <= `upto`; `upto` None catches everything above."""

    upto: float | None
    points: float


@dataclass(frozen=True)
class Item:
    key: str
    section: str
    question: str
    type: ItemType
    guidance: str = ""
    points: float = 0.0
    allow_na: bool = False
    required: bool = False
    critical: bool = False
    min: float | None = None
    max: float | None = None
    labels: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    unit: str = ""
    bands: tuple[Band, ...] = ()

    @property
    def scored(self) -> bool:
        return self.points > 0

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)

    def amount(self, value: object) -> str:
        """A number answer with its unit, as a person writes it: "1 second", "45 seconds"."""
        unit = self.unit[:-1] if value == 1 and self.unit.endswith("s") and not self.unit.endswith("ss") else self.unit
        shown = f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
        return f"{shown} {unit}".strip()


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    description: str = ""
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Checklist:
    key: str
    title: str
    description: str = ""
    sections: tuple[Section, ...] = ()
    version: str = field(default="", compare=False)
    plan_threshold: float = PLAN_THRESHOLD

    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @cached_property
    def critical_keys(self) -> frozenset[str]:
        return frozenset(item.key for item in self.items if item.critical)

    @cached_property
    def item_keys(self) -> frozenset[str]:
        return frozenset(item.key for item in self.items)

    def item(self, key: str) -> Item | None:
        return self._index.get(key)

    @cached_property
    def _index(self) -> dict[str, Item]:
        return {item.key: item for item in self.items}

    def to_data(self) -> dict[str, Any]:
        """Plain data (JSON-ready) that `from_data` turns back into the same spec."""
        data = asdict(self)
        data.pop("version")
        if data["plan_threshold"] == PLAN_THRESHOLD:
            del data["plan_threshold"]  # so files that leave it out keep the versions they had
        return data


def content_version(data: dict[str, Any]) -> str:
    """The version id: a hash of the parsed content, so comments and layout do not count."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def load(path: str | Path) -> Checklist:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecklistError(str(path), [f"cannot read the file: {exc}"]) from None
    return parse(text, source=str(path))


def parse(text: str, source: str = "<checklist>") -> Checklist:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ChecklistError(source, [f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    checklist = _Parser(problems).checklist(raw)
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], f"and {more} more problem(s) not listed; fix these and check again"]
    if problems:
        raise ChecklistError(source, problems)
    assert checklist is not None
    return with_version(checklist)


def with_version(checklist: Checklist) -> Checklist:
    return Checklist(
        key=checklist.key,
        title=checklist.title,
        description=checklist.description,
        sections=checklist.sections,
        version=content_version(checklist.to_data()),
        plan_threshold=checklist.plan_threshold,
    )


def from_data(data: dict[str, Any], version: str) -> Checklist:
    """Rebuild a stored spec (trusted: it was validated when imported)."""
    sections = tuple(
        Section(
            key=s["key"],
            title=s["title"],
            description=s.get("description", ""),
            items=tuple(_item_from_data(i) for i in s["items"]),
        )
        for s in data["sections"]
    )
    return Checklist(
        key=data["key"],
        title=data["title"],
        description=data.get("description", ""),
        sections=sections,
        version=version,
        plan_threshold=float(data.get("plan_threshold", PLAN_THRESHOLD)),
    )


def _item_from_data(i: dict[str, Any]) -> Item:
    return Item(
        **{
            **i,
            "labels": tuple(i.get("labels", ())),
            "options": tuple(Option(**o) for o in i.get("options", ())),
            "bands": tuple(Band(**b) for b in i.get("bands", ())),
        }
    )


class _Parser:
    """Collects every problem instead of stopping at the first, so an author fixes a file in one go."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def checklist(self, raw: dict[str, Any]) -> Checklist | None:
        self._unknown("checklist", raw, TOP_FIELDS)
        key = self._text(raw, "key", "checklist", MAX_KEY)
        if key and not CHECKLIST_KEY.match(key):
            self.fail("checklist", f"key {_shown(key)} must be lowercase letters, digits and hyphens")
        elif key in RESERVED_KEYS:
            self.fail("checklist", f"key {_shown(key)} is taken by a page of its own; choose another key")
        title = self._text(raw, "title", "checklist", MAX_TITLE)
        sections_raw = raw.get("sections")
        if not isinstance(sections_raw, list) or not sections_raw:
            self.fail("checklist", "needs at least one [[sections]] table")
            sections_raw = []
        self._count("checklist", len(sections_raw), MAX_SECTIONS, "sections", "a checklist")
        items_in_all = sum(
            len(s["items"]) for s in sections_raw if isinstance(s, dict) and isinstance(s.get("items"), list)
        )
        self._count("checklist", items_in_all, MAX_ITEMS, "items", "a checklist")
        sections: list[Section] = []
        section_keys: set[str] = set()
        item_keys: dict[str, str] = {}
        for n, section_raw in enumerate(sections_raw, start=1):
            if not isinstance(section_raw, dict):
                self.fail(f"section {n}", "must be a table")
                continue
            section = self.section(section_raw, n, item_keys)
            if section.key in section_keys:
                self.fail(f"section {_shown(section.key)}", "duplicate section key")
            section_keys.add(section.key)
            sections.append(section)
        if not any(item.scored for s in sections for item in s.items) and sections:
            self.fail("checklist", "has no scored item, so no score could be given")
        description = raw.get("description", "")
        if not isinstance(description, str):
            self.fail("checklist", "description must be text")
            description = ""
        self._length("checklist", "description", description, MAX_DESCRIPTION)
        threshold = raw.get("plan_threshold", PLAN_THRESHOLD)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 100:
            self.fail("checklist", "plan_threshold must be a score from 0 to 100 (the default is 70)")
            threshold = PLAN_THRESHOLD
        return Checklist(
            key=key, title=title, description=description, sections=tuple(sections), plan_threshold=float(threshold)
        )

    def section(self, raw: dict[str, Any], n: int, item_keys: dict[str, str]) -> Section:
        key = raw.get("key")
        where = f"section {_shown(key)}" if isinstance(key, str) and key else f"section {n}"
        self._unknown(where, raw, SECTION_FIELDS)
        key = self._text(raw, "key", where, MAX_KEY)
        if key and not ITEM_KEY.match(key):
            self.fail(where, "key must be lowercase letters, digits and underscores, starting with a letter")
        title = self._text(raw, "title", where, MAX_TITLE)
        items_raw = raw.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            self.fail(where, "needs at least one [[sections.items]] table")
            items_raw = []
        self._count(where, len(items_raw), MAX_SECTION_ITEMS, "items", "a section")
        items: list[Item] = []
        for m, item_raw in enumerate(items_raw, start=1):
            if not isinstance(item_raw, dict):
                self.fail(f"{where}, item {m}", "must be a table")
                continue
            raw_key = item_raw.get("key")
            if isinstance(raw_key, str) and raw_key:
                if raw_key in item_keys:
                    self.fail(
                        f"{where}, item {_shown(raw_key)}",
                        f"duplicate item key (already used in section {_shown(item_keys[raw_key])})",
                    )
                item_keys[raw_key] = key
            item = self.item(item_raw, key, f"{where}, item {m}")
            if item is not None:
                items.append(item)
        description = raw.get("description", "")
        if isinstance(description, str):
            self._length(where, "description", description, MAX_DESCRIPTION)
        return Section(
            key=key,
            title=title,
            description=description if isinstance(description, str) else "",
            items=tuple(items),
        )

    def item(self, raw: dict[str, Any], section: str, fallback_where: str) -> Item | None:
        key = raw.get("key")
        where = f"section {_shown(section)}, item {_shown(key)}" if isinstance(key, str) and key else fallback_where
        self._unknown(where, raw, ITEM_FIELDS)
        key = self._text(raw, "key", where, MAX_KEY)
        if key and not ITEM_KEY.match(key):
            self.fail(where, "key must be lowercase letters, digits and underscores, starting with a letter")
        question = self._text(raw, "question", where, MAX_QUESTION)
        guidance = self._text(raw, "guidance", where, MAX_GUIDANCE)
        kind = raw.get("type")
        if kind not in ITEM_TYPES:
            self.fail(where, f"unknown type {_shown(kind)} (use one of: {', '.join(ITEM_TYPES)})")
            return None
        for name in sorted(set(raw) & (ITEM_FIELDS - COMMON_ITEM_FIELDS - TYPE_FIELDS[kind])):
            self.fail(where, f"field {_shown(name)} does not apply to a {kind} item")
        allow_na = self._bool(raw, "allow_na", where, False)
        critical = self._bool(raw, "critical", where, False)
        points = self._points(raw, kind, where)
        scored = points > 0
        required = self._bool(raw, "required", where, scored)
        if critical and not scored:
            self.fail(where, "only a scored item can be critical")
        extra = getattr(self, f"_extra_{kind}")(raw, points, where)
        return Item(
            key=key,
            section=section,
            question=question,
            type=kind,
            guidance=guidance,
            points=points,
            allow_na=allow_na,
            required=required,
            critical=critical,
            **extra,
        )

    def _points(self, raw: dict[str, Any], kind: str, where: str) -> float:
        if "points" not in raw:
            if kind in ("yesno", "scale", "choice"):
                self.fail(where, f"a {kind} item needs points")
            elif kind == "number" and "bands" in raw:
                self.fail(where, "a number item with bands needs points")
            return 0.0
        points = raw["points"]
        if kind in ("text", "photo"):
            self.fail(where, f"points on an unscored type ({kind})")
            return 0.0
        if not _is_number(points) or points <= 0:
            self.fail(where, f"points must be a positive number, not {_shown(points)}")
            return 0.0
        if kind == "number" and "bands" not in raw:
            self.fail(where, "a number item with points needs bands")
        return float(points)

    def _extra_yesno(self, raw: dict[str, Any], points: float, where: str) -> dict[str, Any]:
        return {}

    def _text(self, raw: dict[str, Any], name: str, where: str, limit: int) -> str:
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"{name} is missing or empty")
            return ""
        self._length(where, name, value.strip(), limit)
        return value.strip()

    def _length(self, where: str, name: str, value: str, limit: int) -> None:
        if len(value) > limit:
            self.fail(where, f"{name} is {len(value)} characters long; the limit is {limit}")

    def _count(self, where: str, count: int, limit: int, what: str, holder: str) -> None:
        if count > limit:
            self.fail(where, f"has {count} {what}; the limit is {limit} {what} in {holder}")

    def _extra_photo(self, raw: dict[str, Any], points: float, where: str) -> dict[str, Any]:
        return {}

    def _extra_text(self, raw: dict[str, Any], points: float, where: str) -> dict[str, Any]:
        return {}

    def _extra_scale(self, raw: dict[str, Any], points: float, where: str) -> dict[str, Any]:
        low, high = raw.get("min", 1), raw.get("max")
        if low not in (0, 1) or isinstance(low, bool):
            self.fail(where, f"scale min must be 0 or 1, not {_shown(low)}")
            low = 1
        if high is None:
            self.fail(where, "scale max is missing (a whole number above min, at most 10)")
            return {"min": float(low), "max": float(low + 1)}
        if not isinstance(high, int) or isinstance(high, bool) or not low < high <= 10:
            self.fail(where, f"scale max must be a whole number above min and at most 10, not {_shown(high)}")
            return {"min": float(low), "max": float(low + 1)}
        labels = raw.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            self.fail(where, "labels must be a list of text")
            labels = []
        elif labels and len(labels) != high - low + 1:
            self.fail(where, f"labels has {len(labels)} entries; the scale {low}-{high} needs {high - low + 1}")
        for n, label in enumerate(labels, start=1):
            self._length(where, f"label {n}", label, MAX_LABEL)
        return {"min": float(low), "max": float(high), "labels": tuple(labels)}

    def _extra_choice(self, raw: dict[str, Any], points: float, where: str) -> dict[str, Any]:
        options_raw = raw.get("options")
        if not isinstance(options_raw, list) or len(options_raw) < 2:
            self.fail(where, "a choice item needs at least two options")
            return {}
        self._count(where, len(options_raw), MAX_OPTIONS, "options", "a choice item")
        options: list[Option] = []
        for n, o in enumerate(options_raw, start=1):
            if not isinstance(o, dict) or not isinstance(o.get("key"), str) or not o.get("label"):
                self.fail(where, f"option {n} needs a key and a label")
                continue
            self._unknown(f"{where}, option {_shown(o['key'])}", o, {"key", "label", "points"})
            value = o.get("points")
            if not _is_number(value) or (points > 0 and not 0 <= value <= points):
                self.fail(where, f"option {_shown(o['key'])}: points must be from 0 to {points:g} (the item's points)")
                value = 0
            if not ITEM_KEY.match(o["key"]):
                self.fail(where, f"option key {_shown(o['key'])} must be lowercase letters, digits and underscores")
            self._length(where, f"option {_shown(o['key'])}: key", o["key"], MAX_KEY)
            self._length(where, f"option {_shown(o['key'])}: label", str(o["label"]), MAX_LABEL)
            if any(x.key == o["key"] for x in options):
                self.fail(where, f"duplicate option key {_shown(o['key'])}")
            options.append(Option(key=o["key"], label=str(o["label"]), points=float(value)))
        if options and points and max(o.points for o in options) != points:
            self.fail(where, f"the best option must give the item's {points:g} points")
        return {"options": tuple(options)}

    def _extra_number(self, raw: dict[str, Any], points: float, where: str) -> dict[str, Any]:
        low, high = raw.get("min"), raw.get("max")
        for name, value in (("min", low), ("max", high)):
            if value is not None and not _is_number(value):
                self.fail(where, f"{name} must be a number")
        if _is_number(low) and _is_number(high) and low >= high:
            self.fail(where, "min must be below max")
        unit = raw.get("unit", "")
        if isinstance(unit, str):
            self._length(where, "unit", unit, MAX_UNIT)
        extra: dict[str, Any] = {
            "min": float(low) if _is_number(low) else None,
            "max": float(high) if _is_number(high) else None,
            "unit": unit if isinstance(unit, str) else "",
        }
        if "bands" in raw:
            extra["bands"] = self._bands(raw["bands"], points, where)
        return extra

    def _bands(self, raw: Any, points: float, where: str) -> tuple[Band, ...]:
        if not isinstance(raw, list) or not raw:
            self.fail(where, "bands must be a list of { upto = N, points = P }")
            return ()
        self._count(where, len(raw), MAX_BANDS, "bands", "a number item")
        bands: list[Band] = []
        for n, b in enumerate(raw, start=1):
            if not isinstance(b, dict):
                self.fail(where, f"band {n} must be a table {{ upto = N, points = P }}")
                continue
            self._unknown(f"{where}, band {n}", b, {"upto", "points"})
            upto, value = b.get("upto"), b.get("points")
            if upto is not None and not _is_number(upto):
                self.fail(where, f"band {n}: upto must be a number")
                upto = None
            if not _is_number(value) or (points > 0 and not 0 <= value <= points):
                self.fail(where, f"band {n}: points must be from 0 to {points:g} (the item's points)")
                value = 0
            if bands and bands[-1].upto is None:
                self.fail(where, f"band {n} comes after the catch-all band (one without upto) and can never apply")
            elif upto is not None and bands and bands[-1].upto is not None and upto <= bands[-1].upto:
                self.fail(
                    where,
                    f"bands overlap: band {n} (upto {upto:g}) must be above band {n - 1} (upto {bands[-1].upto:g})",
                )
            bands.append(Band(upto=float(upto) if upto is not None else None, points=float(value)))
        if bands and points and max(b.points for b in bands) != points:
            self.fail(where, f"the best band must give the item's {points:g} points")
        return tuple(bands)

    def _bool(self, raw: dict[str, Any], name: str, where: str, default: bool) -> bool:
        value = raw.get(name, default)
        if not isinstance(value, bool):
            self.fail(where, f"{name} must be true or false")
            return default
        return value

    def _unknown(self, where: str, raw: dict[str, Any], allowed: set[str]) -> None:
        for name in sorted(set(raw) - allowed):
            self.fail(where, f"unknown field {_shown(name)}")


def _shown(value: Any) -> str:
    """A value from the file as a message quotes it, cut short: messages repeat the keys of
    their section and item, and a long key must not make a huge list of problems."""
    if isinstance(value, str) and len(value) > MAX_KEY:
        return f"{value[:MAX_KEY]!r}…"
    text = repr(value)
    return text if len(text) <= MAX_KEY + 2 else f"{text[: MAX_KEY + 1]}…"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
