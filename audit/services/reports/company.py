"""The company report's figures: every region the viewer sees, ranked, its best and worst
stores, the behaviours missed most often across those regions, and the period's critical
failures. Owners see the whole company; a manager the same report over their own regions.
The scoring rules are the dashboards' (docs/scoring.md): a store's score is the mean of its
audits', a region's and the company's the mean of their stores'; excluded audits count nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from audit.domain.periods import Period
from audit.domain.scoring import Aggregate
from audit.services import checklists
from audit.services.access import Viewer
from audit.services.scores import comparison, totals
from audit.storage import models
from audit.storage.db import Database

STORES_SHOWN = 5  # best and worst
BEHAVIOURS_SHOWN = 8
CRITICAL_SHOWN = 40


@dataclass(frozen=True)
class StoreLine:
    region: str
    code: str
    name: str
    score: Aggregate
    change: float | None


@dataclass(frozen=True)
class Behaviour:
    question: str
    section: str
    missed: int
    seen: int
    rate: float
    previous_rate: float | None

    @property
    def trend(self) -> float | None:
        return None if self.previous_rate is None else round(self.rate - self.previous_rate, 1)


@dataclass(frozen=True)
class Critical:
    finished_at: datetime
    region: str
    store: str
    store_name: str
    audit_id: str
    items: list[str]


@dataclass(frozen=True)
class CompanyReport:
    period: Period
    checklist_title: str
    whole_company: bool  # an owner's; else a manager's regions only
    score: Aggregate | None
    previous: Aggregate | None
    regions: list[totals.RegionRow]
    stores_scored: int
    stores: int
    bands: dict[str, int]  # good, fair, poor: stores in each
    best: list[StoreLine]
    worst: list[StoreLine]
    behaviours: list[Behaviour]
    critical: list[Critical]
    critical_count: int

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return round(self.score.score - self.previous.score, 1)


def _stores(db: Database, viewer: Viewer, period: Period, checklist: str) -> dict[str, tuple]:
    regions = totals.region_scores(db, period.start, period.end, totals.visible_regions(viewer), checklist)
    return {s.code: (s.region, s.name, s.score) for r in regions for s in r.stores}


def _mean(scores: list[Aggregate]) -> Aggregate | None:
    if not scores:
        return None
    return Aggregate(sum(s.mean for s in scores) / len(scores), sum(s.count for s in scores))


def _failures(viewer: Viewer, start: datetime, end: datetime, checklist: str) -> sa.Select:
    query = (
        sa.select(
            models.Answer.item_key,
            sa.func.sum(sa.case((models.Answer.failed, 1), else_=0)),
            sa.func.count(),
        )
        .join(models.Audit, models.Audit.id == models.Answer.audit_id)
        .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .where(
            models.Audit.finished_at >= start,
            models.Audit.finished_at < end,
            models.counted_audits(),
            models.ChecklistVersion.checklist_key == checklist,
            models.Answer.possible > 0,
            models.Answer.na.is_(False),
        )
        .group_by(models.Answer.item_key)
    )
    visible = totals.visible_regions(viewer)
    return query if visible is None else query.where(models.Store.region_id.in_(visible))


def _critical(db: Database, viewer: Viewer, period: Period, checklist: str) -> tuple[list[Critical], int]:
    query = (
        sa.select(
            models.Audit.id,
            models.Audit.finished_at,
            models.Audit.checklist_version_id,
            models.Region.code,
            models.Store.code,
            models.Store.name,
        )
        .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .join(models.Region, models.Region.id == models.Store.region_id)
        .where(*totals.critical_failures_in(period, checklist))
        .order_by(models.Audit.finished_at.desc(), models.Audit.id)
    )
    visible = totals.visible_regions(viewer)
    if visible is not None:
        query = query.where(models.Store.region_id.in_(visible))
    with db.session() as session:
        rows = session.execute(query).all()
        shown = rows[:CRITICAL_SHOWN]
        failed: dict[str, list[str]] = {}
        if shown:
            for audit_id, key in session.execute(
                sa.select(models.Answer.audit_id, models.Answer.item_key).where(
                    models.Answer.audit_id.in_([r[0] for r in shown]), models.Answer.failed.is_(True)
                )
            ):
                failed.setdefault(audit_id, []).append(key)
    found = []
    for audit_id, finished, version_id, region, store, name in shown:
        spec = checklists.version(db, version_id)
        items = []
        for key in failed.get(audit_id, []):
            item = spec.item(key) if spec else None
            if item is not None and item.critical:
                items.append(item.question)
        found.append(Critical(finished, region, store, name, audit_id, items))
    return found, len(rows)


def company_report(db: Database, viewer: Viewer, period: Period, checklist: str = "") -> CompanyReport:
    checklist = checklist or db.settings.default_checklist
    spec = checklists.current(db, checklist)
    regions = totals.company(db, viewer, period, checklist)
    now = _stores(db, viewer, period, checklist)
    before = _stores(db, viewer, period.previous(), checklist)
    lines = []
    for code, (region, name, score) in now.items():
        if score is None:
            continue
        previous = before.get(code, (None, None, None))[2]
        change = None if previous is None else round(score.score - previous.score, 1)
        lines.append(StoreLine(region, code, name, score, change))
    ranked = sorted(lines, key=lambda s: (-s.score.mean, s.code))
    shown = min(STORES_SHOWN, len(ranked) // 2) if len(ranked) > 1 else len(ranked)
    best = ranked[:shown]
    worst = list(reversed(ranked[-shown:])) if len(ranked) > 1 else []
    bands = {"good": 0, "fair": 0, "poor": 0}
    for line in lines:
        bands[comparison.band(line.score.score)[0]] += 1
    titles = {s.key: s.title for s in spec.sections}
    questions = {i.key: (i.question, titles.get(i.section, "")) for i in spec.items if i.scored}
    with db.session() as session:
        current = session.execute(_failures(viewer, period.start, period.end, checklist)).all()
        earlier = {
            key: (int(m), int(s))
            for key, m, s in session.execute(
                _failures(viewer, period.previous().start, period.previous().end, checklist)
            ).all()
        }
    behaviours = [
        Behaviour(
            questions[key][0],
            questions[key][1],
            int(missed),
            int(seen),
            round(100.0 * int(missed) / int(seen), 1),
            round(100.0 * earlier[key][0] / earlier[key][1], 1) if earlier.get(key, (0, 0))[1] else None,
        )
        for key, missed, seen in current
        if key in questions and int(seen) and int(missed)
    ]
    behaviours.sort(key=lambda b: (-b.rate, -b.seen, b.question))
    critical, critical_count = _critical(db, viewer, period, checklist)
    return CompanyReport(
        period=period,
        checklist_title=spec.title,
        whole_company=viewer.is_owner,
        score=_mean([s for _, _, s in now.values() if s is not None]),
        previous=_mean([s for _, _, s in before.values() if s is not None]),
        regions=regions,
        stores_scored=len(lines),
        stores=len(now),
        bands=bands,
        best=best,
        worst=worst,
        behaviours=behaviours[:BEHAVIOURS_SHOWN],
        critical=critical,
        critical_count=critical_count,
    )
