"""Plans that have become overdue, found by the clock: the region's managers are told once
per plan and due date (a plan overdue again when a later date passes is told again)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from audit.domain import plans as rules
from audit.domain.plans import State
from audit.services.notifications.inbox import told_already
from audit.services.notifications.plan_news import tell_region
from audit.services.plans import views
from audit.storage import models
from audit.storage.db import Database


def passed_due(plan: models.ActionPlan, answers: Sequence[rules.Answer], today: date) -> date | None:
    """The latest due date that makes the plan overdue today (None: not overdue): its date to
    respond by while open, or a behaviour's own due date."""
    state = State(plan.state)
    if not rules.overdue(state, plan.respond_by, answers, today):
        return None
    dates = [a.due_on for a in answers if rules.item_overdue(a, today) and a.due_on is not None]
    if state == State.OPEN and today > plan.respond_by:
        dates.append(plan.respond_by)
    return max(dates)


def tell(db: Database, today: date) -> int:
    """Tells the region of each plan newly overdue; how many plans. It reads first, and takes
    the write lock only when there is something new to tell."""
    with db.session() as session:
        found = {plan.id: (plan, when) for plan, answers in views.open_plans(session)
                 if (when := passed_due(plan, answers, today)) is not None}  # fmt: skip
        keys = {f"plan:{plan_id}:overdue:{when.isoformat()}": plan_id for plan_id, (_, when) in found.items()}
        new = [keys[k] for k in sorted(set(keys) - told_already(session, keys))]
    if not new:
        return 0
    with db.write_session() as session:
        for plan_id in new:
            plan = session.get(models.ActionPlan, plan_id)
            if plan is not None and plan.open_store_id is not None:  # not closed meanwhile
                when = found[plan_id][1]
                tell_region(session, plan, "overdue", when.isoformat(), None, when)
    return len(new)
