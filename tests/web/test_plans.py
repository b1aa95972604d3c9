"""Action plans through the real app: opened by a weak counted audit, added to by the next
weak one, written, submitted, returned, accepted, verified by the next visit and closed;
each step with its line in the activity trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit.storage import models
from tests import actors

YESNO_KEPT = ("warm_greeting", "offered_help")  # passed by the first audit, failed by the second


def yesno_keys(spec) -> list[str]:
    return [i.key for i in spec.items if i.type == "yesno" and i.points > 0]


def submit(client, org, days_before: int, **answers):
    finished = actors.VISIT_END - timedelta(days=days_before)
    body = actors.body(org.main, finished=finished, answers=actors.answers_for(org.main, **answers))
    response = client.post("/api/audits", json=body)
    assert response.status_code == 201, response.text
    return body["id"], response.json()


def trail(db) -> list[tuple[str, str]]:
    with db.session() as session:
        rows = session.execute(
            sa.select(models.Change.kind, models.Change.subject)
            .where(models.Change.kind.like("plan_%"))
            .order_by(models.Change.id)
        ).all()
    return [(kind, subject) for kind, subject in rows]


def plan_json(client, code="NTH-001"):
    response = client.get(f"/api/stores/{code}/plans")
    assert response.status_code == 200, response.text
    return response.json()["plans"]


def due(db, days=7) -> str:
    return (db.settings.today() + timedelta(days=days)).isoformat()


def write_all(manager, db, plan):
    for item in plan["items"]:
        if item["verification"] != "fixed":
            number = item_id(db, item["key"])
            response = manager.post(
                f"/stores/NTH-001/plan/items/{number}",
                data={"action": f"Coach the team on {item['key']}", "owner": "Nia", "due_on": due(db)},
            )
            assert response.status_code == 303, response.text


def item_id(db, key) -> int:
    with db.session() as session:
        return session.scalar(
            sa.select(models.PlanItem.id)
            .join(models.ActionPlan, models.ActionPlan.id == models.PlanItem.plan_id)
            .where(models.PlanItem.item_key == key, models.ActionPlan.state != "closed")
        )


def test_a_plan_lives_from_a_weak_audit_to_the_visit_that_verifies_the_fix(client_for, org, db):
    shopper, manager, owner = (client_for(e) for e in ("shopper@example.com", "north@example.com", "owner@example.com"))
    failing = [k for k in yesno_keys(org.main) if k not in YESNO_KEPT]
    # a strong audit opens nothing
    submit(shopper, org, 5)
    assert plan_json(manager) == [] and trail(db) == []
    # a weak audit opens the plan, every failed behaviour with the checklist's guidance
    first, out = submit(shopper, org, 4, **{k: "no" for k in failing})
    assert out["score"] < org.main.plan_threshold
    (plan,) = plan_json(manager)
    assert plan["state"] == "open" and not plan["overdue"]
    assert {i["key"] for i in plan["items"]} == set(failing)
    greeting = org.main.item("stopped_task")
    item = next(i for i in plan["items"] if i["key"] == "stopped_task")
    assert item["guidance"] == greeting.guidance and item["question"] == greeting.question
    assert item["found_by_audit"] == first and item["verification"] == "unverified"
    assert [k for k, _ in trail(db)] == ["plan_opened"]
    assert trail(db)[0][1].startswith("NTH-001 · plan ")
    page = manager.get("/stores/NTH-001/plan").text
    assert greeting.question in page and "What good looks like" in page and "Submit the plan" in page
    # a second weak audit verifies what was planned (still failing) and adds its new failures
    second, _ = submit(shopper, org, 3, **{k: "no" for k in yesno_keys(org.main)})
    (plan,) = plan_json(manager)
    assert {i["key"] for i in plan["items"]} == set(yesno_keys(org.main))
    by_key = {i["key"]: i for i in plan["items"]}
    assert by_key["stopped_task"]["verification"] == "still_failing"
    assert by_key["stopped_task"]["verified_by_audit"] == second
    assert by_key["warm_greeting"]["verification"] == "unverified"
    assert [k for k, _ in trail(db)] == ["plan_opened", "plan_verified", "plan_failures_added"]
    # submitting before every behaviour is answered is refused and changes nothing
    response = manager.post("/stores/NTH-001/plan/submit")
    assert response.status_code == 422 and "still need what will change" in response.text
    assert plan_json(manager)[0]["state"] == "open"
    # the regional manager writes the plan and submits it
    write_all(manager, db, plan)
    assert manager.post("/stores/NTH-001/plan/submit").status_code == 303
    assert plan_json(manager)[0]["state"] == "submitted"
    # returned with a note: open again, the note in its history
    assert owner.post("/stores/NTH-001/plan/return", data={"note": "Name a person, not the team"}).status_code == 303
    (plan,) = plan_json(owner)
    assert plan["state"] == "open" and plan["return_note"] == "Name a person, not the team"
    assert "Name a person, not the team" in owner.get("/stores/NTH-001/plan").text
    assert manager.post("/stores/NTH-001/plan/submit").status_code == 303
    assert owner.post("/stores/NTH-001/plan/accept").status_code == 303
    assert plan_json(owner)[0]["state"] == "accepted"
    # the next visit: everything passed but one behaviour, which stays open, highlighted
    submit(shopper, org, 2, stopped_task="no")
    (plan,) = plan_json(owner)
    by_key = {i["key"]: i for i in plan["items"]}
    assert plan["state"] == "accepted"
    assert by_key["stopped_task"]["verification"] == "still_failing"
    assert all(i["verification"] == "fixed" for k, i in by_key.items() if k != "stopped_task")
    assert "still failing" in owner.get("/stores/NTH-001/plan").text
    # the visit after: fixed too, so the plan closes itself
    submit(shopper, org, 1)
    (plan,) = plan_json(owner)
    assert plan["state"] == "closed" and plan["closed_at"]
    assert "No open action plan" in owner.get("/stores/NTH-001/plan").text
    kinds = [k for k, _ in trail(db)]
    assert kinds[:3] == ["plan_opened", "plan_verified", "plan_failures_added"]
    assert kinds.count("plan_written") == len(yesno_keys(org.main))
    assert [k for k in kinds[3:] if k != "plan_written"] == [
        "plan_submitted", "plan_returned", "plan_submitted", "plan_accepted", "plan_verified", "plan_verified",
        "plan_closed",
    ]  # fmt: skip
    # the owners' activity page shows them
    activity = owner.get("/admin/activity").text
    assert "plan_closed" in activity and "NTH-001 · plan" in activity
    # the next weak audit opens a new plan
    submit(shopper, org, 0, **{k: "no" for k in failing})
    plans = plan_json(owner)
    assert [p["state"] for p in plans] == ["open", "closed"]


def test_bad_form_input_gets_clear_errors_and_changes_nothing(client_for, org, db):
    shopper, manager = client_for("shopper@example.com"), client_for("north@example.com")
    submit(shopper, org, 4, **{k: "no" for k in yesno_keys(org.main)})
    number = item_id(db, "stopped_task")
    before = plan_json(manager)
    for data, words in [
        ({"action": "", "owner": "Nia", "due_on": due(db)}, "say what will change"),
        ({"action": "Coach", "owner": "", "due_on": due(db)}, "say who will do it"),
        ({"action": "Coach", "owner": "Nia", "due_on": "next week"}, "YYYY-MM-DD"),
        ({"action": "Coach", "owner": "Nia", "due_on": due(db, -1)}, "cannot be in the past"),
    ]:
        response = manager.post(f"/stores/NTH-001/plan/items/{number}", data=data)
        assert response.status_code == 422 and words in response.text, data
        assert 'aria-invalid="true"' in response.text
    for wrong in ("999999", "99999999999999999999", "x"):
        assert manager.post(f"/stores/NTH-001/plan/items/{wrong}", data={}).status_code == 404
    assert manager.post("/stores/NTH-001/plan/accept").status_code == 409  # not submitted
    assert manager.post("/stores/NTH-001/plan/return", data={"note": "x"}).status_code == 409
    assert plan_json(manager) == before
    assert [k for k, _ in trail(db)] == ["plan_opened"]


def test_another_regions_manager_gets_404_on_the_plan_page_and_api(client_for, org, db):
    submit(client_for("shopper@example.com"), org, 4, **{k: "no" for k in yesno_keys(org.main)})
    south = client_for("south@example.com")
    assert south.get("/stores/NTH-001/plan").status_code == 404
    assert south.get("/api/stores/NTH-001/plans").status_code == 404
    assert south.post("/stores/NTH-001/plan/submit").status_code == 404
    number = item_id(db, "stopped_task")
    data = {"action": "Coach", "owner": "Sol", "due_on": due(db)}
    assert south.post(f"/stores/NTH-001/plan/items/{number}", data=data).status_code == 404
    assert [k for k, _ in trail(db)] == ["plan_opened"]


def test_an_overdue_plan_is_flagged(client_for, org, db):
    submit(client_for("shopper@example.com"), org, 4, **{k: "no" for k in yesno_keys(org.main)})
    with db.write_session() as session:
        session.execute(sa.update(models.ActionPlan).values(respond_by=db.settings.today() - timedelta(days=1)))
    manager = client_for("north@example.com")
    assert plan_json(manager)[0]["overdue"] is True
    assert "overdue" in manager.get("/stores/NTH-001/plan").text


class TestReview:
    @pytest.fixture
    def settings(self, settings):
        return settings.with_(review_required=True)

    def test_with_review_a_plan_opens_on_approval_not_on_submission(self, client_for, org, db):
        shopper, manager = client_for("shopper@example.com"), client_for("north@example.com")
        audit_id, _ = submit(shopper, org, 4, **{k: "no" for k in yesno_keys(org.main)})
        assert plan_json(manager) == []
        assert manager.post(f"/audits/{audit_id}/approve").status_code == 303
        (plan,) = plan_json(manager)
        assert plan["state"] == "open" and plan["items"][0]["found_by_audit"] == audit_id
        assert [k for k, _ in trail(db)] == ["plan_opened"]
        with db.session() as session:
            actor = session.scalar(sa.select(models.Change.actor_id).where(models.Change.kind == "plan_opened"))
        assert actor == org.north_manager


def test_the_store_page_and_the_region_comparison_show_plans_and_repeat_failures(client_for, org, db):
    shopper, manager = client_for("shopper@example.com"), client_for("north@example.com")
    submit(shopper, org, 4, **{k: "no" for k in yesno_keys(org.main)})
    submit(shopper, org, 3, stopped_task="no", warm_greeting="no")
    period = "?from=2026-10-01&to=2026-11-30"
    store = manager.get(f"/stores/NTH-001{period}").text
    assert 'href="/stores/NTH-001/plan"' in store
    assert "2 still failing" in store and "2 repeat failures" in store
    region = manager.get(f"/regions/NTH{period}").text
    assert "Action plans: 1 open, 0 overdue; 2 repeat failures" in region
    assert 'href="/stores/NTH-001/plan">open</a>' in region
    assert "No open action plan" in manager.get(f"/stores/NTH-002{period}").text
