"""One store over a period: its score, trend, sections, behaviours and audits.

Scores, section means and failure rates are GROUP BY queries over what was stored
at submission. The trend lists the store's audits of the period (one point each,
bounded by the period), and months are grouped from those same points in the
company's time zone, which SQLite and PostgreSQL would otherwise each do their way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from audit import charts
from audit.domain.checklist import Checklist
from audit.domain.periods import Period
from audit.domain.scoring import Aggregate, store_score
from audit.services import checklists, scoped
from audit.services.access import Viewer
from audit.services.plans import views as plan_views
from audit.services.scores import coaching
from audit.storage import models
from audit.storage.db import Database


@dataclass(frozen=True)
class AuditPoint:
    id: str
    finished_at: datetime
    score: float | None
    critical_failed: bool
    excluded: bool
    counted: bool  # in the totals: not excluded, and approved if it needed review
    review_state: str
    needs_review: bool


@dataclass(frozen=True)
class Behaviour:
    key: str
    question: str
    section: str
    missed: int
    seen: int

    @property
    def rate(self) -> float:
        return 100.0 * self.missed / self.seen if self.seen else 0.0


@dataclass(frozen=True)
class StoreReport:
    code: str
    name: str
    region: str
    region_name: str
    period: Period
    checklist: str
    score: Aggregate | None
    previous: Aggregate | None
    sections: list[tuple[str, str, float | None]]
    behaviours: list[Behaviour]
    audits: list[AuditPoint]
    months: list[tuple[str, Aggregate | None]]
    checklists: list[tuple[str, str]] = field(default_factory=list)  # to choose from
    plans: plan_views.StorePlans = field(default_factory=plan_views.StorePlans)  # its open plan, repeat failures
    coaching: coaching.Coaching | None = None  # its weakest behaviours with the checklist's guidance

    @property
    def audit_points(self) -> list[charts.Point]:
        """The trend of the page and the PDF: each counted audit, at its day in the period's zone."""
        zone = ZoneInfo(self.period.zone)
        days = [(a.finished_at.astimezone(zone).date(), a.score) for a in self.audits if a.counted]
        return [charts.Point(f"{day.day} {day:%b %Y}", score, day) for day, score in days]

    @property
    def months_shown(self) -> list[tuple[str, Aggregate | None]]:
        """`months` as pages and reports say them ("Oct 2026"); JSON keeps ISO ("2026-10")."""
        return [(f"{date.fromisoformat(key + '-01'):%b %Y}", agg) for key, agg in self.months]

    @property
    def month_points(self) -> list[charts.Point]:
        return [charts.Point(label, agg.score if agg else None) for label, agg in self.months_shown]

    @property
    def span(self) -> tuple[date, date]:
        """The period's first and last day: the time axis of the trend."""
        return self.period.first, self.period.last


def report(db: Database, viewer: Viewer, code: str, period: Period, checklist: str = "") -> StoreReport:
    checklist = checklist or db.settings.default_checklist
    spec = checklists.current(db, checklist)
    with db.session() as session:
        store, region = scoped.store(session, viewer, code)
        store_id = store.id
        choices = checklists.choices_in(session)
        in_period = (
            models.Audit.store_id == store_id,
            models.Audit.finished_at >= period.start,
            models.Audit.finished_at < period.end,
            models.ChecklistVersion.checklist_key == checklist,
            # a store's manager sees no audit review is not done with (nor that it was sent back)
            models.past_review() if viewer.is_store_manager else sa.true(),
        )
        audits = [
            AuditPoint(*r)
            for r in session.execute(
                sa.select(
                    models.Audit.id,
                    models.Audit.finished_at,
                    models.Audit.score,
                    models.Audit.critical_failed,
                    models.Audit.excluded,
                    models.counted_audits().label("counted"),
                    models.Audit.review_state,
                    models.Audit.needs_review,
                )
                .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
                .where(*in_period)
                .order_by(models.Audit.finished_at)
            ).all()
        ]
        counted = (*in_period, models.counted_audits())
        sections = dict(
            session.execute(
                sa.select(models.AuditSection.section_key, sa.func.avg(models.AuditSection.score))
                .join(models.Audit, models.Audit.id == models.AuditSection.audit_id)
                .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
                .where(*counted, models.AuditSection.score.is_not(None))
                .group_by(models.AuditSection.section_key)
            ).all()
        )
        failures = session.execute(
            sa.select(
                models.Answer.item_key,
                sa.func.sum(sa.case((models.Answer.failed, 1), else_=0)),
                sa.func.count(),
            )
            .join(models.Audit, models.Audit.id == models.Answer.audit_id)
            .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
            .where(*counted, models.Answer.possible > 0, models.Answer.na.is_(False))
            .group_by(models.Answer.item_key)
        ).all()
        score = _mean(session, store_id, period, checklist)
        previous = _mean(session, store_id, period.previous(), checklist)
        plans = plan_views.figures(session, [store_id], period, checklist, db.settings.today())[store_id]
        coached = coaching.weakest(session, store_id, region.id, region.name, period, spec)  # type: ignore[arg-type]
    counted_points = [a for a in audits if a.counted]
    behaviours = [
        Behaviour(
            key, spec.item(key).question if spec.item(key) else key, _section_of(spec, key), int(missed), int(seen)
        )
        for key, missed, seen in failures
    ]
    behaviours.sort(key=lambda b: (-b.rate, -b.seen, b.question))
    return StoreReport(
        code=store.code,
        name=store.name,
        region=region.code,
        region_name=region.name,
        period=period,
        checklist=checklist,
        score=score,
        previous=previous,
        sections=[(s.key, s.title, _round(sections.get(s.key))) for s in spec.sections],
        behaviours=behaviours,
        audits=audits,
        months=_months(counted_points, period),
        checklists=choices,
        plans=plans,
        coaching=coached,
    )


def _mean(session: sa.orm.Session, store_id: int, period: Period, checklist: str) -> Aggregate | None:
    mean, count = session.execute(
        sa.select(sa.func.avg(models.Audit.score), sa.func.count())
        .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
        .where(
            models.Audit.store_id == store_id,
            models.Audit.finished_at >= period.start,
            models.Audit.finished_at < period.end,
            models.ChecklistVersion.checklist_key == checklist,
            models.counted_audits(),
            models.Audit.score.is_not(None),
        )
    ).one()
    return Aggregate(float(mean), int(count)) if mean is not None else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def _section_of(spec: Checklist, key: str) -> str:
    item = spec.item(key)
    return item.section if item else ""


def _months(points: list[AuditPoint], period: Period) -> list[tuple[str, Aggregate | None]]:
    """Mean score per calendar month of the period, in the company's time zone."""
    zone = ZoneInfo(period.zone)
    labels: list[str] = []
    year, month = period.first.year, period.first.month
    while (year, month) <= (period.last.year, period.last.month):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    by_month: dict[str, list[float | None]] = {label: [] for label in labels}
    for p in points:
        key = p.finished_at.astimezone(zone).strftime("%Y-%m")
        if key in by_month:
            by_month[key].append(p.score)
    return [(label, store_score(scores)) for label, scores in by_month.items()]
