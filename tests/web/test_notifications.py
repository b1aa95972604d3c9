"""The notifications page through the real app: each person sees only their own, newest first,
the unread ones marked and counted beside the account menu; marking all read."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from audit.services.people import accounts
from audit.storage import models
from tests import actors
from tests.web.test_plans import submit, yesno_keys


@pytest.fixture
def plans_opened(client_for, org, db):
    """Leeds (NTH-001) has a store manager, York (NTH-002) none: a weak audit at each."""
    accounts.create_user(db, "leeds@example.com", "store", "Lee", stores=("NTH-001",), password=actors.PASSWORD)
    shopper = client_for("shopper@example.com")
    fails = {k: "no" for k in yesno_keys(org.main)}
    submit(shopper, org, 4, **fails)
    body = actors.body(org.main, "NTH-002", answers=actors.answers_for(org.main, **fails))
    assert shopper.post("/api/audits", json=body).status_code == 201


def unread_in_header(html: str) -> int | None:
    match = re.search(r'<span class="unread" data-unread aria-hidden="true">(\d+)</span>', html)
    return int(match[1]) if match else None


def test_each_person_sees_only_their_own_notifications(client_for, plans_opened):
    store, north, south = (client_for(e) for e in ("leeds@example.com", "north@example.com", "south@example.com"))
    mine = store.get("/notifications")
    assert mine.status_code == 200
    assert "Action plan opened for NTH-001 Leeds" in mine.text and "NTH-002" not in mine.text
    assert 'href="/stores/NTH-001/plan"' in mine.text and "1 unread" in mine.text
    theirs = north.get("/notifications").text
    assert "Action plan opened for NTH-002 York" in theirs and "NTH-001 Leeds" not in theirs
    nothing = south.get("/notifications").text
    assert "Nothing yet." in nothing and "Action plan" not in nothing
    assert "Nothing yet." in client_for("owner@example.com").get("/notifications").text


def test_the_unread_count_sits_beside_the_account_menu_until_all_are_marked_read(client_for, plans_opened, db):
    north = client_for("north@example.com")
    page = north.get("/").text
    assert unread_in_header(page) == 1 and 'href="/notifications"' in page
    assert "Notifications, 1 unread" in page
    assert unread_in_header(client_for("leeds@example.com").get("/stores/NTH-001").text) == 1
    assert unread_in_header(client_for("south@example.com").get("/").text) is None
    # marking all read changes only one's own
    response = north.post("/notifications/read")
    assert response.status_code == 303 and response.headers["location"] == "/notifications"
    page = north.get("/notifications").text
    assert unread_in_header(page) is None and "All read" in page and "Mark all read" not in page
    assert unread_in_header(client_for("leeds@example.com").get("/stores/NTH-001").text) == 1
    with db.session() as session:
        unread = session.scalar(sa.select(sa.func.count()).where(models.Notification.read_at.is_(None)))
    assert unread == 1


def test_shoppers_have_no_bell_and_marking_needs_the_form_s_token(client_for, anonymous, plans_opened, db):
    shopper = client_for("shopper@example.com")
    assert 'class="bell"' not in shopper.get("/").text
    assert "Nothing yet." in shopper.get("/notifications").text
    north = client_for("north@example.com")
    north.headers.pop("X-CSRF-Token")
    assert north.post("/notifications/read").status_code == 403
    assert anonymous.get("/notifications").status_code == 303
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).where(models.Notification.read_at.is_not(None))) == 0
