"""Planned visits: which shopper goes to which store, with which checklist, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from audit.errors import Conflict, Invalid, NotFound, Problem
from audit.storage import models
from audit.storage.db import Database


@dataclass(frozen=True)
class AssignmentInfo:
    id: int
    shopper: str
    store: str
    store_name: str
    checklist: str
    starts_on: date
    ends_on: date


def add(
    db: Database, shopper_email: str, store_code: str, checklist_key: str, starts_on: date, ends_on: date
) -> AssignmentInfo:
    """Plans a visit; refuses one that repeats a planned visit of the same shopper, store and checklist."""
    if ends_on < starts_on:
        raise Invalid(problems=[Problem("ends_on", "the window ends before it starts")])
    email, code = shopper_email.strip().lower(), store_code.strip().upper()
    with db.write_session() as session:
        shopper = session.scalar(sa.select(models.User).where(models.User.email == email))
        if shopper is None:
            raise NotFound(f"no user {email!r}")
        if shopper.role != "shopper":
            raise Invalid(problems=[Problem("shopper", f"{shopper.email} is a {shopper.role}, not a shopper")])
        store = session.scalar(sa.select(models.Store).where(models.Store.code == code))
        if store is None:
            raise NotFound(f"no store {code!r}")
        if session.get(models.Checklist, checklist_key) is None:
            raise NotFound(f"no checklist {checklist_key!r}")
        clash = session.scalar(
            sa.select(models.Assignment).where(
                models.Assignment.shopper_id == shopper.id,
                models.Assignment.store_id == store.id,
                models.Assignment.checklist_key == checklist_key,
                models.Assignment.cancelled.is_(False),
                models.Assignment.starts_on <= ends_on,
                models.Assignment.ends_on >= starts_on,
            )
        )
        if clash is not None:
            raise Conflict(
                f"{email} already has this visit planned: assignment {clash.id}, {clash.starts_on} to {clash.ends_on}"
            )
        assignment = models.Assignment(
            shopper_id=shopper.id,
            store_id=store.id,
            checklist_key=checklist_key,
            starts_on=starts_on,
            ends_on=ends_on,
            created_at=models.now(),
        )
        session.add(assignment)
        session.flush()
        assert assignment.id is not None
        return AssignmentInfo(assignment.id, email, code, store.name, checklist_key, starts_on, ends_on)


def listing(db: Database, shopper_email: str | None = None, from_day: date | None = None) -> list[AssignmentInfo]:
    """Assignments (not cancelled) whose window has not ended before `from_day`, soonest first."""
    query = (
        sa.select(
            models.Assignment.id,
            models.User.email,
            models.Store.code,
            models.Store.name,
            models.Assignment.checklist_key,
            models.Assignment.starts_on,
            models.Assignment.ends_on,
        )
        .join(models.User, models.User.id == models.Assignment.shopper_id)
        .join(models.Store, models.Store.id == models.Assignment.store_id)
        .where(models.Assignment.cancelled.is_(False))
        .order_by(models.Assignment.starts_on, models.Store.code)
    )
    if shopper_email:
        query = query.where(models.User.email == shopper_email.strip().lower())
    if from_day:
        query = query.where(models.Assignment.ends_on >= from_day)
    with db.session() as session:
        return [AssignmentInfo(*row) for row in session.execute(query).all()]


_MAY_VISIT = (
    sa.select(models.Assignment.id)
    .join(models.Store, models.Store.id == models.Assignment.store_id)
    .where(
        models.Assignment.shopper_id == sa.bindparam("shopper_id"),
        models.Store.code == sa.bindparam("store_code"),
        models.Assignment.cancelled.is_(False),
    )
    .limit(1)
)


def may_visit(db: Database, shopper_id: int, store_code: str) -> bool:
    """A shopper submits audits only for stores they were sent to (any planned visit,
    whatever its dates: an audit made offline may arrive after its window)."""
    with db.engine.connect() as connection:
        return connection.execute(_MAY_VISIT, {"shopper_id": shopper_id, "store_code": store_code}).first() is not None


def submission_problems(db: Database, assignment_id: int, shopper_id: int | None, store_code: str) -> list[Problem]:
    """Why an audit cannot be the report of this planned visit (none when it can)."""
    query = (
        sa.select(models.Assignment.shopper_id, models.Assignment.cancelled, models.Store.code)
        .join(models.Store, models.Store.id == models.Assignment.store_id)
        .where(models.Assignment.id == assignment_id)
    )
    with db.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None or (shopper_id is not None and row.shopper_id != shopper_id):
        return [Problem("assignment", f"no planned visit {assignment_id} for you")]
    if row.code != store_code:
        return [Problem("assignment", f"planned visit {assignment_id} is to store {row.code}, not {store_code}")]
    return []
