"""Branch comparison: every store of a region side by side for a period.

All figures come from GROUP BY queries over the scores stored at submission:
per store (mean of its audits, count), per store and section, for the period and
for the period before it. Excluded audits count nowhere; a store without audits
in the period has no score (and no rank), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa

from audit.domain.periods import Period
from audit.domain.scoring import Aggregate, region_score
from audit.services import checklists, scoped
from audit.services.access import Viewer
from audit.services.plans import views as plan_views
from audit.storage import models
from audit.storage.db import Database

BANDS = ((85.0, "good", "✓ Good"), (70.0, "fair", "~ Fair"), (0.0, "poor", "✗ Poor"))


def band(score: float | None) -> tuple[str, str]:
    """A score's band as (css class, words with an icon), so colour is never the only cue."""
    if score is None:
        return "none", "no audits"
    return next((css, words) for low, css, words in BANDS if score >= low)


@dataclass(frozen=True)
class BranchRow:
    code: str
    name: str
    score: Aggregate | None
    previous: Aggregate | None
    sections: dict[str, float | None]
    rank: int | None = None
    plans: plan_views.StorePlans = field(default_factory=plan_views.StorePlans)  # open plan, repeat failures

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return round(self.score.score - self.previous.score, 1)


@dataclass(frozen=True)
class Comparison:
    region: str
    region_name: str
    period: Period
    checklist: str
    checklist_title: str
    sections: list[tuple[str, str]]
    rows: list[BranchRow]
    score: Aggregate | None
    previous: Aggregate | None
    checklists: list[tuple[str, str]] = field(default_factory=list)

    @property
    def plans(self) -> plan_views.PlanTotals:
        """The region's plan figures, added up from its stores' (page, CSV, JSON and PDF alike)."""
        return plan_views.totals(r.plans for r in self.rows)


def audits_in(start: datetime, end: datetime, checklist: str) -> sa.Select:
    """(id, store, score) of the counted audits of one checklist finished in [start, end): the one
    selection every region-wide figure (comparison, heatmap, coaching) starts from."""
    return (
        sa.select(models.Audit.id, models.Audit.store_id, models.Audit.score)
        .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
        .where(
            models.Audit.finished_at >= start,
            models.Audit.finished_at < end,
            models.counted_audits(),
            models.ChecklistVersion.checklist_key == checklist,
        )
    )


def _store_scores(session: sa.orm.Session, region_id: int, start: datetime, end: datetime, checklist: str) -> dict:
    audits = audits_in(start, end, checklist).where(models.Audit.score.is_not(None)).subquery()
    query = (
        sa.select(audits.c.store_id, sa.func.avg(audits.c.score), sa.func.count())
        .join(models.Store, models.Store.id == audits.c.store_id)
        .where(models.Store.region_id == region_id)
        .group_by(audits.c.store_id)
    )
    return {store_id: Aggregate(float(mean), int(n)) for store_id, mean, n in session.execute(query).all()}


def _section_scores(session: sa.orm.Session, region_id: int, start: datetime, end: datetime, checklist: str) -> dict:
    audits = audits_in(start, end, checklist).subquery()
    query = (
        sa.select(audits.c.store_id, models.AuditSection.section_key, sa.func.avg(models.AuditSection.score))
        .join(models.AuditSection, models.AuditSection.audit_id == audits.c.id)
        .join(models.Store, models.Store.id == audits.c.store_id)
        .where(models.Store.region_id == region_id, models.AuditSection.score.is_not(None))
        .group_by(audits.c.store_id, models.AuditSection.section_key)
    )
    result: dict[int, dict[str, float]] = {}
    for store_id, section, mean in session.execute(query).all():
        result.setdefault(store_id, {})[section] = round(float(mean), 1)
    return result


def _region_stores(session: sa.orm.Session, viewer: Viewer, code: str) -> tuple[models.Region, list]:
    """The region (NotFound when the viewer may not see it) and its open stores, by code."""
    region = scoped.region(session, viewer, code)
    stores = session.execute(
        sa.select(models.Store.id, models.Store.code, models.Store.name)
        .where(models.Store.region_id == region.id, models.Store.archived.is_(False))
        .order_by(models.Store.code)
    ).all()
    return region, list(stores)


def branch_comparison(
    db: Database, viewer: Viewer, region_code: str, period: Period, checklist: str = ""
) -> Comparison:
    checklist = checklist or db.settings.default_checklist
    spec = checklists.current(db, checklist)
    with db.session() as session:
        region, stores = _region_stores(session, viewer, region_code)
        assert region.id is not None
        now = _store_scores(session, region.id, period.start, period.end, checklist)
        before = period.previous()
        then = _store_scores(session, region.id, before.start, before.end, checklist)
        sections = _section_scores(session, region.id, period.start, period.end, checklist)
        available = checklists.choices_in(session)
        plans = plan_views.figures(session, [s[0] for s in stores], period, checklist, db.settings.today())
    rows = [
        BranchRow(code, name, now.get(store_id), then.get(store_id), sections.get(store_id, {}), plans=plans[store_id])
        for store_id, code, name in stores
    ]
    ranked = sorted((r for r in rows if r.score is not None), key=lambda r: -r.score.mean)  # type: ignore[union-attr]
    ranks = {r.code: n for n, r in enumerate(ranked, start=1)}
    rows = [replace(r, rank=ranks.get(r.code)) for r in rows]
    return Comparison(
        region=region.code,
        region_name=region.name,
        period=period,
        checklist=checklist,
        checklist_title=spec.title,
        sections=[(s.key, s.title) for s in spec.sections],
        rows=rows,
        score=region_score(r.score for r in rows),
        previous=region_score(r.previous for r in rows),
        checklists=available,
    )


def sorted_rows(rows: list[BranchRow], key: str, descending: bool) -> list[BranchRow]:
    """Sorted by a column; stores without a value always come last, whatever the direction."""
    if key.startswith("section:"):
        section = key.split(":", 1)[1]
        value = lambda r: r.sections.get(section)  # noqa: E731
    else:
        value = {
            "rank": lambda r: r.rank,
            "code": lambda r: r.code,
            "name": lambda r: r.name.lower(),
            "score": lambda r: r.score.mean if r.score else None,
            "audits": lambda r: r.score.count if r.score else None,
            "change": lambda r: r.change,
        }.get(key, lambda r: r.rank)
    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    return sorted(present, key=value, reverse=descending) + missing


@dataclass(frozen=True)
class Weak:
    key: str
    question: str
    rate: float
    missed: int
    seen: int
    previous_rate: float | None

    @property
    def trend(self) -> float | None:
        return None if self.previous_rate is None else round(self.rate - self.previous_rate, 1)


@dataclass(frozen=True)
class Heatmap:
    region: str
    region_name: str
    period: Period
    checklist: str
    stores: list[tuple[str, str]]
    items: list[tuple[str, str, str]]  # key, question, section title
    cells: dict[tuple[str, str], tuple[int, int]]  # (item, store code) -> (missed, seen)
    weakest: list[Weak]
    checklists: list[tuple[str, str]] = field(default_factory=list)  # to choose from

    def rate(self, item: str, store: str) -> float | None:
        missed, seen = self.cells.get((item, store), (0, 0))
        return round(100.0 * missed / seen, 1) if seen else None


def _failures(session: sa.orm.Session, region_id: int, start: datetime, end: datetime, checklist: str) -> sa.Select:
    audits = audits_in(start, end, checklist).subquery()
    return (
        sa.select(
            models.Answer.item_key,
            models.Store.code,
            sa.func.sum(sa.case((models.Answer.failed, 1), else_=0)),
            sa.func.count(),
        )
        .join(audits, audits.c.id == models.Answer.audit_id)
        .join(models.Store, models.Store.id == audits.c.store_id)
        .where(models.Store.region_id == region_id, models.Answer.possible > 0, models.Answer.na.is_(False))
        .group_by(models.Answer.item_key, models.Store.code)
    )


def heatmap(db: Database, viewer: Viewer, region_code: str, period: Period, checklist: str = "") -> Heatmap:
    """Failure rate of every scored behaviour in every store, and the region's five weakest."""
    checklist = checklist or db.settings.default_checklist
    spec = checklists.current(db, checklist)
    with db.session() as session:
        region, stores = _region_stores(session, viewer, region_code)
        assert region.id is not None
        now = session.execute(_failures(session, region.id, period.start, period.end, checklist)).all()
        before = period.previous()
        then = session.execute(_failures(session, region.id, before.start, before.end, checklist)).all()
        available = checklists.choices_in(session)
    cells = {(item, store): (int(missed), int(seen)) for item, store, missed, seen in now}
    titles = {s.key: s.title for s in spec.sections}
    items = [(i.key, i.question, titles[i.section]) for i in spec.items if i.scored]
    weakest = _weakest(now, then, {key: question for key, question, _ in items})
    stores_shown = [(c, n) for _, c, n in stores]
    return Heatmap(region.code, region.name, period, checklist, stores_shown, items, cells, weakest, available)


def _weakest(now: list, then: list, questions: dict[str, str], count: int = 5) -> list[Weak]:
    """The behaviours missed most often across the region: each store's visits pooled."""

    def totals(rows: list) -> dict[str, tuple[int, int]]:
        result: dict[str, tuple[int, int]] = {}
        for item, _store, missed, seen in rows:
            m, s = result.get(item, (0, 0))
            result[item] = (m + int(missed), s + int(seen))
        return result

    current, previous = totals(now), totals(then)
    found = [
        Weak(
            key,
            questions.get(key, key),
            round(100.0 * missed / seen, 1),
            missed,
            seen,
            round(100.0 * previous[key][0] / previous[key][1], 1) if previous.get(key, (0, 0))[1] else None,
        )
        for key, (missed, seen) in current.items()
        if seen and key in questions
    ]
    found.sort(key=lambda w: (-w.rate, -w.seen))
    return found[:count]
