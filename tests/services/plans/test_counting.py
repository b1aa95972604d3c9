"""What the group writer does to action plans: in the batch's own transaction, one SELECT of
the open plans of its stores when nothing is weak, a plan per store however many weak
audits a batch holds, and nothing at all for audits that wait for review."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit.services import audits
from audit.storage import models
from tests import actors

PLAN_TABLES = ("action_plans", "plan_items", "plan_events")


@pytest.fixture
def submitter(db):
    s = audits.Submitter(db)
    yield s
    s.close()


@contextmanager
def plan_statements(db) -> Iterator[list[str]]:
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if any(table in statement for table in PLAN_TABLES):
            seen.append(statement.split(None, 1)[0].upper())

    sa.event.listen(db.write_engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(db.write_engine, "before_cursor_execute", listen)


def prepared(db, org, store="NTH-001", days_before=0, weak=False):
    failing = {i.key: "no" for i in org.main.items if i.type == "yesno"} if weak else {}
    body = actors.body(
        org.main, store=store, finished=actors.VISIT_END - timedelta(days=days_before),
        answers=actors.answers_for(org.main, **failing),
    )  # fmt: skip
    return audits.prepare(db, audits.Submission.model_validate(body), org.shopper)


def plans(db) -> list[tuple[str, str]]:
    with db.session() as session:
        rows = session.execute(
            sa.select(models.Store.code, models.ActionPlan.state).join(
                models.Store, models.Store.id == models.ActionPlan.store_id
            )
        ).all()
    return sorted((code, state) for code, state in rows)


def test_a_batch_of_strong_audits_costs_one_select_and_writes_nothing(db, org, submitter):
    batch = [prepared(db, org, "NTH-001", 2), prepared(db, org, "NTH-002", 1), prepared(db, org, "NTH-001", 0)]
    with plan_statements(db) as seen:
        outcomes = submitter.store_batch(batch)
    assert [o.status for o in outcomes] == ["created"] * 3
    assert seen == ["SELECT"]
    assert plans(db) == []


def test_two_weak_audits_of_a_store_in_one_batch_open_one_plan(db, org, submitter):
    batch = [prepared(db, org, "NTH-001", 1, weak=True), prepared(db, org, "NTH-001", 0, weak=True)]
    outcomes = submitter.store_batch(batch)
    assert [o.status for o in outcomes] == ["created", "created"]
    assert plans(db) == [("NTH-001", "open")]
    with db.session() as session:
        kinds = session.scalars(sa.select(models.PlanEvent.kind).order_by(models.PlanEvent.id)).all()
    assert kinds == ["opened", "verified"]  # the later visit checks what the earlier one found


def test_audits_waiting_for_review_touch_no_plan(db, org):
    db.settings = db.settings.with_(review_required=True)
    waiting = audits.Submitter(db)
    try:
        with plan_statements(db) as seen:
            outcomes = waiting.store_batch([prepared(db, org, weak=True)])
    finally:
        waiting.close()
    assert outcomes[0].status == "created" and seen == [] and plans(db) == []
