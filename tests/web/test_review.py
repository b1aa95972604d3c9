"""Review required: an audit counts only once approved; sent back, it is fixed by its
shopper and comes back as a new revision of the same audit, with its history kept."""

from __future__ import annotations

import pytest

from tests import actors

STORE_SCORES = "/api/stores/NTH-001/scores?from=2026-10-01&to=2026-11-30"


@pytest.fixture
def settings(settings):
    return settings.with_(review_required=True)


def submit(shopper, org, **answers):
    body = actors.body(org.main, answers=actors.answers_for(org.main, **answers))
    response = shopper.post("/api/audits", json=body)
    assert response.status_code == 201, response.text
    return body


def counted(client) -> tuple[float | None, int]:
    scores = client.get(STORE_SCORES).json()
    return scores["score"], scores["audits"]


def test_an_audit_counts_only_once_a_manager_of_its_region_approves_it(client_for, org):
    manager, shopper = client_for("north@example.com"), client_for("shopper@example.com")
    body = submit(shopper, org)
    assert shopper.get(f"/api/audits/{body['id']}").json()["review_state"] == "submitted"
    assert counted(manager) == (None, 0)
    assert "awaiting review" in manager.get("/stores/NTH-001?from=2026-10-01&to=2026-11-30").text
    assert body["id"] in manager.get("/review").text
    assert body["id"] not in client_for("south@example.com").get("/review").text
    assert client_for("south@example.com").post(f"/audits/{body['id']}/approve").status_code == 404
    assert manager.post(f"/audits/{body['id']}/approve").status_code == 303
    assert counted(manager) == (100.0, 1)
    page = manager.get(f"/audits/{body['id']}").text
    assert "Approved: it counts in the totals." in page and "Approved by Nia" in page
    again = manager.post(f"/audits/{body['id']}/approve")
    assert "already approved" in manager.get(again.headers["location"]).text


def test_sent_back_fixed_and_resubmitted_as_revision_two_then_approved(client_for, org, db):
    manager, shopper = client_for("north@example.com"), client_for("shopper@example.com")
    body = submit(shopper, org, wait_seconds=300)
    first_score = shopper.get(f"/api/audits/{body['id']}").json()["score"]
    empty = manager.post(f"/audits/{body['id']}/send-back", data={"note": "ab"})
    page = manager.get(empty.headers["location"]).text
    assert '<p class="error" id="note-error" role="alert">say what to fix, in a few words</p>' in page
    assert ">ab</textarea>" in page  # what was typed is kept
    note = "The wait time looks wrong: check your notes."
    assert manager.post(f"/audits/{body['id']}/send-back", data={"note": note}).status_code == 303

    home = shopper.get("/").text
    assert "Sent back to you" in home and note.replace("'", "&#39;") in home
    form = shopper.get(f"/audits/{body['id']}/revise")
    assert form.status_code == 200 and 'data-revision="2"' in form.text and '"wait_seconds": 300' in form.text

    fixed = {**body, "answers": actors.answers_for(org.main, wait_seconds=20), "revision": 2}
    same_id_wrong_revision = {**fixed, "revision": 3}
    assert shopper.post("/api/audits", json=same_id_wrong_revision).status_code == 409
    response = shopper.post("/api/audits", json=fixed)
    assert response.status_code == 201 and response.json()["revision"] == 2
    assert response.json()["score"] > first_score
    assert shopper.post("/api/audits", json=fixed).status_code == 200  # a retry changes nothing
    assert shopper.post("/api/audits", json={**fixed, "notes": "other"}).status_code == 409  # not sent back now

    assert counted(manager) == (None, 0)
    assert manager.post(f"/audits/{body['id']}/approve").status_code == 303
    assert counted(manager)[1] == 1
    page = manager.get(f"/audits/{body['id']}").text
    assert "Resubmitted as revision 2" in page and f"Sent back by Nia: “{note}”" in page
    assert "revision 1 scored" in page


def test_the_answer_to_a_revision_is_the_audit_as_stored(client_for, org):
    manager, shopper = client_for("north@example.com"), client_for("shopper@example.com")
    body = submit(shopper, org, wait_seconds=300)
    manager.post(f"/audits/{body['id']}/exclude", data={"reason": "Shopper was recognised"})
    manager.post(f"/audits/{body['id']}/send-back", data={"note": "Check the wait time."})
    fixed = {**body, "answers": actors.answers_for(org.main, wait_seconds=20), "revision": 2}
    response = shopper.post("/api/audits", json=fixed)
    assert response.status_code == 201
    stored = shopper.get(f"/api/audits/{body['id']}").json()
    assert response.json() == stored  # the exclusion and the review flag are kept, and said
    assert stored["excluded"] is True and stored["needs_review"] is True and stored["revision"] == 2


def test_the_shopper_sees_what_waits_for_review_and_a_sent_back_audit_only_under_sent_back(client_for, org):
    manager, shopper = client_for("north@example.com"), client_for("shopper@example.com")
    body = submit(shopper, org)
    submitted = shopper.get("/").text.split('id="submitted"')[1]
    assert body["id"] in submitted and "waiting for review" in submitted
    manager.post(f"/audits/{body['id']}/send-back", data={"note": "Check the wait time."})
    home = shopper.get("/").text
    assert body["id"] not in home.split('id="submitted"')[1] and "Check the wait time." in home
    fixed = {**body, "notes": "Checked again.", "revision": 2}
    assert shopper.post("/api/audits", json=fixed).status_code == 201
    manager.post(f"/audits/{body['id']}/approve")
    submitted = shopper.get("/").text.split('id="submitted"')[1]
    assert body["id"] in submitted and "waiting for review" not in submitted


def test_an_audit_not_sent_back_takes_no_new_revision(client_for, org):
    shopper = client_for("shopper@example.com")
    body = submit(shopper, org)
    response = shopper.post("/api/audits", json={**body, "notes": "changed", "revision": 2})
    assert response.status_code == 409 and "not sent back" in response.json()["error"]
    assert shopper.get(f"/audits/{body['id']}/revise").status_code == 404
    fresh = actors.body(org.main, revision=2)
    assert shopper.post("/api/audits", json=fresh).json()["errors"][0]["field"] == "revision"


def test_exclude_and_restore_are_in_the_history_too(client_for, org):
    manager, shopper = client_for("north@example.com"), client_for("shopper@example.com")
    body = submit(shopper, org)
    manager.post(f"/audits/{body['id']}/exclude", data={"reason": "Shopper was recognised"})
    manager.post(f"/audits/{body['id']}/restore", data={"reason": "Checked again"})
    page = manager.get(f"/audits/{body['id']}").text
    assert "Excluded by Nia: Shopper was recognised" in page and "Restored by Nia: Checked again" in page
