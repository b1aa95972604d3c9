"""Audits a phone saved to a file, brought in by an owner: once, with their photos."""

from __future__ import annotations

import base64
import json
import uuid

import sqlalchemy as sa

from audit.storage import models
from tests import actors


def saved_file(org, shopper="shopper@example.com", **overrides) -> tuple[bytes, str]:
    photo_id = str(uuid.uuid4())
    answers = {**actors.answers_for(org.main), "receipt_photo": {"value": photo_id}}
    body = actors.body(org.main, answers=answers, **overrides)
    photo = {"id": photo_id, "type": "image/jpeg", "data": base64.b64encode(actors.picture(kind="JPEG")).decode()}
    entry = {"shopper": shopper, "store_name": "Leeds", "submission": body, "photos": [photo]}
    data = {"format": "audit-outbox", "version": 1, "saved_at": "2026-11-02T12:00:00Z", "audits": [entry]}
    return json.dumps(data).encode(), body["id"]


def bring_in(client, data: bytes, name: str = "audits-waiting.json"):
    token = client.headers["X-CSRF-Token"]
    return client.post(
        "/admin/saved-audits", data={"csrf_token": token}, files={"file": (name, data, "application/json")}
    )


def test_an_owner_brings_in_a_saved_file_once_whatever_the_number_of_tries(client, org, db):
    data, audit_id = saved_file(org)
    first = bring_in(client, data)
    assert first.status_code == 200 and "Stored" in first.text and f"/audits/{audit_id}" in first.text
    again = bring_in(client, data)
    assert "Already here: nothing changed" in again.text
    assert actors.count(db, models.Audit) == 1 and actors.count(db, models.Photo) == 1
    with db.session() as session:
        audit = session.get(models.Audit, audit_id)
        photo = session.scalar(sa.select(models.Photo))
        assert audit.shopper_id == org.shopper
        assert (photo.audit_id, photo.item_key) == (audit_id, "receipt_photo")


def test_the_phone_uploading_later_finds_the_audit_already_there(client, shopper_client, org):
    data, _ = saved_file(org)
    bring_in(client, data)
    entry = json.loads(data)["audits"][0]
    photo = entry["photos"][0]
    assert shopper_client.put(f"/api/photos/{photo['id']}", content=base64.b64decode(photo["data"])).status_code == 200
    assert shopper_client.post("/api/audits", json=entry["submission"]).status_code == 200


def test_a_refused_audit_is_reported_with_its_reason_and_stores_nothing(client, org, db):
    data, _ = saved_file(org, shopper="nobody@example.com")
    page = bring_in(client, data).text
    assert "Refused" in page and "no shopper" in page
    wrong, _ = saved_file(org, store="XXX-999")
    assert "no visit planned at store &#39;XXX-999&#39;" in bring_in(client, wrong).text
    assert actors.count(db, models.Audit) == 0


def test_an_audit_for_a_store_the_shopper_was_never_sent_to_is_refused_as_the_api_refuses_it(
    client, shopper_client, org, db
):
    data, _ = saved_file(org, store="STH-001")  # the other shopper's store
    page = bring_in(client, data).text
    assert "Refused" in page and "no visit planned at store &#39;STH-001&#39;" in page
    assert actors.count(db, models.Audit) == 0
    submission = json.loads(data)["audits"][0]["submission"]
    submission["answers"]["receipt_photo"] = {"value": "na"}
    refused = shopper_client.post("/api/audits", json=submission)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "store"
    assert actors.count(db, models.Audit) == 0


def test_a_file_that_is_not_a_saved_audits_file_gets_a_clear_error(client, db):
    for data in (b"not json", b'{"format": "something-else", "version": 1, "audits": []}', b"[]"):
        response = bring_in(client, data)
        assert response.status_code == 422
        assert "not a file of saved audits" in response.text
    assert actors.count(db, models.Audit) == 0


def test_only_owners_may_bring_in_files(client_for, org):
    data, _ = saved_file(org)
    assert bring_in(client_for("north@example.com"), data).status_code == 403
    assert bring_in(client_for("shopper@example.com"), data).status_code == 403
