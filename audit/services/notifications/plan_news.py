"""Who is told what of an action plan. Called by `plans.lifecycle` inside the transaction
of the plan's step, so a step is never stored without its notifications (nor the reverse);
and by the clock for plans that have become overdue.

- the store's managers when its plan opens, gains failures, or is returned; the region's
  managers instead when the store has none;
- the region's managers when the plan is submitted, and when it becomes overdue (once per
  plan and due date).

The person who took the step is not told of it. Overdue plans are found by `overdue`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from audit import formats
from audit.services.notifications.inbox import News, region_managers, tell
from audit.storage import models


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _line(event: str, name: str, count: int, note: str, when: date) -> str:
    if event == "opened":
        return (
            f"Action plan opened for {name}: {_plural(count, 'failed behaviour')} to answer by {formats.weekday(when)}"
        )
    if event == "failures_added":
        return f"{_plural(count, 'more failed behaviour')} in the action plan of {name}"
    if event == "returned":
        return f"The action plan of {name} was returned with a note: {note}"
    if event == "submitted":
        return f"The action plan of {name} was submitted: accept it, or return it with a note"
    return f"The action plan of {name} is overdue: it was due on {formats.weekday(when)}"


def _news(
    store: models.Store, plan: models.ActionPlan, event: str, key: str, count: int, note: str, when: date
) -> News:
    """`key` tells this event from others of its kind in the plan: the audit that added
    failures, the moment of a return or a submission, the due date that passed."""
    line = _line(event, f"{store.code} {store.name}", count, note, when)
    return News(f"plan_{event}", line, f"/stores/{store.code}/plan", f"plan:{plan.id}:{event}:{key}")


def tell_store(
    session: Session,
    plan: models.ActionPlan,
    event: str,
    key: str,
    managers: Sequence[int],
    actor_id: int | None,
    count: int = 0,
    note: str = "",
) -> list[int]:
    """The store's managers (`managers`, from `plans.lifecycle.store_managers`) or, when it
    has none, the region's: a plan opened, failures added, a plan returned."""
    store = session.get(models.Store, plan.store_id)
    assert store is not None and plan.id is not None
    people = list(managers) or region_managers(session, store.region_id)
    news = _news(store, plan, event, key, count, note, plan.respond_by)
    return tell(session, (p for p in people if p != actor_id), news)


def tell_region(
    session: Session, plan: models.ActionPlan, event: str, key: str, actor_id: int | None, when: date | None = None
) -> list[int]:
    """The region's managers (its owners when it has none): a plan submitted, or overdue."""
    store = session.get(models.Store, plan.store_id)
    assert store is not None and plan.id is not None
    news = _news(store, plan, event, key, 0, "", when or plan.respond_by)
    return tell(session, (p for p in region_managers(session, store.region_id) if p != actor_id), news)
