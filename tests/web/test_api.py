import base64
import json
import re
import uuid

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from audit.services import audits
from audit.services.audits import AuditOut, submission
from audit.storage import models
from tests import actors, pdfs

TABLES = (models.Audit, models.AuditSection, models.Answer)


def rows(db) -> tuple[int, ...]:
    with db.session() as session:
        return tuple(session.scalar(sa.select(sa.func.count()).select_from(t)) for t in TABLES)


def test_a_first_submission_is_created_with_its_scores(client, org):
    body = actors.body(org.main, answers=actors.answers_for(org.main, respectful_throughout="no"))
    response = client.post("/api/audits", json=body)
    assert response.status_code == 201
    audit = response.json()
    AuditOut.model_validate(audit)  # the documented shape
    assert audit["id"] == body["id"] and audit["store"] == "NTH-001"
    assert audit["score"] == 0.0 and audit["critical_failed"] is True
    assert audit["critical_failures"] == ["respectful_throughout"]
    assert {s["key"]: s["score"] for s in audit["sections"]}["greeting"] == 100.0
    assert audit["answers"]["wait_seconds"] == {
        "value": 5,
        "comment": "",
        "na": False,
        "earned": 3.0,
        "possible": 3.0,
        "failed": False,
    }


def test_the_same_submission_again_answers_200_with_the_same_result(client, org, db):
    body = actors.body(org.main)
    first = client.post("/api/audits", json=body)
    again = client.post("/api/audits", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert client.get(f"/api/audits/{body['id']}").json() == first.json()
    assert rows(db)[0] == 1


def test_the_same_uuid_with_other_content_is_a_conflict(client, org, db):
    body = actors.body(org.main)
    client.post("/api/audits", json=body)
    before = rows(db)
    response = client.post("/api/audits", json={**body, "notes": "edited"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "id"
    assert rows(db) == before


def bad_bodies(org):
    spec = org.main
    full = actors.answers_for(spec)
    yield "unknown item key", actors.body(spec, answers={**full, "smiled_a_lot": {"value": "yes"}}), "smiled_a_lot"
    yield "wrong value type", actors.body(spec, answers={**full, "warm_greeting": {"value": 1}}), "warm_greeting"
    yield "scale out of range", actors.body(spec, answers={**full, "tone_of_voice": {"value": 9}}), "tone_of_voice"
    missing = actors.answers_for(spec, no_interruption=None)
    yield "missing required answer", actors.body(spec, answers=missing), "no_interruption"
    yield (
        "n/a where not allowed",
        actors.body(spec, answers={**full, "warm_greeting": {"value": "na"}}),
        "warm_greeting",
    )
    yield "unknown store", actors.body(spec, store="XXX-404"), "store"
    yield "unknown checklist version", actors.body(spec, checklist_version="0000000000000000"), "checklist_version"
    yield "not a uuid", actors.body(spec, id="phone-1"), "id"
    yield "naive time", actors.body(spec, started_at="2026-11-02T11:10:00"), "started_at"
    yield "unexpected field", {**actors.body(spec), "score": 100}, "score"
    yield (
        "boolean is not a value",
        actors.body(spec, answers={**full, "warm_greeting": {"value": True}}),
        "warm_greeting",
    )


@pytest.mark.parametrize("case", range(11))
def test_bad_input_gets_a_clear_422_naming_the_item_and_writes_nothing(client, org, db, case):
    name, body, field = list(bad_bodies(org))[case]
    before = rows(db)
    response = client.post("/api/audits", json=body)
    assert response.status_code == 422, name
    errors = response.json()["errors"]
    assert field in [e["field"] for e in errors], (name, errors)
    assert all(e["message"] for e in errors)
    assert rows(db) == before


def test_several_problems_are_reported_together(client, org):
    answers = actors.answers_for(org.main, warm_greeting="na", tone_of_voice=0, no_interruption=None)
    response = client.post("/api/audits", json=actors.body(org.main, answers=answers))
    assert {e["field"] for e in response.json()["errors"]} >= {"warm_greeting", "tone_of_voice", "no_interruption"}


def test_malformed_json_is_refused_and_writes_nothing(client, db):
    before = rows(db)
    response = client.post("/api/audits", content=b'{"id": "x", ', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    for not_an_object in (b"[1, 2]", b'"an audit"', b"null"):
        response = client.post("/api/audits", content=not_an_object, headers={"content-type": "application/json"})
        assert response.status_code == 422 and "expected a JSON object" in response.json()["errors"][0]["message"]
    assert rows(db) == before


def test_a_body_over_the_size_limit_is_refused_with_413(client, org, db):
    body = actors.body(org.main, notes="")
    body["answers"]["greeting_notes"] = {"value": "x" * 9_000, "comment": "y" * 9_000}
    payload = json.dumps({**body, "padding": "z" * 2_000_000}).encode()
    before = rows(db)
    response = client.post("/api/audits", content=payload, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]
    assert rows(db) == before


def test_a_chunked_body_over_the_limit_is_refused_too(client, db):
    def chunks():
        for _ in range(40):
            yield b"x" * 64_000

    response = client.post("/api/audits", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_get_an_unknown_audit_is_404_json(client):
    response = client.get("/api/audits/2f1b6a4e-8d3c-4a8e-9b1f-0c2d3e4f5a6b")
    assert response.status_code == 404
    assert response.json()["error"].startswith("no audit")


def test_the_current_checklist_comes_with_its_version_id(client, org):
    response = client.get("/api/checklists/customer-service")
    assert response.status_code == 200
    data = response.json()
    assert data["version"] == org.main.version
    assert data["spec"]["sections"][0]["items"][0]["key"] == "wait_seconds"
    assert client.get("/api/checklists/nope").status_code == 404


def test_the_openapi_document_is_valid_and_describes_the_submission(client):
    response = client.get("/api/openapi.json")
    document = response.json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    post = document["paths"]["/api/audits"]["post"]
    assert set(post["responses"]) >= {"200", "201", "409", "413", "415", "422"}
    schema = document["components"]["schemas"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema[ref]["required"]) >= {"id", "store", "checklist", "checklist_version", "answers"}


def test_the_openapi_document_lists_what_each_operation_can_answer(client):
    """Every status a route can answer, no other (tests/web/test_api_fuzz.py checks them against the server)."""
    paths = client.get("/api/openapi.json").json()["paths"]
    answers = {
        f"{method.upper()} {path}": set(op["responses"]) for path, ops in paths.items() for method, op in ops.items()
    }
    everywhere = {"400", "401", "422", "503"}  # unreadable multipart, no session, NUL in the query, database away
    assert answers == {
        "GET /api/checklists/{key}": {"200", "404", *everywhere},
        "POST /api/audits": {"200", "201", "403", "409", "413", "415", *everywhere},
        "GET /api/audits/{audit_id}": {"200", "404", *everywhere},
        "GET /healthz": {"200", "503"},
        "GET /api/session": {"200", *everywhere},
        "PUT /api/photos/{photo_id}": {"200", "201", "403", "404", "409", "413", "415", *everywhere},
        "GET /api/regions/{code}/comparison": {"200", "403", "404", *everywhere},
        "GET /api/stores/{code}/scores": {"200", "403", "404", *everywhere},
        "GET /api/stores/{code}/plans": {"200", "403", "404", *everywhere},
    }
    for path, name in [("/api/photos/{photo_id}", "photo_id"), ("/api/audits/{audit_id}", "audit_id")]:
        (param,) = next(iter(paths[path].values()))["parameters"]
        assert (param["name"], param["in"], param["schema"]) == (name, "path", {"type": "string", "format": "uuid"})
    scores = {
        p["name"]: p["schema"] for p in paths["/api/stores/{code}/scores"]["get"]["parameters"] if p["in"] == "query"
    }
    assert scores["period"] == {"type": "string", "enum": ["30d", "90d", "quarter"]}
    assert scores["from"] == scores["to"] == {"type": "string", "format": "date"}
    photo_types = paths["/api/photos/{photo_id}"]["put"]["requestBody"]["content"]
    assert set(photo_types) == {"image/jpeg", "image/png", "image/webp", "application/octet-stream"}


def test_healthz_makes_a_database_round_trip(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable():
    from starlette.testclient import TestClient

    from audit.app import create_app
    from audit.settings import Settings

    settings = Settings(database_url="postgresql+psycopg://nobody:x@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_a_submission_while_the_database_is_down_gets_503_to_retry(org):
    from starlette.testclient import TestClient

    from audit.app import create_app
    from audit.settings import Settings

    settings = Settings(database_url="postgresql+psycopg://nobody:x@127.0.0.1:1/none", secret_key="k" * 40)
    app = create_app(settings)
    cookie = app.state.sessions._serializer.dumps({"t": "a-session-from-before", "n": "n"})
    with TestClient(app, raise_server_exceptions=False, cookies={"audit": cookie}) as client:
        response = client.post("/api/audits", json=actors.body(org.main))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "nothing was stored" in response.json()["error"]


def test_unknown_pages_and_methods_get_clean_errors(client):
    assert client.get("/api/nothing").status_code == 404
    response = client.delete("/api/audits")
    assert response.status_code == 405 and response.json()["error"]


# ---- photos beside an answer ----


def uploaded(client, count: int = 1) -> list[str]:
    """Photos uploaded ahead of their audit, as the phone's outbox does."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    for photo_id in ids:
        assert client.put(f"/api/photos/{photo_id}", content=actors.picture()).status_code == 201
    return ids


def with_photos(org, beside: dict[str, list[str]], **overrides) -> dict:
    answers = actors.answers_for(org.main)
    for key, ids in beside.items():
        answers[key] = {**answers.get(key, {"value": None}), "photos": ids}
    return actors.body(org.main, answers=answers, **overrides)


def photos_of(db, audit_id: str | None = None) -> dict[str, tuple[str | None, str]]:
    with db.session() as session:
        query = sa.select(models.Photo)
        if audit_id:
            query = query.where(models.Photo.audit_id == audit_id)
        return {p.id: (p.audit_id, p.item_key) for p in session.scalars(query)}


def test_an_answer_takes_its_photos_and_a_retry_does_not_double_them(shopper_client, org, db):
    greeting, shelf = uploaded(shopper_client, 2)
    visit = uploaded(shopper_client)[0]
    body = with_photos(org, {"warm_greeting": [greeting], "greeting_notes": [shelf]}, photos=[visit])
    response = shopper_client.post("/api/audits", json=body)
    assert response.status_code == 201, response.text
    audit_id = body["id"]
    assert photos_of(db) == {
        greeting: (audit_id, "warm_greeting"),
        shelf: (audit_id, "greeting_notes"),
        visit: (audit_id, ""),
    }
    assert shopper_client.post("/api/audits", json=body).status_code == 200
    assert actors.count(db, models.Photo) == 3 and len(photos_of(db, audit_id)) == 3
    changed = with_photos(org, {"warm_greeting": [greeting, shelf]}, id=audit_id)
    assert shopper_client.post("/api/audits", json=changed).status_code == 409  # other content: a conflict


def test_an_audit_stored_before_answers_had_photos_is_still_the_same_content():
    """The content hash of an answer without photos is the one the server stored before
    the field existed: a phone sending such an audit again still gets 200, not 409."""
    body = {
        "id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
        "store": "NTH-001",
        "checklist": "customer-service",
        "checklist_version": "abc",
        "started_at": "2026-11-02T11:10:00+00:00",
        "finished_at": "2026-11-02T11:30:00+00:00",
        "answers": {"warm_greeting": {"value": "yes"}, "wait_seconds": {"value": 5, "comment": "quick"}},
        "notes": "Quiet.",
    }
    expected = "d6dfcd1b040cedc287805b84ce561292ab244f018e16ac1c556a01a44d36f4d8"  # computed before the change
    assert submission.content_hash(audits.Submission.model_validate(body)) == expected
    body["answers"]["warm_greeting"]["photos"] = ["0c8b1f4e-2d3a-4b5c-9d6e-7f8a9b0c1d2e"]
    assert submission.content_hash(audits.Submission.model_validate(body)) != expected


def test_answer_photos_not_uploaded_or_someone_elses_are_refused_and_nothing_is_stored(
    client_for, shopper_client, org, db
):
    someone_elses = uploaded(client_for("other@example.com"))[0]
    mine = uploaded(shopper_client)[0]
    for photo_id in (str(uuid.uuid4()), someone_elses):
        body = with_photos(org, {"warm_greeting": [mine, photo_id]})
        response = shopper_client.post("/api/audits", json=body)
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"field": "warm_greeting", "message": f"photo {photo_id} has not been uploaded; upload it first"}
        ]
    assert actors.count(db, models.Audit) == 0
    assert photos_of(db)[mine] == (None, "") and photos_of(db)[someone_elses] == (None, "")


def test_a_photo_of_another_audit_cannot_be_put_beside_an_answer(shopper_client, org, db):
    photo_id = uploaded(shopper_client)[0]
    first = with_photos(org, {"warm_greeting": [photo_id]}, assignment=org.visits[0])
    assert shopper_client.post("/api/audits", json=first).status_code == 201
    second = with_photos(org, {"eye_contact_greeting": [photo_id]}, store="NTH-002", assignment=org.visits[1])
    response = shopper_client.post("/api/audits", json=second)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "eye_contact_greeting", "message": f"photo {photo_id} belongs to another audit"}
    ]
    assert photos_of(db) == {photo_id: (first["id"], "warm_greeting")}


def answer_photo_bad_bodies(org, ids: list[str]):
    limit = submission.MAX_ANSWER_PHOTOS
    yield "too many", with_photos(org, {"warm_greeting": ids[: limit + 1]}), "warm_greeting", f"at most {limit}"
    yield "not a uuid", with_photos(org, {"warm_greeting": ["shelf.jpg"]}), "warm_greeting", "UUID"
    yield "not a list", with_photos(org, {"warm_greeting": ids[0]}), "warm_greeting", "a list of photo ids"
    twice = with_photos(org, {"warm_greeting": [ids[0]], "eye_contact_greeting": [ids[0]]})
    yield "one photo in two answers", twice, "warm_greeting", "given twice in this audit"  # the second, by key
    beside_and_visit = with_photos(org, {"warm_greeting": [ids[0]]}, photos=[ids[0]])
    yield "beside an answer and of the visit", beside_and_visit, "photos", "given twice in this audit"
    photo_item = with_photos(org, {"receipt_photo": [ids[0]]})
    yield "on a photo item", photo_item, "receipt_photo", "takes its photo as its value"
    unknown = with_photos(org, {"smiled_a_lot": [ids[0]]})
    yield "on an item the checklist does not have", unknown, "smiled_a_lot", "no such item"


def test_bad_answer_photos_get_a_422_naming_the_item_and_change_nothing(shopper_client, org, db):
    ids = uploaded(shopper_client, submission.MAX_ANSWER_PHOTOS + 1)
    for name, body, field, words in answer_photo_bad_bodies(org, ids):
        response = shopper_client.post("/api/audits", json=body)
        assert response.status_code == 422, name
        problems = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert field in problems and words in problems[field], (name, problems)
    assert actors.count(db, models.Audit) == 0
    assert set(photos_of(db).values()) == {(None, "")}
    at_the_limit = with_photos(org, {"warm_greeting": ids[: submission.MAX_ANSWER_PHOTOS]})
    assert shopper_client.post("/api/audits", json=at_the_limit).status_code == 201


def test_a_sent_back_audit_is_resubmitted_with_its_answer_photos_as_the_revision_says(
    client_for, shopper_client, org, db
):
    manager = client_for("north@example.com")
    kept, dropped, moved = uploaded(shopper_client, 3)
    body = with_photos(org, {"warm_greeting": [kept, dropped], "eye_contact_greeting": [moved]})
    assert shopper_client.post("/api/audits", json=body).status_code == 201
    audit_id = body["id"]
    assert manager.post(f"/audits/{audit_id}/send-back", data={"note": "Show the shelf too."}).status_code == 303

    form = shopper_client.get(f"/audits/{audit_id}/revise").text
    prefill = json.loads(re.search(r'<script type="application/json" id="prefill">(.*?)</script>', form).group(1))
    assert prefill["photos"] == {"warm_greeting": [kept, dropped], "eye_contact_greeting": [moved]}

    added = uploaded(shopper_client)[0]
    someone_elses = uploaded(client_for("other@example.com"))[0]
    revision = {**with_photos(org, {"warm_greeting": [kept, added], "greeting_notes": [moved]}), "id": audit_id}
    revision["revision"] = 2
    refused = with_photos(org, {"warm_greeting": [kept, someone_elses]}, id=audit_id, revision=2)
    response = shopper_client.post("/api/audits", json=refused)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "warm_greeting"
    assert photos_of(db, audit_id) == {
        kept: (audit_id, "warm_greeting"),
        dropped: (audit_id, "warm_greeting"),
        moved: (audit_id, "eye_contact_greeting"),
    }

    response = shopper_client.post("/api/audits", json=revision)
    assert response.status_code == 201 and response.json()["revision"] == 2
    assert shopper_client.post("/api/audits", json=revision).status_code == 200  # the retry doubles nothing
    assert photos_of(db, audit_id) == {
        kept: (audit_id, "warm_greeting"),
        added: (audit_id, "warm_greeting"),
        moved: (audit_id, "greeting_notes"),
    }
    assert photos_of(db)[dropped] == (None, "")  # back with its uploader, out of the audit
    with db.session() as session:
        event = session.scalar(sa.select(models.AuditEvent).where(models.AuditEvent.kind == "resubmitted"))
        assert [audit_id, dropped] not in event.snapshot["photos"]
        assert ["warm_greeting", dropped] in event.snapshot["photos"]  # the revision it replaced, kept whole


def test_the_audit_page_and_pdfs_show_each_answers_photos_beside_it(client_for, shopper_client, org, tmp_path):
    greeting, staff = uploaded(shopper_client, 2)
    body = with_photos(org, {"warm_greeting": [greeting], "staff_description": [staff]})
    assert shopper_client.post("/api/audits", json=body).status_code == 201
    question = org.main.item("warm_greeting").question
    row = re.compile(
        rf"<tr[^>]*>\s*<td>{re.escape(question)}.*?<img class=\"thumb\" src=\"/photos/{greeting}\"[^>]*></a></td>", re.S
    )
    for viewer in (shopper_client, client_for("north@example.com")):
        page = viewer.get(f"/audits/{body['id']}").text
        assert row.search(page), "the photo sits in its answer's row"
        assert "Photos of the visit" not in page
        assert viewer.get(f"/photos/{greeting}").headers["content-type"] == "image/jpeg"
    owner = client_for("owner@example.com")
    full = owner.get(f"/audits/{body['id']}.pdf")
    store_copy = owner.get(f"/audits/{body['id']}.pdf?for=store")
    assert pdfs.images(full.content, tmp_path) == pdfs.images(store_copy.content, tmp_path) + 1  # staff photo internal
    assert "Other photos" not in pdfs.text(full.content, tmp_path)
    assert owner.get(f"/audits/{body['id']}").text.count('class="thumb"') == 2


def test_a_saved_file_brings_in_answer_photos_once(client, org, db):
    photo_id = str(uuid.uuid4())
    body = with_photos(org, {"warm_greeting": [photo_id]})
    picture = {"id": photo_id, "type": "image/jpeg", "data": base64.b64encode(actors.picture(kind="JPEG")).decode()}
    entry = {"shopper": "shopper@example.com", "store_name": "Leeds", "submission": body, "photos": [picture]}
    data = json.dumps({"format": "audit-outbox", "version": 1, "audits": [entry]}).encode()
    for _ in range(2):
        response = client.post(
            "/admin/saved-audits",
            data={"csrf_token": client.headers["X-CSRF-Token"]},
            files={"file": ("audits-waiting.json", data, "application/json")},
        )
        assert response.status_code == 200
    assert photos_of(db) == {photo_id: (body["id"], "warm_greeting")}


def test_the_openapi_document_shows_the_photos_of_an_answer(client):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    photos = schemas["AnswerIn"]["properties"]["photos"]
    assert photos["items"] == {"type": "string", "format": "uuid"}
    assert photos["maxItems"] == submission.MAX_ANSWER_PHOTOS and "uploaded first" in photos["description"]
