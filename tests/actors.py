"""Named test actors and a small company, the same in every test that needs one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.domain.checklist import Checklist, Item
from audit.services import checklists, organisation
from audit.settings import ROOT
from audit.storage.db import Database

VISIT_END = datetime(2026, 11, 2, 11, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Org:
    owner: int
    north_manager: int
    south_manager: int
    shopper: int
    other_shopper: int
    main: Checklist
    quick: Checklist


def make_org(db: Database) -> Org:
    organisation.add_region(db, "NTH", "North")
    organisation.add_region(db, "STH", "South")
    organisation.add_store(db, "NTH-001", "Leeds", "NTH")
    organisation.add_store(db, "NTH-002", "York", "NTH")
    organisation.add_store(db, "STH-001", "Brighton", "STH")
    for path in sorted((ROOT / "checklists").glob("*.toml")):
        checklists.import_file(db, path)
    return Org(
        owner=organisation.add_user(db, "owner@example.com", "owner"),
        north_manager=organisation.add_user(db, "north@example.com", "manager"),
        south_manager=organisation.add_user(db, "south@example.com", "manager"),
        shopper=organisation.add_user(db, "shopper@example.com", "shopper"),
        other_shopper=organisation.add_user(db, "other@example.com", "shopper"),
        main=checklists.current(db, "customer-service"),
        quick=checklists.current(db, "quick-visit"),
    )


def good_value(item: Item) -> Any:
    """The best possible answer to an item."""
    if item.type == "yesno":
        return "yes"
    if item.type == "scale":
        return int(item.max or 5)
    if item.type == "choice":
        return max(item.options, key=lambda o: o.points).key
    if item.type == "number":
        return 5
    return "Sam, green fleece"


def answers_for(spec: Checklist, **overrides: Any) -> dict[str, dict[str, Any]]:
    """Every item answered at its best, then `overrides` (item key -> value; None drops it)."""
    answers = {item.key: {"value": good_value(item)} for item in spec.items if item.type != "photo"}
    for key, value in overrides.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = {"value": value}
    return answers


def body(spec: Checklist, store: str = "NTH-001", finished: datetime = VISIT_END, **overrides: Any) -> dict[str, Any]:
    """A complete, valid JSON body for POST /api/audits."""
    answers = overrides.pop("answers", None) or answers_for(spec)
    data = {
        "id": str(uuid.uuid4()),
        "store": store,
        "checklist": spec.key,
        "checklist_version": spec.version,
        "started_at": (finished - timedelta(minutes=20)).isoformat(),
        "finished_at": finished.isoformat(),
        "answers": answers,
        "notes": "Quiet Monday morning.",
    }
    data.update(overrides)
    return data
