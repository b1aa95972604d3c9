"""Reading a stored audit: the shape the API answers with, the page and the PDF read,
a shopper's list of their own, and its photos. Every read is scoped: what the viewer
may not see does not exist (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field

from audit.domain.checklist import INTERNAL_ITEMS, Checklist
from audit.services import checklists, scoped
from audit.services.access import Viewer
from audit.services.audits import review
from audit.services.scores import coaching
from audit.storage import models
from audit.storage.db import Database
from audit.storage.models import ReviewState, Role


class AnswerOut(BaseModel):
    value: str | int | float | None
    comment: str
    na: bool
    earned: float
    possible: float
    failed: bool


class SectionOut(BaseModel):
    key: str
    earned: float
    possible: float
    score: float | None


class AuditOut(BaseModel):
    """A stored audit with its scores, as submitted and as read back."""

    id: str
    store: str
    checklist: str
    checklist_version: str
    shopper_id: int | None
    started_at: datetime
    finished_at: datetime
    submitted_at: datetime
    notes: str
    score: float | None = Field(description="percent, one decimal; 0 when a critical item failed")
    earned: float
    possible: float
    critical_failed: bool
    critical_failures: list[str]
    excluded: bool
    excluded_reason: str
    excluded_by: str | None = Field(default=None, description="email of who excluded it")
    excluded_at: datetime | None = None
    revision: int = Field(description="1, then one more each time it is resubmitted after being sent back")
    review_state: Literal["submitted", "approved", "sent_back"]
    needs_review: bool = Field(description="made while review was required: counts only once approved")
    review_note: str = Field(description="what the manager asked to fix, when sent back")
    sections: list[SectionOut]
    answers: dict[str, AnswerOut]


def shaped(
    a: dict[str, Any], store: str, spec: Checklist, sections: list[dict[str, Any]], answers: list[dict[str, Any]]
) -> dict[str, Any]:
    """The shape of `AuditOut`, built as plain data: this is the hot path of every submission."""
    critical = spec.critical_keys
    return {
        "id": a["id"],
        "store": store,
        "checklist": spec.key,
        "checklist_version": spec.version,
        "shopper_id": a["shopper_id"],
        "started_at": a["started_at"],
        "finished_at": a["finished_at"],
        "submitted_at": a["submitted_at"],
        "notes": a["notes"],
        "score": a["score"],
        "earned": a["earned"],
        "possible": a["possible"],
        "critical_failed": bool(a["critical_failed"]),
        "critical_failures": [r["item_key"] for r in answers if r["item_key"] in critical and r["failed"]],
        "excluded": bool(a["excluded"]),
        "excluded_reason": a["excluded_reason"],
        "excluded_by": a.get("excluded_by"),
        "excluded_at": a["excluded_at"],
        "revision": a["revision"],
        "review_state": a["review_state"],
        "needs_review": bool(a["needs_review"]),
        "review_note": a["review_note"],
        "sections": [
            {
                "key": s["section_key"],
                "earned": s["earned"],
                "possible": s["possible"],
                "score": s["score"],
            }
            for s in sections
        ],
        "answers": {
            r["item_key"]: {
                "value": r["value"],
                "comment": r["comment"],
                "na": bool(r["na"]),
                "earned": r["earned"],
                "possible": r["possible"],
                "failed": bool(r["failed"]),
            }
            for r in answers
        },
    }


@dataclass(frozen=True)
class AuditLine:
    id: str
    store: str
    store_name: str
    finished_at: datetime
    score: float | None
    critical_failed: bool
    excluded: bool
    needs_review: bool = False
    review_state: str = ReviewState.SUBMITTED

    @property
    def waits_for_review(self) -> bool:
        return self.needs_review and self.review_state == ReviewState.SUBMITTED


def for_shopper(db: Database, shopper_id: int, limit: int = 50) -> list[AuditLine]:
    """A shopper's own submitted audits, newest first (those sent back are listed apart)."""
    query = (
        sa.select(
            models.Audit.id,
            models.Store.code,
            models.Store.name,
            models.Audit.finished_at,
            models.Audit.score,
            models.Audit.critical_failed,
            models.Audit.excluded,
            models.Audit.needs_review,
            models.Audit.review_state,
        )
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .where(models.Audit.shopper_id == shopper_id, models.Audit.review_state != ReviewState.SENT_BACK)
        .order_by(models.Audit.finished_at.desc())
        .limit(limit)
    )
    with db.session() as session:
        return [AuditLine(*row) for row in session.execute(query).all()]


def get(db: Database, audit_id: str, viewer: Viewer | None = None) -> dict[str, Any]:
    """The stored audit, shaped as `AuditOut`; NotFound also when `viewer` may not see it."""
    return get_with_store_name(db, audit_id, viewer)[0]


def get_with_store_name(
    db: Database, audit_id: str, viewer: Viewer | None = None, for_store: bool = False
) -> tuple[dict[str, Any], str]:
    """`get`, and the name of the audit's store (read with it) for pages that head with it; the
    store's copy when asked (`for_store`), and always for a store's manager."""
    with db.session() as session:
        audit = scoped.audit(session, viewer, audit_id)
        store = scoped.audit_store(session, audit)
        sections = session.scalars(sa.select(models.AuditSection).where(models.AuditSection.audit_id == audit_id)).all()
        answers = session.scalars(sa.select(models.Answer).where(models.Answer.audit_id == audit_id)).all()
        excluded_by = session.get(models.User, audit.excluded_by_id) if audit.excluded_by_id else None
    spec = checklists.version(db, audit.checklist_version_id)
    assert spec is not None and store is not None
    order = {item.key: n for n, item in enumerate(spec.items)}
    section_order = {s.key: n for n, s in enumerate(spec.sections)}
    shaped_audit = shaped(
        {**audit.model_dump(), "excluded_by": excluded_by.email if excluded_by else None},
        store=store.code,
        spec=spec,
        sections=sorted((s.model_dump() for s in sections), key=lambda s: section_order.get(s["section_key"], 0)),
        answers=sorted((r.model_dump() for r in answers), key=lambda r: order.get(r["item_key"], 0)),
    )
    if for_store or (viewer is not None and viewer.is_store_manager):
        shaped_audit = store_copy(shaped_audit)
    return shaped_audit, store.name


def store_copy(audit: dict[str, Any]) -> dict[str, Any]:
    """The audit as its store reads it: who the shopper was, who excluded or reviewed it and
    why, and the items that describe staff are left out (the store sees what was found)."""
    return {
        **audit,
        "shopper_id": None,
        "excluded_reason": "",
        "excluded_by": None,
        "review_note": "",
        "critical_failures": [key for key in audit["critical_failures"] if key not in INTERNAL_ITEMS],
        "answers": {key: answer for key, answer in audit["answers"].items() if key not in INTERNAL_ITEMS},
    }


@dataclass(frozen=True)
class PhotoFile:
    content_type: str
    data: bytes


def photo(db: Database, viewer: Viewer, photo_id: str) -> PhotoFile:
    """A photo of an audit the viewer may see (NotFound otherwise, as for the audit)."""
    with db.session() as session:
        found = scoped.photo(session, viewer, photo_id)
        return PhotoFile(found.content_type, found.data)


def photo_ids(db: Database, audit_id: str) -> dict[str, list[str]]:
    """The stored photos of an audit, by item key."""
    with db.session() as session:
        rows = session.execute(
            sa.select(models.Photo.item_key, models.Photo.id)
            .where(models.Photo.audit_id == audit_id)
            .order_by(models.Photo.created_at)
        ).all()
    result: dict[str, list[str]] = {}
    for key, photo_id in rows:
        result.setdefault(key, []).append(photo_id)
    return result


@dataclass(frozen=True)
class AuditView:
    """One audit as its page and its PDF show it: built here once, rendered by
    `templates/audit.html` and `templates/reports/audit.html`."""

    audit: dict[str, Any]  # shaped as AuditOut
    spec: Checklist
    store_name: str
    region: str
    region_name: str
    shopper: str  # "Name (email)", for staff only: the store's copy never prints it
    photos: dict[str, list[str]]  # photo ids by item key ("" for the visit as a whole)
    history: list[review.Event]
    version: checklists.VersionName | None = None  # "v3 · 4 Dec 2026": the checklist version, readable
    for_store: bool = False  # the store's copy: no shopper, no internal items or notes, no history
    coaching: coaching.Coaching | None = None  # the store's copy: its missed behaviours with the guidance
    zone: str = "UTC"  # the time zone its times are shown in (see `view`)

    @property
    def hidden(self) -> frozenset[str]:
        """Items the page or PDF leaves out."""
        return INTERNAL_ITEMS if self.for_store else frozenset()

    @property
    def sections(self) -> dict[str, dict[str, Any]]:
        return {s["key"]: s for s in self.audit["sections"]}

    @property
    def loose_photos(self) -> list[str]:
        """Photos of the visit as a whole (or of an item the checklist no longer has)."""
        return [p for key, found in self.photos.items() if self.spec.item(key) is None for p in found]


def view(db: Database, viewer: Viewer, audit_id: str, for_store: bool = False) -> AuditView:
    """The audit, with its store, region, shopper, photos and history; NotFound when the
    viewer may not see it (as for one that does not exist). A store's manager always gets
    the store's copy (`for_store`), whatever they ask for."""
    for_store = for_store or viewer.is_store_manager
    audit, store_name = get_with_store_name(db, audit_id, viewer, for_store)
    spec = checklists.version(db, audit["checklist_version"])
    assert spec is not None
    query = (
        sa.select(models.Region.code, models.Region.name, models.User.name, models.User.email, models.Store.timezone)
        .select_from(models.Audit)
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .join(models.Region, models.Region.id == models.Store.region_id)
        .outerjoin(models.User, models.User.id == models.Audit.shopper_id)
        .where(models.Audit.id == audit["id"])
    )
    with db.session() as session:
        region, region_name, name, email, store_zone = session.execute(query).one()
    shopper = "" if for_store else f"{name} ({email})" if name and email else email or "not recorded"
    history = [] if for_store else review.history(db, audit["id"])
    photos = {
        key: found for key, found in photo_ids(db, audit["id"]).items() if not for_store or key not in INTERNAL_ITEMS
    }
    name = checklists.version_name(db, spec.version)
    coached = coaching.for_audit(db, audit, spec) if for_store else None
    # its shopper reads the visit's times as they were in the store, as the form showed them;
    # staff read every audit in the company's zone, as their lists and reports show them
    zone = store_zone if viewer.role == Role.SHOPPER and store_zone else db.settings.timezone
    return AuditView(
        audit, spec, store_name, region, region_name, shopper, photos, history, name, for_store, coached, zone
    )
