"""Rows for spreadsheets and integrations: audits with scores, and every answer, of a period.

Rows are streamed from the database in chunks (`yield_per`), so a year of a large
region never sits in memory at once. Dates are ISO 8601 in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from audit.domain.periods import Period
from audit.errors import NotFound
from audit.services.access import Viewer
from audit.storage import models
from audit.storage.db import Database

AUDIT_HEADER = [
    "audit_id", "store", "store_name", "region", "checklist", "checklist_version", "started_at", "finished_at",
    "submitted_at", "score", "earned", "possible", "critical_failed", "excluded", "excluded_reason",
]  # fmt: skip
ANSWER_HEADER = [
    "audit_id", "store", "finished_at", "checklist_version", "section", "item", "value", "na", "earned",
    "possible", "failed", "comment",
]  # fmt: skip


def _region_id(db: Database, viewer: Viewer, code: str) -> int:
    with db.session() as session:
        region_id = session.scalar(sa.select(models.Region.id).where(models.Region.code == code.upper()))
    if region_id is None or not viewer.sees_region(region_id):
        raise NotFound(f"no region {code!r}")
    return region_id


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _stream(db: Database, query: sa.Select, region_id: int, period: Period) -> Iterator[list[Any]]:
    """The rows of the region's audits finished in the period, fetched in chunks."""
    query = query.where(
        models.Store.region_id == region_id,
        models.Audit.finished_at >= period.start,
        models.Audit.finished_at < period.end,
    ).execution_options(yield_per=2000)
    with db.session() as session:
        for row in session.execute(query):
            yield [_iso(v) for v in row]


def audit_rows(db: Database, viewer: Viewer, region: str, period: Period) -> Iterator[list[Any]]:
    region_id = _region_id(db, viewer, region)
    query = (
        sa.select(
            models.Audit.id,
            models.Store.code,
            models.Store.name,
            models.Region.code,
            models.ChecklistVersion.checklist_key,
            models.Audit.checklist_version_id,
            models.Audit.started_at,
            models.Audit.finished_at,
            models.Audit.submitted_at,
            models.Audit.score,
            models.Audit.earned,
            models.Audit.possible,
            models.Audit.critical_failed,
            models.Audit.excluded,
            models.Audit.excluded_reason,
        )
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .join(models.Region, models.Region.id == models.Store.region_id)
        .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
        .order_by(models.Audit.finished_at, models.Audit.id)
    )
    yield from _stream(db, query, region_id, period)


def answer_rows(db: Database, viewer: Viewer, region: str, period: Period) -> Iterator[list[Any]]:
    region_id = _region_id(db, viewer, region)
    query = (
        sa.select(
            models.Answer.audit_id,
            models.Store.code,
            models.Audit.finished_at,
            models.Audit.checklist_version_id,
            models.Answer.section_key,
            models.Answer.item_key,
            models.Answer.value,
            models.Answer.na,
            models.Answer.earned,
            models.Answer.possible,
            models.Answer.failed,
            models.Answer.comment,
        )
        .join(models.Audit, models.Audit.id == models.Answer.audit_id)
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .order_by(models.Audit.finished_at, models.Answer.audit_id, models.Answer.item_key)
    )
    yield from _stream(db, query, region_id, period)
