"""Who is told of an action plan's steps, through the real app, and their mail through a
local SMTP server: the store's manager when it opens or is returned, the region's managers
when it is submitted or overdue, or when the store has no manager of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit.services.notifications import delivery, overdue
from audit.services.people import accounts
from audit.storage import models
from tests import actors
from tests.web.test_plans import due, item_id, plan_json, submit, yesno_keys

LEEDS = "leeds@example.com"  # the manager of store NTH-001


@pytest.fixture
def leeds(db, org) -> int:
    return accounts.create_user(db, LEEDS, "store", "Lee", stores=("NTH-001",), password=actors.PASSWORD)


def told(db, email: str) -> list[tuple[str, str, str]]:
    """(kind, line, link) of what the person was told, oldest first."""
    with db.session() as session:
        rows = session.execute(
            sa.select(models.Notification.kind, models.Notification.line, models.Notification.link)
            .join(models.User, models.User.id == models.Notification.user_id)
            .where(models.User.email == email)
            .order_by(models.Notification.id)
        ).all()
    return [tuple(r) for r in rows]


def kinds(db, email: str) -> list[str]:
    return [k for k, _, _ in told(db, email)]


def weak(client, org, days_before: int, store: str = "NTH-001", keys: list[str] | None = None):
    finished = actors.VISIT_END - timedelta(days=days_before)
    answers = actors.answers_for(org.main, **{k: "no" for k in keys or yesno_keys(org.main)})
    body = actors.body(org.main, store=store, finished=finished, answers=answers)
    response = client.post("/api/audits", json=body)
    assert response.status_code == 201, response.text
    return body["id"]


def test_the_store_manager_hears_of_opening_and_return_and_the_region_of_submission(client_for, org, db, leeds, sink):
    shopper = client_for("shopper@example.com")
    submit(shopper, org, 4, **{k: "no" for k in yesno_keys(org.main)})
    # opened: the store's manager is told, in the app, and the region is not (the store answers)
    ((kind, line, link),) = told(db, LEEDS)
    assert kind == "plan_opened" and link == "/stores/NTH-001/plan"
    assert line.startswith("Action plan opened for NTH-001 Leeds: ") and "failed behaviours to answer by" in line
    assert told(db, "north@example.com") == [] and told(db, "owner@example.com") == []
    # the mail goes out through the mail server, with the link to the plan
    sent = delivery.deliver(db)
    assert (sent.sent, sent.retrying) == (1, 0)
    (mail,) = sink.to(LEEDS)
    assert mail["Subject"] == line and mail["From"] == "audit@example.com"
    assert "https://audit.example.com/stores/NTH-001/plan" in mail.get_content()
    assert delivery.deliver(db).sent == 0  # nothing twice
    # the store's manager writes and submits: the region's manager is told, not the one who submitted
    store = client_for(LEEDS)
    for item in plan_json(store)[0]["items"]:
        data = {"action": "Greet within a minute", "owner": "Lee", "due_on": due(db)}
        assert store.post(f"/stores/NTH-001/plan/items/{item_id(db, item['key'])}", data=data).status_code == 303
    assert store.post("/stores/NTH-001/plan/submit").status_code == 303
    assert kinds(db, "north@example.com") == ["plan_submitted"]
    assert kinds(db, LEEDS) == ["plan_opened"]
    # returned with a note: the store's manager is told, with the note
    north = client_for("north@example.com")
    assert north.post("/stores/NTH-001/plan/return", data={"note": "Name a person"}).status_code == 303
    assert kinds(db, LEEDS) == ["plan_opened", "plan_returned"]
    assert told(db, LEEDS)[1][1] == "The action plan of NTH-001 Leeds was returned with a note: Name a person"
    # submitted again: told again (another event), and a failed audit adds to the plan
    assert store.post("/stores/NTH-001/plan/submit").status_code == 303
    assert kinds(db, "north@example.com") == ["plan_submitted", "plan_submitted"]
    assert delivery.deliver(db).sent == 3
    assert [m["Subject"].split(":")[0] for m in sink.to("north@example.com")] == [
        "The action plan of NTH-001 Leeds was submitted"
    ] * 2
    assert told(db, "owner@example.com") == []


def test_a_store_without_a_manager_has_its_region_told_and_failures_added_are_told_once(client_for, org, db):
    shopper = client_for("shopper@example.com")
    some = yesno_keys(org.main)[2:]
    weak(shopper, org, 4, "NTH-002", some)
    assert kinds(db, "north@example.com") == ["plan_opened"]
    assert told(db, "south@example.com") == [] and told(db, "owner@example.com") == []
    # a second weak audit failing nothing new adds nothing to the plan: nobody is told
    weak(shopper, org, 3, "NTH-002", some)
    assert kinds(db, "north@example.com") == ["plan_opened"]
    # one failing more: told of the failures it added
    weak(shopper, org, 2, "NTH-002")
    assert kinds(db, "north@example.com") == ["plan_opened", "plan_failures_added"]
    assert told(db, "north@example.com")[1][1] == "2 more failed behaviours in the action plan of NTH-002 York"


def test_an_overdue_plan_is_told_to_the_region_once_per_due_date(client_for, org, db, leeds, sink):
    submit(client_for("shopper@example.com"), org, 4, **{k: "no" for k in yesno_keys(org.main)})
    today = db.settings.today()
    assert overdue.tell(db, today) == 0
    with db.write_session() as session:
        session.execute(sa.update(models.ActionPlan).values(respond_by=today - timedelta(days=1)))
    assert overdue.tell(db, today) == 1
    assert overdue.tell(db, today) == 0  # found once
    assert overdue.tell(db, today + timedelta(days=3)) == 0  # the same due date, days later
    ((kind, line, _),) = told(db, "north@example.com")
    assert kind == "plan_overdue" and "is overdue: it was due on" in line
    assert kinds(db, LEEDS) == ["plan_opened"]
    # a behaviour's own due date passing later is another event
    with db.write_session() as session:
        session.execute(
            sa.update(models.PlanItem).values(action="Coach", owner="Lee", due_on=today + timedelta(days=5))
        )
    assert overdue.tell(db, today + timedelta(days=6)) == 1
    assert kinds(db, "north@example.com") == ["plan_overdue", "plan_overdue"]
    delivery.deliver(db)
    assert len(sink.to("north@example.com")) == 2


def test_mail_refused_or_unreachable_is_retried_later_and_never_lost(client_for, org, db, leeds, sink, caplog):
    submit(client_for("shopper@example.com"), org, 4, **{k: "no" for k in yesno_keys(org.main)})
    start = models.now()
    # the server refuses the recipient: retried later; the log and the row name no address
    sink.refuse = True
    result = delivery.deliver(db, start)
    assert (result.sent, result.retrying) == (0, 1)
    with db.session() as session:
        row = session.scalar(sa.select(models.Notification))
    assert row.mail_state == "pending" and row.attempts == 1 and row.next_attempt_at > start
    assert "550" in row.last_error and "@" not in row.last_error
    assert "mail attempt 1 failed" in caplog.text and "@example.com" not in caplog.text
    # the server is down: not due yet, then due and failing again, with a longer wait
    sink.refuse = False
    sink.stop()
    assert delivery.deliver(db, start).sent == 0
    later = start + delivery.WAITS[0] + timedelta(seconds=1)
    assert delivery.deliver(db, later).retrying == 1
    with db.session() as session:
        row = session.scalar(sa.select(models.Notification))
    assert row.attempts == 2 and row.next_attempt_at >= later + delivery.WAITS[1]
    assert "did not take the message" in row.last_error
    # it is back: delivered, once
    sink.start()
    assert delivery.deliver(db, later + timedelta(minutes=1)).sent == 0  # still waiting its turn
    assert delivery.deliver(db, row.next_attempt_at).sent == 1
    assert len(sink.to(LEEDS)) == 1
    with db.session() as session:
        row = session.scalar(sa.select(models.Notification))
    assert (row.mail_state, row.last_error, row.next_attempt_at) == ("sent", "", None)


def test_a_sender_that_died_after_claiming_loses_nothing(client_for, org, db, leeds, sink):
    submit(client_for("shopper@example.com"), org, 4, **{k: "no" for k in yesno_keys(org.main)})
    now = models.now()
    (claimed,) = delivery.claim(db, now)  # ... and the sender stops here, before sending
    assert delivery.claim(db, now) == []  # no other sender takes it meanwhile
    assert delivery.deliver(db, now).sent == 0
    result = delivery.deliver(db, now + delivery.CLAIM + timedelta(seconds=1))
    assert result.sent == 1 and len(sink.to(LEEDS)) == 1
    with db.session() as session:
        assert session.scalar(sa.select(models.Notification.attempts)) == 2
    # the first sender coming back late cannot mark the row it no longer holds
    delivery._mark(db, claimed, mail_state="pending")
    with db.session() as session:
        assert session.scalar(sa.select(models.Notification.mail_state)) == "sent"


def test_failed_for_good_after_the_last_wait(client_for, org, db, leeds, sink):
    submit(client_for("shopper@example.com"), org, 4, **{k: "no" for k in yesno_keys(org.main)})
    sink.stop()
    now = models.now()
    for wait in delivery.WAITS:
        assert delivery.deliver(db, now).retrying == 1
        now += wait + timedelta(seconds=1)
    assert delivery.deliver(db, now).failed == 1
    with db.session() as session:
        row = session.scalar(sa.select(models.Notification))
    assert row.mail_state == "failed" and row.attempts == len(delivery.WAITS) + 1
    assert delivery.deliver(db, now + timedelta(days=30)).failed == 0  # and left alone, in the app


class TestWithoutAMailServer:
    @pytest.fixture
    def settings(self, settings):
        return settings.with_(smtp=None)

    def test_notifications_stay_in_the_app(self, client_for, org, db, leeds, sink):
        submit(client_for("shopper@example.com"), org, 4, **{k: "no" for k in yesno_keys(org.main)})
        assert kinds(db, LEEDS) == ["plan_opened"]
        assert delivery.deliver(db).not_mailed == 1
        with db.session() as session:
            assert session.scalar(sa.select(models.Notification.mail_state)) == "none"
        assert sink.messages == []


def test_a_disabled_store_manager_is_not_told_the_region_is(client_for, org, db, leeds, sink):
    accounts.disable(db, LEEDS)
    submit(client_for("shopper@example.com"), org, 4, **{k: "no" for k in yesno_keys(org.main)})
    assert told(db, LEEDS) == [] and kinds(db, "north@example.com") == ["plan_opened"]
    delivery.deliver(db)
    assert [m["To"] for m in sink.messages] == ["north@example.com"]
