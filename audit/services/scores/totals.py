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


def period_first(version: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """An audit's checklist version as a join over every store compares it, so that the
    database reads the period's range of ix_audits_finished_covering (migration 0015) and not
    every audit of the checklist: SQLite, without statistics, prefers an index matching an
    equality (checklist_version_id) to one matching a range (finished_at), and a period is a
    few percent of a checklist's history. The column is never null, so its coalesce is the
    same value, but no index matches it."""
    return sa.func.coalesce(version, "")


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
            models.ChecklistVersion, models.ChecklistVersion.id == period_first(models.Audit.checklist_version_id)
        ).where(models.ChecklistVersion.checklist_key == checklist)
    return query.group_by(models.Audit.store_id).subquery()


def region_scores(
    db: Database, start: datetime, end: datetime, region_ids: frozenset[int] | None = None, checklist: str = ""
) -> list[RegionScore]:
    """Every region (or those in `region_ids`) with its score and every store with its own, in code order."""
    means = _store_means(start, end, checklist)
    region = models.Region.code
    # the region's score (the mean of its stores' means) read beside each store by window
    # functions: one pass over the period's audits instead of a second grouped query
    query = (
        sa.select(
            region,
            models.Region.name,
            models.Store.code,
            models.Store.name,
            means.c.mean,
            means.c.n,
            sa.func.avg(means.c.mean).over(partition_by=region),
            sa.func.sum(means.c.n).over(partition_by=region),
        )
        .join(models.Store, models.Store.region_id == models.Region.id)
        .outerjoin(means, means.c.store_id == models.Store.id)
        .where(models.Store.archived.is_(False))
        .order_by(region, models.Store.code)
    )
    if region_ids is not None:
        query = query.where(models.Region.id.in_(region_ids))
    with db.session() as session:
        rows = session.execute(query).all()
    regions: dict[str, RegionScore] = {}
    for code_of_region, region_name, code, name, mean, n, region_mean, region_n in rows:
        total = Aggregate(float(region_mean), int(region_n)) if region_mean is not None else None
        entry = regions.setdefault(code_of_region, RegionScore(code_of_region, region_name, total, []))
        score = Aggregate(float(mean), int(n)) if mean is not None else None
        entry.stores.append(StoreScore(code_of_region, region_name, code, name, score))
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
    return _ranked(now, region_scores(db, *_range(period.previous()), visible, checklist))


def _ranked(now: list[RegionScore], previous: list[RegionScore]) -> list[RegionRow]:
    """Regions best first (the unaudited last), each with its change against `previous`."""
    before = {r.code: r.score for r in previous}
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


FALLING = 5.0  # points lost against the period before that flag a store
POOR = 70.0  # below it a store is Poor (the bands of docs/scoring.md)
THIN = 3  # fewer audits than this behind a score: said beside it


@dataclass(frozen=True)
class StoreLine:
    """One store on the overview: its score, change and what flags it."""

    region: str
    code: str
    name: str
    score: Aggregate | None
    previous: Aggregate | None
    critical: int  # counted audits of the period with a failed critical item

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return round(self.score.score - self.previous.score, 1)

    @property
    def poor_or_falling(self) -> bool:
        change = self.change
        return self.score is not None and (self.score.score < POOR or (change is not None and change <= -FALLING))

    @property
    def thin(self) -> bool:
        """A score resting on fewer than `THIN` audits: thin evidence, said beside it."""
        return self.score is not None and self.score.count < THIN


@dataclass(frozen=True)
class RegionOverview:
    row: RegionRow
    stores: list[StoreLine]  # worst first, the unaudited last


@dataclass(frozen=True)
class Overview:
    """The staff's home page, for the last 90 days and the company's default checklist
    (scores of two checklists never mix): what needs attention first (stores Poor or
    falling, critical failures, stores not audited), then every region ranked with its
    band and change, its stores one tap away."""

    period: Period
    checklist_title: str
    regions: list[RegionOverview]

    @property
    def stores(self) -> list[StoreLine]:
        return [s for r in self.regions for s in r.stores]

    @property
    def poor_or_falling(self) -> list[StoreLine]:
        return sorted((s for s in self.stores if s.poor_or_falling), key=lambda s: s.score.mean if s.score else 0)

    @property
    def critical(self) -> list[StoreLine]:
        return sorted((s for s in self.stores if s.critical), key=lambda s: (-s.critical, s.code))

    @property
    def unaudited(self) -> list[StoreLine]:
        return [s for s in self.stores if s.score is None]


def overview(db: Database, viewer: Viewer, today: date) -> Overview:
    period = periods.resolve(today, db.settings.timezone, "90d")
    try:
        spec = checklists.current(db, db.settings.default_checklist)
    except NotFound:
        return Overview(period, "", [])
    visible = visible_regions(viewer)
    now = region_scores(db, period.start, period.end, visible, spec.key)
    previous = region_scores(db, *_range(period.previous()), visible, spec.key)
    before = {s.code: s.score for r in previous for s in r.stores}
    critical = _critical_failures(db, period, spec.key)
    rows = {r.code: r for r in _ranked(now, previous)}
    regions = [
        RegionOverview(
            rows[r.code],
            sorted(
                (
                    StoreLine(r.code, s.code, s.name, s.score, before.get(s.code), critical.get(s.code, 0))
                    for s in r.stores
                ),
                key=lambda s: (s.score is None, s.score.mean if s.score else 0, s.code),
            ),
        )
        for r in now
    ]
    regions.sort(key=lambda r: (r.row.rank is None, r.row.rank or 0, r.row.code))
    return Overview(period, spec.title, regions)


def critical_failures_in(period: Period, checklist: str) -> tuple[sa.ColumnElement[bool], ...]:
    """Counted audits of `checklist` in `period` with a failed critical item (the caller joins
    Audit to ChecklistVersion)."""
    return (
        models.Audit.finished_at >= period.start,
        models.Audit.finished_at < period.end,
        models.Audit.critical_failed.is_(True),
        models.counted_audits(),
        models.ChecklistVersion.checklist_key == checklist,
    )


def _critical_failures(db: Database, period: Period, checklist: str) -> dict[str, int]:
    """Counted audits of the period with a failed critical item, per store code."""
    query = (
        sa.select(models.Store.code, sa.func.count())
        .join(models.Audit, models.Audit.store_id == models.Store.id)
        .join(models.ChecklistVersion, models.ChecklistVersion.id == period_first(models.Audit.checklist_version_id))
        .where(*critical_failures_in(period, checklist))
        .group_by(models.Store.code)
    )
    with db.session() as session:
        return {code: int(n) for code, n in session.execute(query).all()}


def _range(period: Period) -> tuple[datetime, datetime]:
    return period.start, period.end
