"""Review: when review is required, an audit counts only once a manager of its region
approves it; a manager may send it back to its shopper with a note, and the shopper
resubmits it as a new revision of the same audit. Every step stays in its history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from audit.domain.checklist import Checklist
from audit.errors import Conflict, Invalid, NotFound, Problem
from audit.services import checklists, plans, scoped
from audit.services.access import Viewer
from audit.storage import models
from audit.storage.db import Database
from audit.storage.models import ReviewState

MAX_NOTE = 2000


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    revision: int
    who: str
    note: str
    snapshot: dict[str, Any] | None


@dataclass(frozen=True)
class Waiting:
    """An audit waiting for a manager's decision."""

    id: str
    store: str
    store_name: str
    shopper: str
    finished_at: datetime
    score: float | None
    revision: int


@dataclass(frozen=True)
class SentBack:
    """An audit of the shopper's that a manager sent back, with what to fix."""

    id: str
    store: str
    store_name: str
    finished_at: datetime
    note: str
    revision: int


@dataclass(frozen=True)
class Revision:
    """What the form needs to fix a sent-back audit: the spec it was made with, its answers."""

    id: str
    store: str
    store_name: str
    assignment_id: int | None
    revision: int
    note: str
    spec: Checklist
    draft: dict[str, Any]


def _reviewable(session: sa.orm.Session, viewer: Viewer, audit_id: str) -> models.Audit:
    audit = scoped.audit(session, viewer, audit_id, staff_only=True)
    if audit.review_state != ReviewState.SUBMITTED:
        word = "approved" if audit.review_state == ReviewState.APPROVED else "sent back"
        raise Conflict(f"the audit is already {word}", problems=[Problem("review", f"already {word}")])
    return audit


def record(
    session: sa.orm.Session,
    audit_id: str,
    actor_id: int | None,
    kind: str,
    revision: int,
    note: str = "",
    snapshot: dict[str, Any] | None = None,
) -> None:
    session.add(
        models.AuditEvent(
            audit_id=audit_id, at=models.now(), actor_id=actor_id, kind=kind, revision=revision, note=note,
            snapshot=snapshot,
        )
    )  # fmt: skip


def approve(db: Database, viewer: Viewer, audit_id: str) -> None:
    """The audit counts from now on (if it needed review)."""
    with db.write_session() as session:
        audit = _reviewable(session, viewer, audit_id)
        audit.review_state, audit.reviewed_by_id, audit.reviewed_at = ReviewState.APPROVED, viewer.id, models.now()
        record(session, audit_id, viewer.id, "approved", audit.revision)
        if audit.needs_review and not audit.excluded:  # it counts from now: its store's action plan
            _count_in_plans(db, session, viewer, audit)


def _count_in_plans(db: Database, session: sa.orm.Session, viewer: Viewer, audit: models.Audit) -> None:
    spec = checklists.version(db, audit.checklist_version_id)
    assert spec is not None
    answers = sa.select(models.Answer.item_key, models.Answer.na, models.Answer.possible, models.Answer.failed).where(
        models.Answer.audit_id == audit.id
    )
    counted = plans.Counted(
        audit.id, audit.store_id, scoped.audit_store(session, audit).code, audit.finished_at, audit.score,
        audit.critical_failed, spec, lambda: session.execute(answers).all(),
    )  # fmt: skip
    plans.counted(session, [counted], viewer.id, db.settings.today())


def send_back(db: Database, viewer: Viewer, audit_id: str, note: str) -> None:
    """Back to its shopper with what to fix; it does not count until resubmitted and approved."""
    note = note.strip()
    with db.write_session() as session:
        audit = _reviewable(session, viewer, audit_id)  # who may, first: others get the 404
        if len(note) < 3:
            raise Invalid(problems=[Problem("note", "say what to fix, in a few words")])
        if len(note) > MAX_NOTE:
            raise Invalid(problems=[Problem("note", f"keep the note under {MAX_NOTE} characters")])
        audit.review_state, audit.review_note = ReviewState.SENT_BACK, note
        audit.reviewed_by_id, audit.reviewed_at = viewer.id, models.now()
        record(session, audit_id, viewer.id, "sent_back", audit.revision, note)


def history(db: Database, audit_id: str) -> list[Event]:
    """Every step after the first submission, oldest first (the audit row holds the first)."""
    who = sa.func.coalesce(models.User.name, models.User.email, "")
    query = (
        sa.select(
            models.AuditEvent.at, models.AuditEvent.kind, models.AuditEvent.revision, who,
            models.AuditEvent.note, models.AuditEvent.snapshot,
        )
        .outerjoin(models.User, models.User.id == models.AuditEvent.actor_id)
        .where(models.AuditEvent.audit_id == audit_id)
        .order_by(models.AuditEvent.at, models.AuditEvent.id)
    )  # fmt: skip
    with db.engine.connect() as connection:
        return [Event(*row) for row in connection.execute(query)]


def _lines(viewer: Viewer) -> sa.Select:
    query = (
        sa.select(
            models.Audit.id, models.Store.code, models.Store.name, models.User.email, models.Audit.finished_at,
            models.Audit.score, models.Audit.revision,
        )
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .outerjoin(models.User, models.User.id == models.Audit.shopper_id)
        .where(models.Audit.needs_review.is_(True), models.Audit.review_state == ReviewState.SUBMITTED,
               models.Audit.excluded.is_(False))
        .order_by(models.Audit.finished_at)
    )  # fmt: skip
    if not viewer.is_owner:
        query = query.where(models.Store.region_id.in_(viewer.region_ids or {-1}))
    return query


def waiting(db: Database, viewer: Viewer) -> list[Waiting]:
    """Audits of the viewer's regions waiting for a decision, oldest visit first."""
    with db.engine.connect() as connection:
        return [Waiting(*row) for row in connection.execute(_lines(viewer))]


def sent_back_to(db: Database, shopper_id: int) -> list[SentBack]:
    query = (
        sa.select(
            models.Audit.id, models.Store.code, models.Store.name, models.Audit.finished_at,
            models.Audit.review_note, models.Audit.revision,
        )
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .where(models.Audit.shopper_id == shopper_id, models.Audit.review_state == ReviewState.SENT_BACK)
        .order_by(models.Audit.finished_at)
    )  # fmt: skip
    with db.engine.connect() as connection:
        return [SentBack(*row) for row in connection.execute(query)]


def revision_form(db: Database, viewer: Viewer, audit_id: str) -> Revision:
    """A sent-back audit of the viewer's, as a draft to fix: the next revision."""
    with db.session() as session:
        audit = session.get(models.Audit, audit_id)
        if audit is None or audit.shopper_id != viewer.id or audit.review_state != ReviewState.SENT_BACK:
            raise NotFound(f"no audit {audit_id} sent back to you")
        store = session.get(models.Store, audit.store_id)
        assert store is not None
        answers = session.execute(
            sa.select(models.Answer.item_key, models.Answer.value, models.Answer.comment).where(
                models.Answer.audit_id == audit_id
            )
        ).all()
        photos = session.execute(
            sa.select(models.Photo.id, models.Photo.item_key)
            .where(models.Photo.audit_id == audit_id)
            .order_by(models.Photo.created_at)
        ).all()
        spec = checklists.version(db, audit.checklist_version_id)
        assert spec is not None
        draft = {
            "started_at": audit.started_at.isoformat(),
            "finished_at": audit.finished_at.isoformat(),
            "notes": audit.notes,
            "answers": {key: value for key, value, _ in answers if value is not None},
            "comments": {key: comment for key, _, comment in answers if comment},
            "audit_photos": [photo_id for photo_id, key in photos if not key],
            "photos": _by_item(photos),
        }
        return Revision(
            audit.id, store.code, store.name, audit.assignment_id, audit.revision + 1, audit.review_note, spec, draft
        )


def _by_item(photos: Sequence[Any]) -> dict[str, list[str]]:
    """The photos of items and beside answers, by item key, for the form to show again."""
    found: dict[str, list[str]] = {}
    for photo_id, key in photos:
        if key:
            found.setdefault(key, []).append(photo_id)
    return found
