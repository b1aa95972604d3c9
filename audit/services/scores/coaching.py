"""Coaching (issue 16, item 5): what a store should work on, in the checklist's own words.

The store's report (page and PDF) names the store's weakest behaviours of the period; the
store's copy of an audit names the behaviours that visit missed. Beside each: how often
the store missed it, how often the whole region did, and the checklist's guidance, which
says what good looks like. The rules are in docs/scoring.md ("Coaching").

The store's and the region's figures come from one grouped query over the region's
counted audits (`models.counted_audits()`), so the two can never disagree about which
audits count, and the region's figure is the one its own report prints (audits pooled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from audit.domain.checklist import Checklist, Item
from audit.domain.periods import Period
from audit.services.scores import comparison
from audit.storage import models
from audit.storage.db import Database

WEAKEST = 5  # behaviours a store's coaching names: a manager can work on five, not fifteen
WINDOW_DAYS = 90  # an audit's coaching: the store's and region's rates over the 90 days to its day


@dataclass(frozen=True)
class Rate:
    """A behaviour missed in `missed` of the `seen` counted audits that scored it."""

    missed: int = 0
    seen: int = 0

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.missed / self.seen, 1) if self.seen else None


@dataclass(frozen=True)
class Behaviour:
    key: str
    question: str
    section: str  # its section's title
    guidance: str  # what good looks like, in the checklist's words
    critical: bool
    store: Rate
    region: Rate
    points_lost: float  # the store's over the period; for one audit, that audit's


@dataclass(frozen=True)
class Coaching:
    """The coaching section of a store report or of the store's copy of an audit."""

    behaviours: list[Behaviour]
    span: Period  # the days the store's and region's rates are counted over
    region_name: str
    audits: int  # the store's counted audits in `span`
    for_audit: bool = False  # one audit's missed behaviours, rather than a period's weakest


Figures = dict[str, tuple[Rate, Rate, float]]  # item key -> (store, region, store's points lost)


def _figures(
    session: Session, store_id: int, region_id: int, span: Period, checklist: str, keys: list[str] | None = None
) -> tuple[Figures, int]:
    """Per behaviour, the store's and the region's failures over the region's counted audits
    of `span` (one GROUP BY), and how many counted audits the store had."""
    audits = (
        comparison.audits_in(span.start, span.end, checklist)  # the counted audits, as the region report selects them
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .where(models.Store.region_id == region_id)
    )
    here = audits.where(models.Audit.store_id == store_id).subquery()
    counted = session.scalar(sa.select(sa.func.count()).select_from(here))
    found = audits.subquery()
    mine = found.c.store_id == store_id
    failed = sa.case((models.Answer.failed, 1), else_=0)
    query = (
        sa.select(
            models.Answer.item_key,
            sa.func.sum(sa.case((mine, failed), else_=0)),
            sa.func.sum(sa.case((mine, 1), else_=0)),
            sa.func.sum(sa.case((mine, models.Answer.possible - models.Answer.earned), else_=0)),
            sa.func.sum(failed),
            sa.func.count(),
        )
        .join(found, found.c.id == models.Answer.audit_id)
        .where(models.Answer.possible > 0, models.Answer.na.is_(False))
        .group_by(models.Answer.item_key)
    )
    if keys is not None:
        query = query.where(models.Answer.item_key.in_(keys))
    figures = {
        key: (Rate(int(missed), int(seen)), Rate(int(r_missed), int(r_seen)), round(float(lost), 2))
        for key, missed, seen, lost, r_missed, r_seen in session.execute(query)
    }
    return figures, int(counted or 0)


def _behaviour(item: Item, spec: Checklist, store: Rate, region: Rate, lost: float) -> Behaviour:
    titles = {s.key: s.title for s in spec.sections}
    return Behaviour(
        item.key, item.question, titles.get(item.section, ""), item.guidance, item.critical, store, region, lost
    )


def weakest(
    session: Session, store_id: int, region_id: int, region_name: str, period: Period, spec: Checklist
) -> Coaching:
    """The store's weakest behaviours of the period: missed at least once, by failure rate,
    then points lost, then the checklist's order; at most `WEAKEST`. Only behaviours the
    checklist's current version still scores, with its guidance (what good looks like now)."""
    figures, counted = _figures(session, store_id, region_id, period, spec.key)
    order = {item.key: n for n, item in enumerate(spec.items)}
    weak = [
        (key, store, region, lost)
        for key, (store, region, lost) in figures.items()
        if store.missed and key in order and spec.items[order[key]].scored
    ]
    weak.sort(key=lambda w: (-(w[1].rate or 0.0), -w[3], order[w[0]]))
    shown = [_behaviour(spec.items[order[key]], spec, store, region, lost) for key, store, region, lost in weak]
    return Coaching(shown[:WEAKEST], period, region_name, counted)


def window(finished_at: datetime, zone: str) -> Period:
    """The `WINDOW_DAYS` days that end on the audit's day: the same figures on every reprint."""
    day = finished_at.astimezone(ZoneInfo(zone)).date()
    return Period(day - timedelta(days=WINDOW_DAYS - 1), day, zone)


def for_audit(db: Database, audit: dict[str, Any], spec: Checklist) -> Coaching:
    """The behaviours this audit missed (critical first, then by points lost, then in the
    checklist's order), each with the guidance of the version the shopper filled in and the
    store's and region's rates over the `WINDOW_DAYS` days to the audit's day. The caller
    has already checked the viewer may read the audit."""
    answers: dict[str, dict[str, Any]] = audit["answers"]
    missed = [
        item for item in spec.items if item.scored and (a := answers.get(item.key)) and a["failed"] and not a["na"]
    ]
    span = window(audit["finished_at"], db.settings.timezone)
    with db.session() as session:
        store_id, region_id, region_name = session.execute(
            sa.select(models.Store.id, models.Region.id, models.Region.name)
            .join(models.Region, models.Region.id == models.Store.region_id)
            .where(models.Store.code == audit["store"])
        ).one()
        figures, counted = _figures(session, store_id, region_id, span, spec.key, [i.key for i in missed])
    lost = {i.key: round(answers[i.key]["possible"] - answers[i.key]["earned"], 2) for i in missed}
    missed.sort(key=lambda i: (not i.critical, -lost[i.key]))  # stable: the checklist's order breaks ties
    shown = [_behaviour(i, spec, *figures.get(i.key, (Rate(), Rate(), 0.0))[:2], lost[i.key]) for i in missed]
    return Coaching(shown, span, region_name, counted, for_audit=True)
