"""Plans as the plan page and the API read them, and the plan figures of the store page
and the region comparison."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from audit.domain import plans as rules
from audit.domain.periods import Period
from audit.domain.plans import State, Verification
from audit.services import scoped
from audit.services.access import Viewer
from audit.services.plans import lifecycle
from audit.storage import models
from audit.storage.db import Database

EVENT_WORDS = {
    "opened": "Opened",
    "failures_added": "Failures added",
    "written": "Behaviour answered",
    "submitted": "Submitted",
    "returned": "Returned with a note",
    "accepted": "Accepted",
    "verified": "Verified by a visit",
    "closed": "Closed",
}


@dataclass(frozen=True)
class ItemView:
    id: int
    key: str
    question: str
    guidance: str
    found_audit_id: str
    found_at: datetime
    action: str
    owner: str
    due_on: date | None
    verification: str
    verified_audit_id: str | None
    verified_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class EventView:
    at: datetime
    kind: str
    who: str
    note: str
    audit_id: str | None

    @property
    def words(self) -> str:
        return EVENT_WORDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class PlanView:
    id: int
    state: str
    opened_at: datetime
    respond_by: date
    submitted_at: datetime | None
    decided_at: datetime | None
    closed_at: datetime | None
    return_note: str
    overdue: bool
    items: list[ItemView]
    events: list[EventView]

    def count(self, verification: str) -> int:
        return sum(1 for i in self.items if i.verification == verification)

    @property
    def to_answer(self) -> list[ItemView]:
        """Behaviours not yet fixed that still lack what will change, who or by when."""
        return [
            i for i in self.items if i.verification != Verification.FIXED and not (i.action and i.owner and i.due_on)
        ]

    @property
    def complete(self) -> bool:
        """Every behaviour not yet fixed is answered: the plan may be submitted."""
        return not self.to_answer

    @property
    def to_work_on(self) -> list[ItemView]:
        """The behaviours not yet fixed, still failing first: what the store works on, in the
        order it matters (the page folds the fixed ones away)."""
        live = [i for i in self.items if i.verification != Verification.FIXED]
        return sorted(live, key=lambda i: i.verification != Verification.STILL_FAILING)

    @property
    def fixed(self) -> list[ItemView]:
        return [i for i in self.items if i.verification == Verification.FIXED]


@dataclass(frozen=True)
class PlanPage:
    code: str
    name: str
    region: str
    region_name: str
    current: PlanView | None
    closed: list[PlanView]
    answers: bool = True  # the viewer writes and submits the plan (the store's manager, or staff when it has none)
    decides: bool = True  # the viewer accepts or returns it (the region's staff)


def _views(session: Session, plans: list[models.ActionPlan], today: date) -> list[PlanView]:
    ids = [p.id for p in plans]
    if not ids:
        return []
    items: dict[int, list[models.PlanItem]] = defaultdict(list)
    for item in session.scalars(
        sa.select(models.PlanItem).where(models.PlanItem.plan_id.in_(ids)).order_by(models.PlanItem.id)
    ):
        items[item.plan_id].append(item)
    events: dict[int, list[EventView]] = defaultdict(list)
    who = sa.func.coalesce(sa.func.nullif(models.User.name, ""), models.User.email)
    for plan_id, *row in session.execute(
        sa.select(
            models.PlanEvent.plan_id, models.PlanEvent.at, models.PlanEvent.kind, who, models.PlanEvent.note,
            models.PlanEvent.audit_id,
        )
        .outerjoin(models.User, models.User.id == models.PlanEvent.actor_id)
        .where(models.PlanEvent.plan_id.in_(ids))
        .order_by(models.PlanEvent.at, models.PlanEvent.id)
    ):  # fmt: skip
        at, kind, name, note, audit_id = row
        events[plan_id].append(EventView(at, kind, name or "the system", note, audit_id))
    return [_view(p, items[p.id], events[p.id], today) for p in plans if p.id is not None]  # type: ignore[index]


def _view(plan: models.ActionPlan, items: list[models.PlanItem], events: list[EventView], today: date) -> PlanView:
    answers = [rules.Answer(i.action, i.owner, i.due_on, Verification(i.verification)) for i in items]
    live = plan.state != State.CLOSED
    shown = [
        ItemView(
            i.id or 0, i.item_key, i.question, i.guidance, i.found_audit_id, i.found_at, i.action, i.owner, i.due_on,
            i.verification, i.verified_audit_id, i.verified_at, live and rules.item_overdue(a, today),
        )
        for i, a in zip(items, answers, strict=True)
    ]  # fmt: skip
    return PlanView(
        plan.id or 0, plan.state, plan.opened_at, plan.respond_by, plan.submitted_at, plan.decided_at, plan.closed_at,
        plan.return_note, rules.overdue(State(plan.state), plan.respond_by, answers, today), shown, events,
    )  # fmt: skip


def _store_plans(session: Session, store_id: int) -> list[models.ActionPlan]:
    query = sa.select(models.ActionPlan).where(models.ActionPlan.store_id == store_id)
    return list(session.scalars(query.order_by(models.ActionPlan.opened_at.desc(), models.ActionPlan.id.desc())))


def plan_page(db: Database, viewer: Viewer, code: str) -> PlanPage:
    """The store's plan not closed (if any) and its closed ones, newest first."""
    with db.session() as session:
        store, region = scoped.store(session, viewer, code)
        assert store.id is not None
        views = _views(session, _store_plans(session, store.id), db.settings.today())
        answers = viewer.is_store_manager or not lifecycle.store_managers(session, store.id)
    current = next((v for v in views if v.state != State.CLOSED), None)
    closed = [v for v in views if v.state == State.CLOSED]
    return PlanPage(
        store.code, store.name, region.code, region.name, current, closed, answers, not viewer.is_store_manager
    )


def plans_of(db: Database, viewer: Viewer, code: str) -> tuple[str, list[PlanView]]:
    """Every plan of the store, newest first (the API)."""
    with db.session() as session:
        store, _ = scoped.store(session, viewer, code)
        assert store.id is not None
        return store.code, _views(session, _store_plans(session, store.id), db.settings.today())


@dataclass(frozen=True)
class StorePlans:
    """A store's plan figures: its plan not closed (state, overdue, behaviours, verified fixed,
    still failing) and its repeat failures over the period."""

    state: str | None = None
    overdue: bool = False
    behaviours: int = 0
    fixed: int = 0
    still_failing: int = 0
    repeat_failures: int = 0


@dataclass(frozen=True)
class PlanTotals:
    """A region's plan figures: stores with a plan not closed, how many of those are overdue,
    and the repeat failures of all its stores in the period."""

    open: int
    overdue: int
    repeat_failures: int


def totals(stores: Iterable[StorePlans]) -> PlanTotals:
    """The region's figures from its stores' (so the page, the CSV and the JSON add up alike)."""
    stores = list(stores)
    return PlanTotals(
        sum(1 for s in stores if s.state), sum(1 for s in stores if s.state and s.overdue),
        sum(s.repeat_failures for s in stores),
    )  # fmt: skip


def figures(
    session: Session, store_ids: list[int], period: Period, checklist: str, today: date
) -> dict[int, StorePlans]:
    """The figures of these stores: two queries for their open plans, one for their failures."""
    if not store_ids:
        return {}
    plans = open_plans(session, models.ActionPlan.open_store_id.in_(store_ids))
    repeats = repeat_failures(session, store_ids, period, checklist)
    result = {store_id: StorePlans(repeat_failures=len(repeats.get(store_id, ()))) for store_id in store_ids}
    for plan, answers in plans:
        result[plan.store_id] = StorePlans(
            plan.state,
            rules.overdue(State(plan.state), plan.respond_by, answers, today),
            len(answers),
            sum(1 for a in answers if a.verification == Verification.FIXED),
            sum(1 for a in answers if a.verification == Verification.STILL_FAILING),
            len(repeats.get(plan.store_id, ())),
        )
    return result


def open_plans(
    session: Session, where: sa.ColumnElement[bool] | None = None
) -> list[tuple[models.ActionPlan, list[rules.Answer]]]:
    """The plans not closed (of the stores `where` picks, or all), each with the answers of its
    behaviours, which say whether it is overdue: two queries, whatever the number of plans."""
    query = sa.select(models.ActionPlan).where(models.ActionPlan.open_store_id.is_not(None))
    plans = list(session.scalars(query if where is None else query.where(where)))
    items: dict[int, list[rules.Answer]] = defaultdict(list)
    if plans:
        for plan_id, action, owner, due_on, verification in session.execute(
            sa.select(
                models.PlanItem.plan_id, models.PlanItem.action, models.PlanItem.owner, models.PlanItem.due_on,
                models.PlanItem.verification,
            ).where(models.PlanItem.plan_id.in_([p.id for p in plans]))
        ):  # fmt: skip
            items[plan_id].append(rules.Answer(action, owner, due_on, Verification(verification)))
    return [(plan, items[plan.id]) for plan in plans]  # type: ignore[index]


def repeat_failures(
    session: Session, store_ids: list[int], period: Period, checklist: str
) -> dict[int, frozenset[str]]:
    """Per store, the behaviours failed in two consecutive counted audits of the period."""
    audits = (
        sa.select(models.Audit.id, models.Audit.store_id, models.Audit.finished_at)
        .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
        .where(
            models.Audit.store_id.in_(store_ids),
            models.Audit.finished_at >= period.start,
            models.Audit.finished_at < period.end,
            models.counted_audits(),
            models.ChecklistVersion.checklist_key == checklist,
        )
        .subquery()
    )
    rows = session.execute(
        sa.select(audits.c.store_id, audits.c.id, models.Answer.item_key)
        .outerjoin(models.Answer, sa.and_(models.Answer.audit_id == audits.c.id, models.Answer.failed.is_(True)))
        .order_by(audits.c.store_id, audits.c.finished_at, audits.c.id)
    )
    failed: dict[int, dict[str, set[str]]] = defaultdict(dict)
    for store_id, audit_id, key in rows:
        keys = failed[store_id].setdefault(audit_id, set())
        if key is not None:
            keys.add(key)
    return {store_id: rules.repeat_failures(by_audit.values()) for store_id, by_audit in failed.items()}
