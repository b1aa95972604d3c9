"""Planned visits: which shopper goes to which store, with which checklist, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from audit.errors import Invalid, NotFound, Problem
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


def add(db: Database, shopper_email: str, store_code: str, checklist_key: str, starts_on: date, ends_on: date) -> int:
    if ends_on < starts_on:
        raise Invalid(problems=[Problem("ends_on", "the window ends before it starts")])
    with db.write_session() as session:
        shopper = session.scalar(sa.select(models.User).where(models.User.email == shopper_email.strip().lower()))
        if shopper is None:
            raise NotFound(f"no user {shopper_email!r}")
        if shopper.role != "shopper":
            raise Invalid(problems=[Problem("shopper", f"{shopper.email} is a {shopper.role}, not a shopper")])
        store_id = session.scalar(sa.select(models.Store.id).where(models.Store.code == store_code.strip().upper()))
        if store_id is None:
            raise NotFound(f"no store {store_code!r}")
        if session.get(models.Checklist, checklist_key) is None:
            raise NotFound(f"no checklist {checklist_key!r}")
        assignment = models.Assignment(
            shopper_id=shopper.id,
            store_id=store_id,
            checklist_key=checklist_key,
            starts_on=starts_on,
            ends_on=ends_on,
            created_at=models.now(),
        )
        session.add(assignment)
        session.flush()
        assert assignment.id is not None
        return assignment.id


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


def may_visit(db: Database, shopper_id: int, store_code: str) -> bool:
    """A shopper submits audits only for stores they were sent to (any planned visit,
    whatever its dates: an audit made offline may arrive after its window)."""
    query = (
        sa.select(models.Assignment.id)
        .join(models.Store, models.Store.id == models.Assignment.store_id)
        .where(
            models.Assignment.shopper_id == shopper_id,
            models.Store.code == store_code,
            models.Assignment.cancelled.is_(False),
        )
        .limit(1)
    )
    with db.session() as session:
        return session.scalar(query) is not None
