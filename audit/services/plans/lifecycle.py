"""A plan's life: opened and verified by counted audits, written, submitted and decided by people."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from audit.domain import plans as rules
from audit.domain.checklist import Checklist
from audit.domain.plans import State, Verification
from audit.errors import Conflict, Invalid, NotFound, Problem
from audit.services import scoped
from audit.services.access import Viewer
from audit.services.company import activity
from audit.services.notifications import plan_news
from audit.storage import models
from audit.storage.db import Database

# (item key, N/A, possible points, failed) of each answer of a counted audit
AnswerFacts = Sequence[tuple[str, bool, float, bool]]


@dataclass(frozen=True)
class Counted:
    """An audit that has just come to count, as the plans need it."""

    audit_id: str
    store_id: int
    store_code: str
    finished_at: datetime
    score: float | None
    critical_failed: bool
    spec: Checklist
    answers: Callable[[], AnswerFacts]  # read only when the audit touches a plan

    @property
    def weak(self) -> bool:
        return rules.opens_plan(self.score, self.critical_failed, self.spec.plan_threshold)


def _event(
    session: Session,
    plan: models.ActionPlan,
    actor_id: int | None,
    kind: str,
    note: str = "",
    audit_id: str | None = None,
) -> None:
    assert plan.id is not None
    session.add(
        models.PlanEvent(plan_id=plan.id, at=models.now(), actor_id=actor_id, kind=kind, audit_id=audit_id, note=note)
    )


def _trail(
    session: Session, actor_id: int | None, kind: str, store_code: str, plan_id: int | None, detail: str
) -> None:
    activity.record(session, actor_id, f"plan_{kind}", f"{store_code} · plan {plan_id}", detail)


def counted(session: Session, audits: Sequence[Counted], actor_id: int | None, today: date) -> None:
    """What audits that now count do to their stores' plans, in the caller's transaction:
    one SELECT for the open plans of their stores; more only for weak audits and stores
    with an open plan. Oldest visit first, so a batch verifies in the order of the visits."""
    if not audits:
        return
    store_ids = {a.store_id for a in audits}
    open_plans = {
        p.store_id: p
        for p in session.scalars(sa.select(models.ActionPlan).where(models.ActionPlan.open_store_id.in_(store_ids)))
    }
    for audit in sorted(audits, key=lambda a: a.finished_at):
        plan = open_plans.get(audit.store_id)
        if plan is None and not audit.weak:
            continue
        answers = list(audit.answers())
        if plan is not None and _verify(session, plan, audit, answers, actor_id):
            del open_plans[audit.store_id]
            plan = None
        if audit.weak:
            open_plans[audit.store_id] = _add_failures(session, plan, audit, answers, actor_id, today)


def _verify(
    session: Session, plan: models.ActionPlan, audit: Counted, answers: AnswerFacts, actor_id: int | None
) -> bool:
    """Marks each planned behaviour found before this visit; True when the plan closed."""
    seen = {key: rules.outcome(na, possible, failed) for key, na, possible, failed in answers}
    items = session.scalars(sa.select(models.PlanItem).where(models.PlanItem.plan_id == plan.id)).all()
    fixed = failing = 0
    for item in items:
        if item.found_at >= audit.finished_at or item.item_key not in seen:
            continue
        outcome = seen[item.item_key]
        if outcome == rules.Outcome.UNKNOWN:
            continue
        item.verification = rules.verified(Verification(item.verification), outcome).value
        item.verified_audit_id, item.verified_at = audit.audit_id, models.now()
        fixed += outcome == rules.Outcome.PASSED
        failing += outcome == rules.Outcome.FAILED
    if not fixed and not failing:
        return False
    note = f"audit {audit.audit_id[:8]}: {fixed} fixed, {failing} still failing"
    _event(session, plan, actor_id, "verified", note, audit.audit_id)
    _trail(session, actor_id, "verified", audit.store_code, plan.id, note)
    if not rules.closes(Verification(i.verification) for i in items):
        return False
    plan.state, plan.open_store_id, plan.closed_at = State.CLOSED.value, None, models.now()
    session.flush()  # the store may open its next plan in this same transaction
    note = "every behaviour verified fixed"
    _event(session, plan, actor_id, "closed", note, audit.audit_id)
    _trail(session, actor_id, "closed", audit.store_code, plan.id, note)
    return True


def _add_failures(
    session: Session,
    plan: models.ActionPlan | None,
    audit: Counted,
    answers: AnswerFacts,
    actor_id: int | None,
    today: date,
) -> models.ActionPlan:
    failed = [key for key, na, possible, failed in answers if failed and not na and possible > 0]
    opening = plan is None
    if plan is None:
        plan = models.ActionPlan(
            store_id=audit.store_id, open_store_id=audit.store_id, state=State.OPEN.value,
            opened_at=models.now(), respond_by=rules.respond_by(today),
        )  # fmt: skip
        session.add(plan)
        session.flush()
        have: set[str] = set()
    else:
        have = set(session.scalars(sa.select(models.PlanItem.item_key).where(models.PlanItem.plan_id == plan.id)))
    new = [key for key in failed if key not in have]
    for key in new:
        item = audit.spec.item(key)
        session.add(
            models.PlanItem(
                plan_id=plan.id, item_key=key, question=item.question if item else key,
                guidance=item.guidance if item else "", found_audit_id=audit.audit_id, found_at=audit.finished_at,
            )
        )  # fmt: skip
    score = "no score" if audit.score is None else f"{audit.score:.1f} %"
    why = f"audit {audit.audit_id[:8]} ({score}{', critical item failed' if audit.critical_failed else ''})"
    if opening:
        note = f"{why}: {len(new)} failed behaviour{'s' if len(new) != 1 else ''}"
        _event(session, plan, actor_id, "opened", note, audit.audit_id)
        _trail(session, actor_id, "opened", audit.store_code, plan.id, note)
        plan_news.tell_store(session, plan, "opened", "", store_managers(session, plan.store_id), actor_id, len(new))
    elif new:
        note = f"{why}: {len(new)} more failed behaviour{'s' if len(new) != 1 else ''}"
        _event(session, plan, actor_id, "failures_added", note, audit.audit_id)
        _trail(session, actor_id, "failures_added", audit.store_code, plan.id, note)
        managers = store_managers(session, plan.store_id)
        plan_news.tell_store(session, plan, "failures_added", audit.audit_id, managers, actor_id, len(new))
    return plan


# The steps people take. The store answers: its own managers write and submit the plan, or the
# region's managers and owners when the store has none. The region decides: its managers and
# owners accept or return it, never a store's manager (separation of duties).


def _open_plan(session: Session, viewer: Viewer, code: str) -> tuple[models.Store, models.ActionPlan]:
    store, _ = scoped.store(session, viewer, code)
    plan = session.scalar(
        sa.select(models.ActionPlan).where(models.ActionPlan.open_store_id == store.id).with_for_update()
    )
    if plan is None:
        raise NotFound(f"store {store.code} has no open action plan")
    return store, plan


def _broken(exc: rules.RuleError) -> Exception:
    problem = [Problem(exc.field, exc.message)]
    return Conflict(exc.message, problems=problem) if exc.field == "state" else Invalid(exc.message, problems=problem)


def _answering(session: Session, viewer: Viewer, code: str) -> tuple[models.Store, models.ActionPlan]:
    """The open plan of a store the viewer answers for (see above); Conflict for the region's
    staff when the store has a manager of its own, who answers instead."""
    store, plan = _open_plan(session, viewer, code)
    if not viewer.is_store_manager and store_managers(session, store.id):
        raise Conflict(
            f"{store.name} has a store manager, who writes and submits its plan; you accept or return it.",
            problems=[Problem("plan", "the store's manager answers")],
        )
    return store, plan


def _deciding(session: Session, viewer: Viewer, code: str) -> tuple[models.Store, models.ActionPlan]:
    """The open plan of a store in the viewer's region (a store manager decides nothing: 404)."""
    if viewer.is_store_manager:
        raise NotFound(f"no store {code[:40]!r}")
    return _open_plan(session, viewer, code)


def store_managers(session: Session, store_id: int) -> list[int]:
    """The ids of the store's managers who can sign in: a disabled one, or one invited who has
    not chosen a password yet, answers for nothing (the region does meanwhile)."""
    query = (
        sa.select(models.User.id)
        .join(models.UserStore, models.UserStore.user_id == models.User.id)
        .where(
            models.UserStore.store_id == store_id,
            models.User.disabled.is_(False),
            models.User.password_hash.is_not(None),
        )
        .order_by(models.User.id)
    )
    return list(session.scalars(query))


def write(db: Database, viewer: Viewer, code: str, item_id: int, action: str, owner: str, due: str) -> None:
    """What will change for one behaviour, who does it and by when (the plan must be open)."""
    with db.write_session() as session:
        store, plan = _answering(session, viewer, code)
        item = session.get(models.PlanItem, item_id)
        if item is None or item.plan_id != plan.id:
            raise NotFound(f"no behaviour {item_id} in the open plan of {store.code}")
        try:
            rules.may_edit(State(plan.state))
            item.action, item.owner, item.due_on = rules.check_answer(action, owner, due, db.settings.today())
        except rules.RuleError as exc:
            raise _broken(exc) from None
        note = f"{item.item_key}: {item.owner}, by {item.due_on.isoformat()}"
        _event(session, plan, viewer.id, "written", note)
        _trail(session, viewer.id, "written", store.code, plan.id, note)


def submit(db: Database, viewer: Viewer, code: str) -> None:
    with db.write_session() as session:
        store, plan = _answering(session, viewer, code)
        items = session.scalars(sa.select(models.PlanItem).where(models.PlanItem.plan_id == plan.id)).all()
        answers = [rules.Answer(i.action, i.owner, i.due_on, Verification(i.verification)) for i in items]
        try:
            rules.may_submit(State(plan.state), answers)
        except rules.RuleError as exc:
            raise _broken(exc) from None
        plan.state, plan.submitted_at = State.SUBMITTED.value, models.now()
        _event(session, plan, viewer.id, "submitted")
        _trail(session, viewer.id, "submitted", store.code, plan.id, f"{len(items)} behaviours")
        plan_news.tell_region(session, plan, "submitted", plan.submitted_at.isoformat(), viewer.id)


def accept(db: Database, viewer: Viewer, code: str) -> None:
    with db.write_session() as session:
        store, plan = _deciding(session, viewer, code)
        try:
            rules.may_decide(State(plan.state))
        except rules.RuleError as exc:
            raise _broken(exc) from None
        plan.state, plan.decided_at = State.ACCEPTED.value, models.now()
        _event(session, plan, viewer.id, "accepted")
        _trail(session, viewer.id, "accepted", store.code, plan.id, "")


def give_back(db: Database, viewer: Viewer, code: str, note: str) -> None:
    """Returned with a note: open again, the note kept in its history."""
    with db.write_session() as session:
        store, plan = _deciding(session, viewer, code)
        try:
            rules.may_decide(State(plan.state))
            note = rules.check_note(note)
        except rules.RuleError as exc:
            raise _broken(exc) from None
        plan.state, plan.decided_at, plan.return_note = State.OPEN.value, models.now(), note
        _event(session, plan, viewer.id, "returned", note)
        _trail(session, viewer.id, "returned", store.code, plan.id, note)
        managers = store_managers(session, plan.store_id)
        plan_news.tell_store(session, plan, "returned", plan.decided_at.isoformat(), managers, viewer.id, note=note)
