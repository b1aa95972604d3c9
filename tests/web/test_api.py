import json

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from audit.services.audits import AuditOut
from audit.storage import models
from tests import actors

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
