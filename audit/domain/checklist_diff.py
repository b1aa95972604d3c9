"""What changed between two versions of a checklist, as an owner reads it.

A pure function on two specs (`changes(old, new)`): items added, removed, reworded
(question, guidance, an option's or a scale step's label, the unit), re-weighted (points,
critical, N/A, required, the type, options or bands, the scale's range or the number's
allowed range), moved to another section; sections added, removed, renamed; and what
changed about the checklist itself (title, description, the action-plan threshold, order).
Items and sections are matched by key, as reports follow them.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.domain.checklist import Band, Checklist, Item, Option, Section


@dataclass(frozen=True)
class ItemChange:
    key: str
    question: str  # as the newer version asks it (the older one for a removed item)
    section: str  # the title of its section, in the newer version (the older one when removed)
    details: tuple[str, ...] = ()  # "points 2 → 3", "now critical", "question was: ..."


@dataclass(frozen=True)
class SectionChange:
    key: str
    title: str
    old_title: str = ""


@dataclass(frozen=True)
class Changes:
    items_added: tuple[ItemChange, ...] = ()
    items_removed: tuple[ItemChange, ...] = ()
    items_reworded: tuple[ItemChange, ...] = ()
    items_reweighted: tuple[ItemChange, ...] = ()
    items_moved: tuple[ItemChange, ...] = ()
    sections_added: tuple[SectionChange, ...] = ()
    sections_removed: tuple[SectionChange, ...] = ()
    sections_renamed: tuple[SectionChange, ...] = ()
    checklist: tuple[str, ...] = ()  # title, description, threshold, order

    @property
    def none(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def summary(self) -> str:
        """ "2 items added, 1 re-weighted", or "" when nothing changed."""
        parts = []
        for name, word in (
            ("items_added", "added"),
            ("items_removed", "removed"),
            ("items_reworded", "reworded"),
            ("items_reweighted", "re-weighted"),
            ("items_moved", "moved"),
        ):
            n = len(getattr(self, name))
            if n:
                parts.append(f"{n} {word}")
        if parts:
            first = parts[0].split(" ", 1)
            parts[0] = f"{first[0]} {'item' if first[0] == '1' else 'items'} {first[1]}"
        for name, word in (
            ("sections_added", "added"),
            ("sections_removed", "removed"),
            ("sections_renamed", "renamed"),
        ):
            n = len(getattr(self, name))
            if n:
                parts.append(f"{n} {'section' if n == 1 else 'sections'} {word}")
        if self.checklist and not parts:
            parts.append("; ".join(self.checklist))
        return ", ".join(parts)


def changes(old: Checklist, new: Checklist) -> Changes:
    """What changed from `old` to `new` (two versions of one checklist)."""
    old_sections = {s.key: s for s in old.sections}
    new_sections = {s.key: s for s in new.sections}
    section_of_old = {i.key: s for s in old.sections for i in s.items}
    section_of_new = {i.key: s for s in new.sections for i in s.items}

    added = tuple(
        ItemChange(i.key, i.question, section_of_new[i.key].title, _rules(i))
        for i in new.items
        if old.item(i.key) is None
    )
    removed = tuple(
        ItemChange(i.key, i.question, section_of_old[i.key].title) for i in old.items if new.item(i.key) is None
    )
    reworded, reweighted, moved = [], [], []
    for item in new.items:
        before = old.item(item.key)
        if before is None:
            continue
        section = section_of_new[item.key].title
        words = _reworded(before, item)
        if words:
            reworded.append(ItemChange(item.key, item.question, section, words))
        weights = _reweighted(before, item)
        if weights:
            reweighted.append(ItemChange(item.key, item.question, section, weights))
        was_in, now_in = section_of_old[item.key], section_of_new[item.key]
        if was_in.key != now_in.key:
            moved.append(
                ItemChange(item.key, item.question, section, (f"moved from {was_in.title} to {now_in.title}",))
            )

    return Changes(
        items_added=added,
        items_removed=removed,
        items_reworded=tuple(reworded),
        items_reweighted=tuple(reweighted),
        items_moved=tuple(moved),
        sections_added=tuple(SectionChange(s.key, s.title) for s in new.sections if s.key not in old_sections),
        sections_removed=tuple(SectionChange(s.key, s.title) for s in old.sections if s.key not in new_sections),
        sections_renamed=tuple(
            SectionChange(s.key, s.title, old_sections[s.key].title)
            for s in new.sections
            if s.key in old_sections and old_sections[s.key].title != s.title
        ),
        checklist=tuple(_checklist_changes(old, new, old_sections)),
    )


def _checklist_changes(old: Checklist, new: Checklist, old_sections: dict[str, Section]) -> list[str]:
    found = []
    if old.title != new.title:
        found.append(f"title was “{old.title}”")
    if old.description != new.description:
        found.append("description changed")
    if old.plan_threshold != new.plan_threshold:
        found.append(f"action plans below {_n(old.plan_threshold)} % → below {_n(new.plan_threshold)} %")
    for s in new.sections:
        if s.key in old_sections and old_sections[s.key].description != s.description:
            found.append(f"section {s.title}: description changed")
    kept = [s.key for s in new.sections if s.key in old_sections]
    if kept != [s.key for s in old.sections if s.key in set(kept)]:
        found.append("sections in another order")
    for s in new.sections:
        if s.key not in old_sections:
            continue
        before = [i.key for i in old_sections[s.key].items]
        after = [i.key for i in s.items if i.key in before]
        if after != [k for k in before if k in after]:
            found.append(f"section {s.title}: items in another order")
    return found


def _reworded(old: Item, new: Item) -> tuple[str, ...]:
    found = []
    if old.question != new.question:
        found.append(f"question was: {old.question}")
    if old.guidance != new.guidance:
        found.append(f"guidance was: {old.guidance}")
    if old.labels != new.labels:
        found.append(f"scale labels were: {', '.join(old.labels)}" if old.labels else "scale labels added")
    olds = {o.key: o for o in old.options}
    for o in new.options:
        if o.key in olds and olds[o.key].label != o.label:
            found.append(f"option {o.label} was {olds[o.key].label}")
    if old.unit != new.unit:
        found.append(f"unit {old.unit or '(none)'} → {new.unit or '(none)'}")
    return tuple(found)


def _reweighted(old: Item, new: Item) -> tuple[str, ...]:
    found = []
    if old.type != new.type:
        found.append(f"type {old.type} → {new.type}")
    if old.points != new.points:
        found.append(f"points {_n(old.points)} → {_n(new.points)}")
    if old.critical != new.critical:
        found.append("now critical" if new.critical else "no longer critical")
    if old.allow_na != new.allow_na:
        found.append("N/A now allowed" if new.allow_na else "N/A no longer allowed")
    if old.required != new.required:
        found.append("now required" if new.required else "now optional")
    found += _option_changes(old.options, new.options)
    if old.bands != new.bands:
        found.append(f"bands were {bands_text(old) or 'none'}; now {bands_text(new) or 'none'}")
    if (old.min, old.max) != (new.min, new.max):
        word = "scale" if new.type == "scale" and old.type == "scale" else "allowed range"
        found.append(f"{word} {_range(old)} → {_range(new)}")
    return tuple(found)


def _option_changes(old: tuple[Option, ...], new: tuple[Option, ...]) -> list[str]:
    olds, news = {o.key: o for o in old}, {o.key: o for o in new}
    found = [f"option {o.label} added ({_points(o.points)})" for o in new if o.key not in olds]
    found += [f"option {o.label} removed" for o in old if o.key not in news]
    found += [
        f"option {o.label} {_n(olds[o.key].points)} → {_n(o.points)}"
        for o in new
        if o.key in olds and olds[o.key].points != o.points
    ]
    return found


def bands_text(item: Item) -> str:
    """ "up to 30 seconds: 3, up to 60: 1.5, more: 0"."""
    return ", ".join(band_text(item, n) for n in range(len(item.bands)))


def band_text(item: Item, n: int) -> str:
    band: Band = item.bands[n]
    unit = f" {item.unit}" if item.unit and n == 0 else ""
    if band.upto is not None:
        return f"up to {_n(band.upto)}{unit}: {_n(band.points)}"
    above = item.bands[n - 1].upto if n else None
    return f"above {_n(above)}: {_n(band.points)}" if above is not None else f"any: {_n(band.points)}"


def _range(item: Item) -> str:
    if item.min is None and item.max is None:
        return "any"
    low = "" if item.min is None else _n(item.min)
    high = "" if item.max is None else _n(item.max)
    return f"{low}–{high}"


def _points(value: float) -> str:
    return f"{_n(value)} point{'' if value == 1 else 's'}"


def _n(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _rules(item: Item) -> tuple[str, ...]:
    """An added item's weight and rules, as the change list shows them."""
    found = [_points(item.points) if item.scored else "not scored"]
    if item.critical:
        found.append("critical")
    if item.allow_na:
        found.append("N/A allowed")
    return tuple(found)
