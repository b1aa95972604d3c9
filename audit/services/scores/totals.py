"""Store and region scores, aggregated by the database over the stored per-audit scores.

Rules (docs/scoring.md): a store's score is the mean of its audits' scores; a region's is
the mean of its stores' scores, so a store visited more often does not dominate.
Excluded audits count nowhere. A store with no audit in the period has no score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from audit.domain import periods
from audit.domain.periods import Period
from audit.domain.scoring import Aggregate
from audit.errors import NotFound
from audit.services import checklists
from audit.services.access import Viewer
from audit.storage import models
from audit.storage.db import Database


@dataclass(frozen=True)
class StoreScore:
    region: str
    region_name: str
    code: str
    name: str
    score: Aggregate | None


@dataclass(frozen=True)
class RegionScore:
    code: str
    name: str
    score: Aggregate | None
    stores: list[StoreScore]


def visible_regions(viewer: Viewer) -> frozenset[int] | None:
    """None for owners (every region), the manager's own regions otherwise."""
    return None if viewer.is_owner else viewer.region_ids


def _store_means(start: datetime, end: datetime, checklist: str = "") -> sa.Subquery:
    """Mean audit score and audit count per store for finished_at in [start, end) (of one checklist)."""
    query = sa.select(
        models.Audit.store_id,
        sa.func.avg(models.Audit.score).label("mean"),
        sa.func.count().label("n"),
    ).where(
        models.Audit.finished_at >= start,
        models.Audit.finished_at < end,
        models.counted_audits(),
        models.Audit.score.is_not(None),
    )
    if checklist:
        query = query.join(
            models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id
        ).where(models.ChecklistVersion.checklist_key == checklist)
    return query.group_by(models.Audit.store_id).subquery()


def region_scores(
    db: Database, start: datetime, end: datetime, region_ids: frozenset[int] | None = None, checklist: str = ""
) -> list[RegionScore]:
    """Every region (or those in `region_ids`) with its score and every store with its own, in code order."""
    means = _store_means(start, end, checklist)
    query = (
        sa.select(models.Region.code, models.Region.name, models.Store.code, models.Store.name, means.c.mean, means.c.n)
        .join(models.Store, models.Store.region_id == models.Region.id)
        .outerjoin(means, means.c.store_id == models.Store.id)
        .where(models.Store.archived.is_(False))
        .order_by(models.Region.code, models.Store.code)
    )
    region_query = (
        sa.select(
            models.Region.code,
            sa.func.avg(means.c.mean),
            sa.func.coalesce(sa.func.sum(means.c.n), 0),
        )
        .join(models.Store, models.Store.region_id == models.Region.id)
        .join(means, means.c.store_id == models.Store.id)
        .where(models.Store.archived.is_(False))
        .group_by(models.Region.code)
    )
    if region_ids is not None:
        query = query.where(models.Region.id.in_(region_ids))
        region_query = region_query.where(models.Region.id.in_(region_ids))
    with db.session() as session:
        rows = session.execute(query).all()
        region_totals = {code: Aggregate(float(mean), int(n)) for code, mean, n in session.execute(region_query).all()}
    regions: dict[str, RegionScore] = {}
    for region, region_name, code, name, mean, n in rows:
        entry = regions.setdefault(region, RegionScore(region, region_name, region_totals.get(region), []))
        score = Aggregate(float(mean), int(n)) if mean is not None else None
        entry.stores.append(StoreScore(region, region_name, code, name, score))
    return list(regions.values())


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    stores: int
    stores_audited: int
    score: Aggregate | None
    previous: Aggregate | None
    rank: int | None

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return round(self.score.score - self.previous.score, 1)


def company(db: Database, viewer: Viewer, period: Period, checklist: str = "") -> list[RegionRow]:
    """Every region the viewer sees, side by side: score, audits, change and rank."""
    checklist = checklist or db.settings.default_checklist
    visible = visible_regions(viewer)
    now = region_scores(db, period.start, period.end, visible, checklist)
    before = {r.code: r.score for r in region_scores(db, *_range(period.previous()), visible, checklist)}
    ranked = sorted((r for r in now if r.score), key=lambda r: -r.score.mean)  # type: ignore[union-attr]
    ranks = {r.code: n for n, r in enumerate(ranked, start=1)}
    rows = [
        RegionRow(
            r.code,
            r.name,
            len(r.stores),
            sum(1 for s in r.stores if s.score),
            r.score,
            before.get(r.code),
            ranks.get(r.code),
        )
        for r in now
    ]
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.code))  # best first, unaudited last


@dataclass(frozen=True)
class CompanyPage:
    """The company page: every region the viewer sees, and the checklists to choose from."""

    rows: list[RegionRow]
    checklist: str
    checklists: list[tuple[str, str]]


def company_page(db: Database, viewer: Viewer, period: Period, checklist: str = "") -> CompanyPage:
    checklist = checklist or db.settings.default_checklist
    return CompanyPage(company(db, viewer, period, checklist), checklist, checklists.choices(db))


@dataclass(frozen=True)
class Overview:
    """The staff's home page: each region they see with its stores' scores over the last 90
    days, for the company's default checklist (scores of two checklists never mix)."""

    regions: list[RegionScore]
    period: Period
    checklist_title: str


def overview(db: Database, viewer: Viewer, today: date) -> Overview:
    period = periods.resolve(today, db.settings.timezone, "90d")
    try:
        spec = checklists.current(db, db.settings.default_checklist)
    except NotFound:
        return Overview(region_scores(db, period.start, period.end, visible_regions(viewer), ""), period, "")
    regions = region_scores(db, period.start, period.end, visible_regions(viewer), spec.key)
    return Overview(regions, period, spec.title)


def _range(period: Period) -> tuple[datetime, datetime]:
    return period.start, period.end
