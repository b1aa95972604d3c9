"""Store managers through the real app: invited by owners and by the region's managers, they
see their own stores only (everything else 404), always the store's copy of an audit (no
shopper, no staff description, no internal notes: on the page, in the JSON and in the PDF),
and they answer their store's action plan while the region decides."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit.services.people import accounts
from audit.storage import models
from tests import actors, pdfs

STAFF_SEEN = "Badge read Quentin, red cap"  # the staff description: never on the store's copy
SHOPPER_NAME = "Zebedee Quill"  # the shopper's, renamed: the checklist's own guidance says "I'm Sam"


def neutral_answers(spec, **overrides):
    """Every item at its best, the text ones saying nothing about the shopper."""
    answers = actors.answers_for(spec, **overrides)
    for item in spec.items:
        if item.type == "text" and item.key in answers:
            answers[item.key] = {"value": "Calm and tidy"}
    answers["staff_description"] = {"value": STAFF_SEEN}
    return answers


def submit(client, org, store="NTH-002", days_before=0, **overrides):
    finished = actors.VISIT_END - timedelta(days=days_before)
    body = actors.body(org.main, store=store, finished=finished, answers=neutral_answers(org.main, **overrides))
    body["notes"] = "Quiet morning, short queue."
    response = client.post("/api/audits", json=body)
    assert response.status_code == 201, response.text
    return body["id"]


def reveals_shopper(text: str) -> bool:
    return "shopper@example.com" in text or SHOPPER_NAME in text or STAFF_SEEN in text


def item_ids(db) -> list[int]:
    with db.session() as session:
        return list(session.scalars(sa.select(models.PlanItem.id).order_by(models.PlanItem.id)))


@pytest.fixture
def york(db, org) -> int:
    with db.write_session() as session:
        session.get(models.User, org.shopper).name = SHOPPER_NAME
    return accounts.create_user(db, "york@example.com", "store", "Yara", password=actors.PASSWORD, stores=("NTH-002",))


def test_a_store_manager_sees_their_store_and_only_the_stores_copy_of_its_audits(client_for, org, york, tmp_path):
    audit_id = submit(client_for("shopper@example.com"), org)
    other = submit(client_for("shopper@example.com"), org, store="NTH-001")
    yara = client_for("york@example.com")
    home = yara.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/stores/NTH-002"
    store_page = yara.get("/stores/NTH-002")
    assert store_page.status_code == 200 and "York" in store_page.text
    assert 'href="/regions/' not in store_page.text and "audits.csv" not in store_page.text
    assert 'href="/downloads"' not in store_page.text and 'value="zip"' not in store_page.text
    weak = submit(
        client_for("shopper@example.com"),
        org,
        days_before=1,
        **{i.key: "no" for i in org.main.items if i.type == "yesno"},
    )
    pages = ("/stores/NTH-002", "/stores/NTH-002/report.pdf", "/stores/NTH-002/plan", "/api/stores/NTH-002/plans")
    for path in (
        *pages,
        "/api/stores/NTH-002/scores",
        f"/audits/{audit_id}",
        f"/api/audits/{audit_id}",
        f"/audits/{weak}",
    ):
        response = yara.get(path)
        assert response.status_code == 200, path
        body = pdfs.text(response.content, tmp_path) if path.endswith(".pdf") else response.text
        found = re.search(r".{80}(shopper@example.com|Zebedee|Badge read Quentin).{40}", body, re.S)
        assert found is None, (path, found and found.group(0))
    page = yara.get(f"/audits/{audit_id}").text
    assert "Calm and tidy" in page and "Who served you?" not in page and "Exclude" not in page
    copy = yara.get(f"/audits/{audit_id}.pdf")  # whatever is asked, the store's copy
    text = pdfs.text(copy.content, tmp_path)
    assert "COPY FOR THE STORE" in text.upper() and "Calm and tidy" in text and not reveals_shopper(text)
    asked_for_more = pdfs.text(yara.get(f"/audits/{audit_id}.pdf?for=staff").content, tmp_path)
    assert "COPY FOR THE STORE" in asked_for_more.upper() and not reveals_shopper(asked_for_more)
    data = yara.get(f"/api/audits/{audit_id}").json()
    assert data["shopper_id"] is None and "staff_description" not in data["answers"]
    # staff see the whole audit
    staff = client_for("north@example.com").get(f"/audits/{audit_id}").text
    assert STAFF_SEEN in staff
    staff_pdf = pdfs.text(client_for("north@example.com").get(f"/audits/{audit_id}.pdf").content, tmp_path)
    assert reveals_shopper(staff_pdf) and SHOPPER_NAME in staff_pdf  # what the checks above would catch
    # anything not theirs: 404, as for what does not exist
    for path in (
        "/stores/NTH-001", "/stores/STH-001", "/stores/NTH-001/report.pdf", f"/audits/{other}", f"/audits/{other}.pdf",
        f"/api/audits/{other}", "/regions/NTH", "/regions", "/review", "/downloads", "/admin/people",
        "/api/stores/NTH-001/plans", "/stores/NTH-002/managers", "/company/report.pdf", "/stores/NTH-002/audits.csv",
    ):  # fmt: skip
        assert yara.get(path).status_code == 404, path


def test_owners_and_the_regions_managers_invite_store_managers(client_for, org, db):
    owner = client_for("owner@example.com")
    response = owner.post(
        "/admin/people", data={"email": "leeds@example.com", "name": "Lee", "role": "store", "stores": "nth-001"}
    )
    assert response.status_code == 200 and "/invite/" in response.text
    (lee,) = [p for p in accounts.list_users(db) if p.email == "leeds@example.com"]
    assert lee.role == "store" and lee.stores == ("NTH-001",)
    refused = owner.post("/admin/people", data={"email": "x@example.com", "name": "X", "role": "store", "stores": ""})
    assert refused.status_code == 422 and "needs at least one store" in refused.text
    unknown = owner.post(
        "/admin/people", data={"email": "y@example.com", "name": "Y", "role": "store", "stores": "NOPE-1"}
    )
    assert unknown.status_code == 422 and "no store NOPE-1" in unknown.text
    assert {p.email for p in accounts.list_users(db)} >= {"leeds@example.com"}
    assert not {"x@example.com", "y@example.com"} & {p.email for p in accounts.list_users(db)}
    # the north's manager, from the store's page
    nia = client_for("north@example.com")
    assert "/stores/NTH-002/managers" in nia.get("/stores/NTH-002").text
    invited = nia.post("/stores/NTH-002/managers", data={"email": "York@Example.com", "name": "Yara"})
    assert invited.status_code == 200 and "/invite/" in invited.text and "Invitation for Yara" in invited.text
    # an existing store manager looks after a second store, no new link
    again = nia.post("/stores/NTH-002/managers", data={"email": "leeds@example.com", "name": ""})
    assert again.status_code == 200 and "now looks after this store too" in again.text and "/invite/" not in again.text
    (lee,) = [p for p in accounts.list_users(db) if p.email == "leeds@example.com"]
    assert lee.stores == ("NTH-001", "NTH-002")
    # one person, one role; another region's store does not exist for her
    clash = nia.post("/stores/NTH-002/managers", data={"email": "shopper@example.com", "name": "Sam"})
    assert clash.status_code == 422 and "cannot manage a store: ask an owner" in clash.text
    assert "already a" not in clash.text and "a shopper" not in clash.text  # nothing of their role
    assert nia.post("/stores/STH-001/managers", data={"email": "z@example.com", "name": "Z"}).status_code == 404
    assert "z@example.com" not in {p.email for p in accounts.list_users(db)}
    page = nia.get("/stores/NTH-002/managers").text
    assert "Yara" in page and "leeds@example.com" in page
    # removed from one store, still managing the other
    removed = nia.post(f"/stores/NTH-002/managers/{lee.id}/remove")
    assert removed.status_code == 303
    (lee,) = [p for p in accounts.list_users(db) if p.email == "leeds@example.com"]
    assert lee.stores == ("NTH-001",)


def test_a_store_manager_with_two_stores_chooses_one(client_for, org, db):
    accounts.create_user(db, "two@example.com", "store", "Tia", password=actors.PASSWORD, stores=("NTH-001", "NTH-002"))
    page = client_for("two@example.com").get("/")
    assert page.status_code == 200 and "Your stores" in page.text
    assert "/stores/NTH-001" in page.text and "/stores/NTH-002" in page.text and "STH-001" not in page.text


def test_the_store_answers_its_plan_and_the_region_decides(client_for, org, york, db):
    shopper, nia, yara = (client_for(e) for e in ("shopper@example.com", "north@example.com", "york@example.com"))
    submit(shopper, org, **{i.key: "no" for i in org.main.items if i.type == "yesno" and i.points > 0})
    (plan,) = yara.get("/api/stores/NTH-002/plans").json()["plans"]
    assert plan["state"] == "open"
    # the region's manager reads it but does not write it: the store has its own manager
    assert "manager writes and submits this plan" in nia.get("/stores/NTH-002/plan").text
    ids = item_ids(db)
    item_id = ids[0]
    due = (db.settings.today() + timedelta(days=7)).isoformat()
    refused = nia.post(f"/stores/NTH-002/plan/items/{item_id}", data={"action": "Coach", "owner": "Nia", "due_on": due})
    assert refused.status_code == 409
    page = yara.get("/stores/NTH-002/plan").text
    assert "Submit the plan" in page and "Accept the plan" not in page
    for number in ids:
        written = yara.post(
            f"/stores/NTH-002/plan/items/{number}",
            data={"action": "Greet within ten seconds", "owner": "Yara", "due_on": due},
        )
        assert written.status_code == 303, written.text
    assert yara.post("/stores/NTH-002/plan/submit").status_code == 303
    # a store manager never decides on their own plan
    assert yara.post("/stores/NTH-002/plan/accept").status_code == 404
    assert "region’s manager accepts it" in yara.get("/stores/NTH-002/plan").text
    assert nia.post("/stores/NTH-002/plan/accept").status_code == 303
    assert yara.get("/api/stores/NTH-002/plans").json()["plans"][0]["state"] == "accepted"


def test_a_photo_of_an_internal_item_never_reaches_the_store(client_for, org, york, db):
    shopper = client_for("shopper@example.com")
    seen, served = str(uuid.uuid4()), str(uuid.uuid4())
    for photo_id in (seen, served):
        assert shopper.put(f"/api/photos/{photo_id}", content=actors.picture()).status_code == 201
    body = actors.body(org.main, store="NTH-002", answers=neutral_answers(org.main), photos=[seen, served])
    assert shopper.post("/api/audits", json=body).status_code == 201
    with db.write_session() as session:  # as a photo of the staff description would be stored
        session.get(models.Photo, served).item_key = "staff_description"
    yara, nia = client_for("york@example.com"), client_for("north@example.com")
    assert yara.get(f"/photos/{seen}").status_code == 200 and nia.get(f"/photos/{served}").status_code == 200
    assert yara.get(f"/photos/{served}").status_code == 404
    assert served not in yara.get(f"/audits/{body['id']}").text and served in nia.get(f"/audits/{body['id']}").text


def test_an_invited_manager_who_has_not_signed_up_leaves_the_plan_to_the_region(client_for, org, db):
    nia = client_for("north@example.com")
    assert nia.post("/stores/NTH-002/managers", data={"email": "new@example.com", "name": "Neo"}).status_code == 200
    submit(client_for("shopper@example.com"), org, **{i.key: "no" for i in org.main.items if i.type == "yesno"})
    due = (db.settings.today() + timedelta(days=7)).isoformat()
    written = nia.post(
        f"/stores/NTH-002/plan/items/{item_ids(db)[0]}", data={"action": "Coach", "owner": "Nia", "due_on": due}
    )
    assert written.status_code == 303


def test_an_archived_store_is_closed_to_its_manager(client_for, org, york, db):
    audit_id = submit(client_for("shopper@example.com"), org)
    yara, owner = client_for("york@example.com"), client_for("owner@example.com")
    assert yara.get(f"/audits/{audit_id}").status_code == 200
    assert owner.post("/admin/stores/NTH-002/archive", data={"confirmed": "yes"}).status_code == 303
    assert "No store is linked to your account" in yara.get("/").text
    for path in ("/stores/NTH-002", "/stores/NTH-002/plan", f"/audits/{audit_id}", f"/api/audits/{audit_id}"):
        assert yara.get(path).status_code == 404, path
    refused = client_for("north@example.com").post("/stores/NTH-002/managers", data={"email": "york@example.com"})
    assert refused.status_code == 422 and "York is archived" in refused.text


def test_a_route_hidden_from_a_store_manager_is_404_even_without_a_token(client_for, org, york):
    yara = client_for("york@example.com")
    response = yara.post("/admin/people", data={"email": "x@example.com"}, headers={"X-CSRF-Token": ""})
    assert response.status_code == 404 and "There is nothing at this address." in response.text
