"""Named test actors and a small company, the same in every test that needs one."""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.domain.checklist import Checklist, Item
from audit.services import checklists
from audit.services.company import organisation
from audit.services.people import accounts
from audit.services.planning import assignments
from audit.settings import ROOT
from audit.storage.db import Database

VISIT_END = datetime(2026, 11, 2, 11, 30, tzinfo=UTC)
PASSWORD = "tested-and-true-42"


@dataclass(frozen=True)
class Org:
    owner: int
    north_manager: int
    south_manager: int
    shopper: int
    other_shopper: int
    main: Checklist
    quick: Checklist
    visits: tuple[int, ...] = ()  # the shopper's planned visits: NTH-001, NTH-002


def make_org(db: Database) -> Org:
    organisation.add_region(db, "NTH", "North")
    organisation.add_region(db, "STH", "South")
    organisation.add_store(db, "NTH-001", "Leeds", "NTH")
    organisation.add_store(db, "NTH-002", "York", "NTH")
    organisation.add_store(db, "STH-001", "Brighton", "STH")
    for path in sorted((ROOT / "checklists").glob("*.toml")):
        checklists.import_file(db, path)
    org = Org(
        owner=accounts.create_user(db, "owner@example.com", "owner", "Olive", password=PASSWORD),
        north_manager=accounts.create_user(db, "north@example.com", "manager", "Nia", ("NTH",), PASSWORD),
        south_manager=accounts.create_user(db, "south@example.com", "manager", "Sol", ("STH",), PASSWORD),
        shopper=accounts.create_user(db, "shopper@example.com", "shopper", "Sam", password=PASSWORD),
        other_shopper=accounts.create_user(db, "other@example.com", "shopper", "Oti", password=PASSWORD),
        main=checklists.current(db, "customer-service"),
        quick=checklists.current(db, "quick-visit"),
    )
    # the shopper is sent to both northern stores; the other shopper to the southern one
    visits = tuple(
        assignments.add(db, "shopper@example.com", store, "customer-service", VISIT_END.date(), VISIT_END.date()).id
        for store in ("NTH-001", "NTH-002")
    )
    assignments.add(db, "other@example.com", "STH-001", "quick-visit", VISIT_END.date(), VISIT_END.date())
    return dataclasses.replace(org, visits=visits)


def count(db: Database, table: type) -> int:
    """How many rows `table` holds: the proof that a refused request wrote nothing."""
    import sqlalchemy as sa

    with db.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(table))


def picture(width: int = 40, height: int = 30, kind: str = "PNG", **params: Any) -> bytes:
    """A real picture file, as a phone or a file picker would send."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, kind, **params)
    return out.getvalue()


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


def submitted(db: Database, submitter: Any, org: Org, store: str, finished: datetime, **answers: Any) -> str:
    """Stores an audit of the main checklist as the shopper made it, with `answers` as in
    `answers_for`, sending the shopper to the store first if need be; its id."""
    from audit.services import audits

    if not assignments.may_submit(db, org.shopper, store):
        assignments.add(db, "shopper@example.com", store, org.main.key, finished.date(), finished.date())
    data = body(org.main, store=store, finished=finished, answers=answers_for(org.main, **answers))
    outcome = audits.submit(db, submitter, audits.Submission.model_validate(data), org.shopper)
    assert outcome.status == "created", outcome.problems
    return data["id"]


def csrf_of(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta"
    return match.group(1)


def sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    """Signs `client` in through the real form; later requests send the CSRF header."""
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code in (200, 303), response.text
    client.headers["X-CSRF-Token"] = csrf_of(client.get("/account/password").text)
    return client
