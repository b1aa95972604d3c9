"""With review required, a store's manager sees an audit only once review is done with it:
not while it waits, not when it was sent back to the shopper (nor that it was)."""

from __future__ import annotations

import pytest

from audit.services.people import accounts
from tests import actors


@pytest.fixture
def settings(settings):
    return settings.with_(review_required=True)


def test_a_store_manager_sees_an_audit_once_approved_never_its_review(client_for, org, db):
    accounts.create_user(db, "york@example.com", "store", "Yara", password=actors.PASSWORD, stores=("NTH-002",))
    shopper, nia, yara = (client_for(e) for e in ("shopper@example.com", "north@example.com", "york@example.com"))
    waiting = actors.body(org.main, store="NTH-002")
    sent_back = actors.body(org.main, store="NTH-002", finished=actors.VISIT_END.replace(hour=9))
    for body in (waiting, sent_back):
        assert shopper.post("/api/audits", json=body).status_code == 201
    assert nia.post(f"/audits/{sent_back['id']}/send-back", data={"note": "Add the receipt"}).status_code == 303
    store_page = yara.get("/stores/NTH-002?from=2026-10-01&to=2026-11-30").text
    assert "awaiting review" not in store_page and "sent back" not in store_page
    for audit in (waiting, sent_back):
        for path in (f"/audits/{audit['id']}", f"/api/audits/{audit['id']}", f"/audits/{audit['id']}.pdf"):
            assert yara.get(path).status_code == 404, path
    assert waiting["id"] not in store_page and nia.get(f"/audits/{waiting['id']}").status_code == 200
    assert nia.post(f"/audits/{waiting['id']}/approve").status_code == 303
    assert yara.get(f"/audits/{waiting['id']}").status_code == 200
    assert waiting["id"] in yara.get("/stores/NTH-002?from=2026-10-01&to=2026-11-30").text
