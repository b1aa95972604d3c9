"""A shopper's own view of their work: the visits still to make and the audits sent.

"My visits" on the phone is built from this, and so is the list of forms the
service worker caches so that every planned visit opens with no signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from audit.domain.checklist import Checklist
from audit.errors import NotFound
from audit.services import audits, checklists
from audit.services.access import Viewer
from audit.services.audits import review
from audit.storage import models
from audit.storage.db import Database


@dataclass(frozen=True)
class Visit:
    """A planned visit not yet reported by an audit."""

    id: int
    store: str
    store_name: str
    checklist: str
    checklist_title: str
    starts_on: date
    ends_on: date
    zone: str = ""  # the store's time zone; empty: the company's

    def state(self, today: date) -> str:
        if self.ends_on < today:
            return "overdue"
        return "due" if self.starts_on <= today else "upcoming"


@dataclass(frozen=True)
class VisitForm:
    """What the form page needs: the visit and the checklist version to fill in."""

    visit: Visit
    spec: Checklist


def planned(db: Database, shopper_id: int, from_day: date) -> list[Visit]:
    """Open visits of the shopper: not cancelled, not yet reported, overdue ones from `from_day`."""
    reported = sa.select(models.Audit.id).where(models.Audit.assignment_id == models.Assignment.id).exists()
    query = _visits().where(
        models.Assignment.shopper_id == shopper_id,
        models.Assignment.cancelled.is_(False),
        models.Assignment.ends_on >= from_day,
        ~reported,
    )
    with db.engine.connect() as connection:
        return [Visit(*row) for row in connection.execute(query)]


def form(db: Database, viewer: Viewer, assignment_id: int) -> VisitForm:
    """The visit's form with the current version of its checklist; only for its own shopper."""
    query = _visits().where(models.Assignment.id == assignment_id, models.Assignment.shopper_id == viewer.id)
    with db.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        raise NotFound(f"no planned visit {assignment_id}")
    visit = Visit(*row)
    return VisitForm(visit, checklists.current(db, visit.checklist))


def store_zones(db: Database, codes: set[str]) -> dict[str, str]:
    """The time zone of each of these stores that has one of its own (the others keep the company's)."""
    if not codes:
        return {}
    query = sa.select(models.Store.code, models.Store.timezone).where(
        models.Store.code.in_(sorted(codes)), models.Store.timezone != ""
    )
    with db.engine.connect() as connection:
        return {code: zone for code, zone in connection.execute(query)}


def _visits() -> sa.Select:
    return (
        sa.select(
            models.Assignment.id,
            models.Store.code,
            models.Store.name,
            models.Assignment.checklist_key,
            models.Checklist.title,
            models.Assignment.starts_on,
            models.Assignment.ends_on,
            models.Store.timezone,
        )
        .join(models.Store, models.Store.id == models.Assignment.store_id)
        .join(models.Checklist, models.Checklist.key == models.Assignment.checklist_key)
        .order_by(models.Assignment.starts_on, models.Store.code, models.Assignment.id)
    )


@dataclass(frozen=True)
class MyVisits:
    """What My visits shows: the visits to make (from `since`), the audits sent back, the
    audits sent (the latest `limit`), and the time zone of each store they name."""

    planned: list[Visit]
    sent_back: list[review.SentBack]
    done: list[audits.AuditLine]
    zones: dict[str, str]


def my_visits(db: Database, shopper_id: int, since: date, limit: int) -> MyVisits:
    planned_visits = planned(db, shopper_id, since)
    done = audits.for_shopper(db, shopper_id, limit)
    sent_back = review.sent_back_to(db, shopper_id)
    zones = store_zones(db, {a.store for a in done} | {a.store for a in sent_back})
    return MyVisits(planned_visits, sent_back, done, zones)
