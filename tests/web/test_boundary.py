"""What a careless client or an attacker sends at the boundary: NUL characters, numbers out of
range, bodies of the wrong type or size, a batch with one audit the database refuses. Each is
refused in words (never a 500) and changes nothing, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa

from audit.services import audits
from audit.services.audits import submission as submission_module
from audit.storage import models
from tests import actors

NUL = "\u0000"


def stored(db) -> tuple[int, int, int]:
    return tuple(actors.count(db, table) for table in (models.Audit, models.Answer, models.AuditSection))


def form(client, path: str, **fields: str):
    return client.post(path, data={"csrf_token": client.headers["X-CSRF-Token"], **fields})


@pytest.mark.parametrize("where", ["notes", "comment", "value"])
def test_a_nul_in_any_text_of_a_submission_is_refused_naming_its_field(shopper_client, org, db, where):
    body = actors.body(org.main)
    if where == "notes":
        body["notes"], field = f"a{NUL}b", "notes"
    elif where == "comment":
        body["answers"]["warm_greeting"]["comment"], field = f"a{NUL}b", "warm_greeting"
    else:
        body["answers"]["warm_greeting"]["value"], field = f"yes{NUL}", "warm_greeting"
    response = shopper_client.post("/api/audits", json=body)
    assert response.status_code == 422, response.text
    assert field in [p["field"] for p in response.json()["errors"]]
    assert stored(db) == (0, 0, 0)


def test_a_nul_in_an_address_is_404_and_in_a_query_422(client, org, shopper_client):
    for path in ("/stores/%00", "/regions/%00", "/api/checklists/%00", "/api/audits/%00", "/audits/%00"):
        assert client.get(path).status_code == 404, path
    assert shopper_client.get("/visits/1%00").status_code == 404
    response = client.get("/admin/activity?q=%00")
    assert response.status_code == 422 and "NUL" in response.text and "q" in response.text
    response = client.get("/api/regions/NTH/comparison?period=%00")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "period"


def test_a_nul_in_a_sign_in_is_refused_and_the_real_sign_in_still_works(anonymous, org):
    token = actors.csrf_of(anonymous.get("/login").text)
    response = anonymous.post(
        "/login", data={"email": "x\x00@example.com", "password": "whatever-1", "csrf_token": token}
    )
    assert response.status_code == 422 and "NUL" in response.text
    assert actors.sign_in(anonymous, "owner@example.com").get("/").status_code == 200


def test_a_nul_in_an_admin_form_or_file_changes_nothing(client, org, db):
    stores_before = actors.count(db, models.Store)
    assert form(client, "/admin/stores", code="NTH-009", name=f"Le{NUL}eds", region="NTH").status_code == 422
    assert form(client, "/admin/regions", code="EST", name=f"E{NUL}").status_code == 422
    assert form(client, "/admin/regions/NTH", name=f"North{NUL}").status_code == 422
    assert form(client, "/admin/branding", name=f"Brand{NUL}", accent="#0b5cad").status_code == 422
    pasted = f"code,name,region,address,timezone\nNTH-010,Hull{NUL},NTH,,Europe/London\n"
    assert form(client, "/admin/stores/import", csv=pasted).status_code == 422
    response = client.post(
        "/admin/stores/import",
        data={"csrf_token": client.headers["X-CSRF-Token"]},
        files={"file": ("stores.csv", pasted.encode(), "text/csv")},
    )
    assert response.status_code == 422 and "NUL" in response.text
    assert actors.count(db, models.Store) == stores_before
    with db.session() as session:
        assert session.scalar(sa.select(models.Region.name).where(models.Region.code == "NTH")) == "North"


@pytest.mark.parametrize(
    "change",
    [
        {"assignment": 9223372036854775808},
        {"assignment": 2147483648},
        {"assignment": -1},
        {"revision": 10**30},
    ],
)
def test_numbers_past_what_the_database_holds_are_422(shopper_client, org, db, change):
    response = shopper_client.post("/api/audits", json=actors.body(org.main, **change))
    assert response.status_code == 422, response.text
    assert stored(db) == (0, 0, 0)


@pytest.mark.parametrize("value", [10000000000000000000, -(10**13), 1e300])
def test_a_number_answer_out_of_range_is_422_naming_the_item(shopper_client, org, db, value):
    body = actors.body(org.main)
    body["answers"]["wait_seconds"]["value"] = value
    response = shopper_client.post("/api/audits", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "wait_seconds"
    assert stored(db) == (0, 0, 0)


def test_ids_too_large_for_any_row_are_404(client, shopper_client, org):
    assert client.get("/admin/people/99999999999999999999").status_code == 404
    assert client.get("/admin/people/2147483648").status_code == 404
    assert shopper_client.get("/visits/99999999999999999999").status_code == 404
    assert form(client, "/admin/assignments/99999999999999999999/cancel", confirmed="yes").status_code == 404


def test_a_form_body_on_a_json_endpoint_is_415_and_stores_nothing(shopper_client, org, db):
    token = shopper_client.headers["X-CSRF-Token"]
    plain = {k: v for k, v in shopper_client.headers.items() if k.lower() != "x-csrf-token"}
    for data in ({"csrf_token": token, "id": str(uuid.uuid4())},):
        response = shopper_client.post("/api/audits", data=data, headers=plain)
        assert response.status_code == 415, response.text
        assert "application/json" in response.json()["error"]
        response = shopper_client.put(f"/api/photos/{uuid.uuid4()}", data=data, headers=plain)
        assert response.status_code == 415, response.text
        response = shopper_client.post(
            "/api/audits", data=data, files={"f": ("a.json", b"{}", "application/json")}, headers=plain
        )
        assert response.status_code == 415, response.text
    assert stored(db) == (0, 0, 0) and actors.count(db, models.Photo) == 0


def test_every_form_is_held_to_a_body_limit(anonymous, client, org, db):
    token = actors.csrf_of(anonymous.get("/login").text)
    big = b"x" * (2 * 1024 * 1024)
    response = anonymous.post(
        "/login", data={"csrf_token": token, "email": "a@example.com"}, files={"f": ("big.bin", big)}
    )
    assert response.status_code == 413 and "1 MB" in response.text
    response = anonymous.post("/login", data={"csrf_token": token, "email": "a" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    # an upload form takes its file, and is held to its own, larger limit
    response = client.post(
        "/admin/stores/import",
        data={"csrf_token": client.headers["X-CSRF-Token"]},
        files={"file": ("stores.csv", b"x" * (5 * 1024 * 1024), "text/csv")},
    )
    assert response.status_code == 413
    assert actors.sign_in(anonymous, "owner@example.com").get("/").status_code == 200


@pytest.mark.parametrize("poison", ["unknown checklist version", "a value no driver takes"])
def test_one_audit_the_database_refuses_never_fails_the_others_of_its_batch(db, org, poison):
    submitter = audits.Submitter(db)
    try:
        batch = []
        for n in range(51):
            submission = audits.Submission.model_validate(actors.body(org.main))
            batch.append(audits.prepare(db, submission, org.shopper))
            if n == 25:
                bad = batch[-1]
                if poison == "unknown checklist version":  # a foreign key both databases enforce
                    bad.audit["checklist_version_id"] = "0" * 16
                else:
                    bad.audit["notes"] = object()  # neither sqlite3 nor psycopg can send it
        outcomes = submitter.store_batch(batch)
    finally:
        submitter.close()
    assert [o.status for o in outcomes].count("created") == 50
    assert outcomes[25].status == "invalid" and "nothing of it was stored" in outcomes[25].problems[0].message
    with db.session() as session:
        ids = set(session.scalars(sa.select(models.Audit.id)))
    assert ids == {p.id for n, p in enumerate(batch) if n != 25}


def test_one_bad_audit_among_concurrent_submissions_fails_alone(app, org, db, monkeypatch):
    """Through the app: 50 phones and one whose audit the database refuses, all at once."""
    import asyncio

    import httpx2

    poisoned = str(uuid.uuid4())
    real = submission_module.prepare

    def prepare(db_, submission, shopper_id=None, **kw):
        prepared = real(db_, submission, shopper_id, **kw)
        if prepared.id == poisoned:
            prepared.audit["checklist_version_id"] = "0" * 16
        return prepared

    monkeypatch.setattr(submission_module, "prepare", prepare)

    async def run() -> list[int]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as http:
            login = await http.get("/login")
            token = actors.csrf_of(login.text)
            await http.post(
                "/login", data={"email": "owner@example.com", "password": actors.PASSWORD, "csrf_token": token}
            )
            page = await http.get("/")
            headers = {"X-CSRF-Token": actors.csrf_of(page.text)}
            bodies = [actors.body(org.main) for _ in range(50)]
            bodies.insert(25, actors.body(org.main, id=poisoned))
            answers = await asyncio.gather(*(http.post("/api/audits", json=b, headers=headers) for b in bodies))
            return [r.status_code for r in answers]

    async def with_lifespan() -> list[int]:
        async with app.router.lifespan_context(app):
            return await run()

    # a loop of its own, in a thread of its own: the browser tests' driver may hold this one's
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        statuses = pool.submit(lambda: asyncio.run(with_lifespan())).result()
    assert statuses.count(201) == 50 and statuses[25] == 422
    assert actors.count(db, models.Audit) == 50


def test_the_503_log_line_names_no_values(org, caplog):
    from starlette.testclient import TestClient

    from audit.app import create_app
    from audit.settings import Settings

    settings = Settings(database_url="postgresql+psycopg://nobody:x@127.0.0.1:1/none", secret_key="k" * 40)
    app = create_app(settings)
    cookie = app.state.sessions._serializer.dumps({"t": "a-session-from-before", "n": "n"})
    with caplog.at_level(logging.ERROR), TestClient(app, raise_server_exceptions=False, cookies={"audit": cookie}) as c:
        assert c.get("/invite/secret-token-123").status_code == 503
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "database unavailable" in logged
    assert "secret-token-123" not in logged and "parameters" not in logged and "SELECT" not in logged
    hashed = __import__("hashlib").sha256(b"a-session-from-before").hexdigest()
    assert hashed not in logged
