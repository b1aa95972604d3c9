"""Every route of the router, for every kind of person, with own and other-region objects.

A route added without a declared rule, or without a line in EXPECTED, fails here:
a new page cannot be forgotten.
"""

import re
import uuid

import pytest
import sqlalchemy as sa
from starlette.routing import Route
from starlette.testclient import TestClient

from audit.services.people import accounts
from audit.storage import models
from audit.web.auth import routes_without_rule
from tests import actors

PEOPLE = ("anonymous", "owner", "north_manager", "shopper", "store_manager")
EMAILS = {
    "owner": "owner@example.com",
    "north_manager": "north@example.com",
    "shopper": "shopper@example.com",
    "store_manager": "york@example.com",
}

# (method, path) -> expected status for anonymous, owner, north manager, shopper, and the manager
# of store NTH-002 (York), to whom everything not theirs answers 404 as if it did not exist.
# {own} is an audit in the north by the shopper; {other} an audit in the south by another shopper.
EXPECTED = {
    ("GET", "/"): (303, 200, 200, 200, 303),
    ("GET", "/visits/{visit}"): (303, 403, 403, 200, 404),
    ("GET", "/outbox"): (200, 200, 200, 200, 200),
    ("GET", "/offline"): (200, 200, 200, 200, 200),
    ("GET", "/sw.js"): (200, 200, 200, 200, 200),
    ("GET", "/manifest.webmanifest"): (200, 200, 200, 200, 200),
    ("GET", "/api/session"): (401, 200, 200, 200, 200),
    ("PUT", "/api/photos/{photo}"): (401, 201, 403, 201, 404),
    ("GET", "/login"): (200, 303, 303, 303, 303),
    ("POST", "/login"): (401, 401, 401, 401, 401),
    ("POST", "/logout"): (303, 303, 303, 303, 303),
    ("GET", "/account/password"): (303, 200, 200, 200, 200),
    ("POST", "/account/password"): (303, 422, 422, 422, 422),
    ("GET", "/notifications"): (303, 200, 200, 200, 200),  # each person their own (a shopper's is empty)
    ("POST", "/notifications/read"): (303, 303, 303, 303, 303),
    ("GET", "/admin/security"): (303, 200, 403, 403, 404),
    ("GET", "/admin/saved-audits"): (303, 200, 403, 403, 404),
    ("POST", "/admin/saved-audits"): (303, 422, 403, 403, 404),
    ("GET", "/admin/stores"): (303, 200, 403, 403, 404),
    ("POST", "/admin/stores"): (303, 422, 403, 403, 404),
    ("GET", "/admin/stores/new"): (303, 200, 403, 403, 404),
    ("GET", "/admin/stores/import"): (303, 200, 403, 403, 404),
    ("POST", "/admin/stores/import"): (303, 422, 403, 403, 404),
    ("GET", "/admin/stores/NTH-001"): (303, 200, 403, 403, 404),
    ("POST", "/admin/stores/NTH-001"): (303, 422, 403, 403, 404),
    ("POST", "/admin/stores/NTH-001/archive"): (303, 200, 403, 403, 404),  # the confirmation step
    ("POST", "/admin/stores/STH-001/restore"): (303, 303, 403, 403, 404),
    ("POST", "/admin/regions"): (303, 422, 403, 403, 404),
    ("GET", "/admin/regions/new"): (303, 200, 403, 403, 404),
    ("GET", "/admin/regions/NTH"): (303, 200, 403, 403, 404),
    ("POST", "/admin/regions/NTH"): (303, 422, 403, 403, 404),
    ("POST", "/admin/regions/NTH/archive"): (303, 409, 403, 403, 404),  # it still has open stores
    ("POST", "/admin/regions/STH/restore"): (303, 303, 403, 403, 404),
    ("GET", "/admin/people"): (303, 200, 403, 403, 404),
    ("POST", "/admin/people"): (303, 422, 403, 403, 404),
    ("GET", "/admin/people/new"): (303, 200, 403, 403, 404),
    ("GET", "/admin/people/{user_id}"): (303, 200, 403, 403, 404),
    ("POST", "/admin/people/{user_id}"): (303, 422, 403, 403, 404),
    ("POST", "/admin/people/{user_id}/link"): (303, 200, 403, 403, 404),
    ("POST", "/admin/people/{user_id}/disable"): (303, 200, 403, 403, 404),  # the confirmation step
    ("POST", "/admin/people/{user_id}/enable"): (303, 303, 403, 403, 404),
    ("GET", "/invite/{token}"): (404, 404, 404, 404, 404),
    ("POST", "/invite/{token}"): (404, 404, 404, 404, 404),
    ("GET", "/admin/checklists"): (303, 200, 403, 403, 404),
    ("POST", "/admin/checklists/preview"): (303, 422, 403, 403, 404),
    ("POST", "/admin/checklists/publish"): (303, 422, 403, 403, 404),
    ("GET", "/admin/checklists/help"): (303, 200, 403, 403, 404),
    ("GET", "/admin/checklists/{key}"): (303, 200, 403, 403, 404),
    ("GET", "/admin/checklists/{key}/versions/{version}"): (303, 200, 403, 403, 404),
    ("POST", "/admin/checklists/{key}/archive"): (303, 200, 403, 403, 404),  # the confirmation step
    ("POST", "/admin/checklists/{key}/restore"): (303, 303, 403, 403, 404),
    ("GET", "/admin/assignments"): (303, 200, 403, 403, 404),
    ("POST", "/admin/assignments"): (303, 422, 403, 403, 404),
    ("GET", "/admin/assignments/new"): (303, 200, 403, 403, 404),
    ("GET", "/admin/assignments/import"): (303, 200, 403, 403, 404),
    ("POST", "/admin/assignments/import"): (303, 422, 403, 403, 404),
    ("POST", "/admin/assignments/{assignment_id}/cancel"): (303, 200, 403, 403, 404),  # the confirmation step
    ("GET", "/admin/activity"): (303, 200, 403, 403, 404),
    ("GET", "/admin/branding"): (303, 200, 403, 403, 404),
    ("POST", "/admin/branding"): (303, 422, 403, 403, 404),
    ("GET", "/branding.css"): (200, 200, 200, 200, 200),
    ("GET", "/branding/logo"): (404, 404, 404, 404, 404),  # no logo until one is set
    ("GET", "/regions"): (303, 200, 200, 403, 404),
    ("GET", "/regions/NTH"): (303, 200, 200, 403, 404),
    ("GET", "/regions/STH"): (303, 200, 404, 403, 404),
    ("GET", "/regions/NTH/comparison.csv"): (303, 200, 200, 403, 404),
    ("GET", "/regions/STH/behaviours"): (303, 200, 404, 403, 404),
    ("GET", "/regions/STH/audits.csv"): (303, 200, 404, 403, 404),
    ("GET", "/regions/NTH/answers.csv"): (303, 200, 200, 403, 404),
    ("GET", "/regions/NTH/report.pdf"): (303, 200, 200, 403, 404),
    ("GET", "/regions/STH/report.pdf"): (303, 200, 404, 403, 404),
    ("GET", "/regions/STH/audits.zip"): (303, 200, 404, 403, 404),
    ("GET", "/stores/NTH-001/report.pdf"): (303, 200, 200, 403, 404),
    ("GET", "/stores/STH-001/report.pdf"): (303, 200, 404, 403, 404),
    ("GET", "/stores/NTH-001/audits.zip"): (303, 200, 200, 403, 404),
    ("GET", "/audits/{own}.pdf"): (303, 200, 200, 403, 404),
    ("GET", "/audits/{other}.pdf"): (303, 200, 404, 403, 404),
    ("GET", "/stores/NTH-001/audits.csv"): (303, 200, 200, 403, 404),
    ("GET", "/stores/STH-001/audits.csv"): (303, 200, 404, 403, 404),
    ("GET", "/company/report.pdf"): (303, 200, 200, 403, 404),
    ("GET", "/downloads"): (303, 200, 200, 403, 404),
    ("POST", "/downloads"): (303, 404, 404, 403, 404),  # asks for no report: nothing to make
    ("GET", "/downloads/nojob"): (303, 404, 404, 403, 404),
    ("GET", "/downloads/nojob.json"): (303, 404, 404, 403, 404),
    ("GET", "/downloads/nojob/file"): (303, 404, 404, 403, 404),
    ("GET", "/api/regions/STH/comparison"): (401, 200, 404, 403, 404),
    ("GET", "/api/stores/NTH-001/scores"): (401, 200, 200, 403, 404),
    ("GET", "/stores/NTH-001"): (303, 200, 200, 403, 404),
    ("GET", "/stores/STH-001"): (303, 200, 404, 403, 404),
    ("GET", "/stores/NTH-001/plan"): (303, 200, 200, 403, 404),
    ("GET", "/stores/STH-001/plan"): (303, 200, 404, 403, 404),
    ("POST", "/stores/NTH-001/plan/items/{item_id}"): (303, 404, 404, 403, 404),  # no plan open
    ("POST", "/stores/NTH-001/plan/submit"): (303, 404, 404, 403, 404),
    ("POST", "/stores/STH-001/plan/accept"): (303, 404, 404, 403, 404),
    ("POST", "/stores/NTH-001/plan/return"): (303, 404, 404, 403, 404),
    ("GET", "/api/stores/NTH-001/plans"): (401, 200, 200, 403, 404),
    ("GET", "/api/stores/STH-001/plans"): (401, 200, 404, 403, 404),
    ("GET", "/audits/{own}"): (303, 200, 200, 200, 404),
    ("GET", "/photos/none"): (303, 404, 404, 404, 404),
    ("GET", "/audits/{other}"): (303, 200, 404, 404, 404),
    ("POST", "/audits/{own}/exclude"): (303, 303, 303, 403, 404),
    ("POST", "/audits/{other}/restore"): (303, 303, 404, 403, 404),
    ("POST", "/audits/{own}/approve"): (303, 303, 303, 403, 404),
    ("POST", "/audits/{other}/send-back"): (303, 303, 404, 403, 404),
    ("GET", "/audits/{own}/revise"): (303, 403, 403, 404, 404),
    ("GET", "/review"): (303, 200, 200, 403, 404),
    ("GET", "/healthz"): (200, 200, 200, 200, 200),
    ("GET", "/api/openapi.json"): (200, 200, 200, 200, 200),
    ("GET", "/api/checklists/{key}"): (401, 200, 200, 200, 200),
    ("POST", "/api/audits"): (401, 201, 403, 201, 404),
    ("GET", "/api/audits/{own}"): (401, 200, 200, 200, 404),
    ("GET", "/api/audits/{other}"): (401, 200, 404, 404, 404),
    # the store manager's own store (NTH-002) and its audit ({mine}, by the shopper): the store's copy
    ("GET", "/stores/NTH-002"): (303, 200, 200, 403, 200),
    ("GET", "/stores/NTH-002/report.pdf"): (303, 200, 200, 403, 200),
    ("GET", "/stores/NTH-002/plan"): (303, 200, 200, 403, 200),
    ("GET", "/api/stores/NTH-002/scores"): (401, 200, 200, 403, 200),
    ("GET", "/api/stores/NTH-002/plans"): (401, 200, 200, 403, 200),
    ("GET", "/audits/{mine}"): (303, 200, 200, 200, 200),
    ("GET", "/audits/{mine}.pdf"): (303, 200, 200, 403, 200),
    ("GET", "/api/audits/{mine}"): (401, 200, 200, 200, 200),
    ("GET", "/stores/NTH-002/managers"): (303, 200, 200, 403, 404),
    ("GET", "/stores/STH-001/managers"): (303, 200, 404, 403, 404),
    ("POST", "/stores/NTH-001/managers"): (303, 422, 422, 403, 404),  # no email given
    ("POST", "/stores/NTH-002/managers/{store_manager}/remove"): (303, 303, 404, 403, 404),  # gone after the owner
}

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options")


@pytest.fixture
def store_manager(db, org) -> int:
    """York's manager (NTH-002)."""
    return accounts.create_user(db, "york@example.com", "store", "Yara", password=actors.PASSWORD, stores=("NTH-002",))


@pytest.fixture
def audits(client_for, org, store_manager):
    """One audit in each region, each by the shopper sent there, and one of York's (NTH-002)."""
    own = actors.body(org.main, store="NTH-001")
    other = actors.body(org.quick, store="STH-001")
    mine = actors.body(org.main, store="NTH-002")
    assert client_for("shopper@example.com").post("/api/audits", json=own).status_code == 201
    assert client_for("other@example.com").post("/api/audits", json=other).status_code == 201
    assert client_for("shopper@example.com").post("/api/audits", json=mine).status_code == 201
    return {
        "own": own["id"], "other": other["id"], "mine": mine["id"], "visit": org.visits[0], "photo": "new",
        "store_manager": store_manager,
    }  # fmt: skip


def people(app, client_for):
    anonymous = TestClient(app, follow_redirects=False)
    anonymous.headers["X-CSRF-Token"] = actors.csrf_of(anonymous.get("/login").text)
    return {"anonymous": anonymous, **{who: client_for(email) for who, email in EMAILS.items()}}


def call(client, method, path, org):
    if method == "GET":
        return client.get(path)
    if method == "PUT":
        return client.put(path.replace("/new", f"/{uuid.uuid4()}"), content=actors.picture())
    if path == "/api/audits":
        return client.post(path, json=actors.body(org.main, store="NTH-001", id=str(uuid.uuid4())))
    return client.post(path, data={"csrf_token": client.headers.get("X-CSRF-Token", ""), "reason": "test reason"})


def admin_objects(org):
    """The shopper, one of their planned visits, the current checklist version, an unknown link."""
    return {
        "user_id": org.shopper, "assignment_id": 1, "version": org.main.version, "token": "not-a-link", "item_id": 1,
    }  # fmt: skip


def test_every_route_declares_who_may_use_it(app):
    assert routes_without_rule(app.routes) == []


def forgive_failed_sign_ins(db) -> None:
    with db.write_session() as session:
        session.execute(sa.delete(models.SignInThrottle))


def test_every_route_answers_each_person_as_declared(app, client_for, org, audits, db):
    clients = people(app, client_for)
    declared = {(m, r.path) for r in app.routes if isinstance(r, Route) for m in r.methods - {"HEAD"}}
    expected_paths = {(m, re.sub(r"\{own\}|\{other\}|\{mine\}", "{audit_id}", p)) for m, p in EXPECTED}
    expected_paths = {(m, p.replace("{store_manager}", "{user_id}")) for m, p in expected_paths}
    expected_paths = {(m, p.replace("/photos/none", "/photos/{photo_id}")) for m, p in expected_paths}
    expected_paths = {(m, p.replace("/downloads/nojob", "/downloads/{job_id}")) for m, p in expected_paths}
    expected_paths = {
        (m, p.replace("{photo}", "{photo_id}").replace("{visit}", "{assignment_id}")) for m, p in expected_paths
    }
    expected_paths = {(m, re.sub(r"/(regions|stores)/[A-Z]{3}(-\d+)?", r"/\1/{code}", p)) for m, p in expected_paths}
    assert declared == expected_paths, "a route was added or removed: say in EXPECTED who may use it"
    for (method, template), statuses in EXPECTED.items():
        path = template.format(key="customer-service", **audits, **admin_objects(org))
        # sign-in and sign-out change who is signed in: run them last, on fresh clients
        if template in ("/login", "/logout") and method == "POST":
            continue
        for who, status in zip(PEOPLE, statuses, strict=True):
            response = call(clients[who], method, path, org)
            assert response.status_code == status, (method, template, who, response.text[:200])
            for header in SECURITY_HEADERS:
                assert header in response.headers, (method, template, header)
    for method, template in (("POST", "/login"), ("POST", "/logout")):
        forgive_failed_sign_ins(db)  # five people's refused POST /login, from one test address
        fresh = people(app, client_for)
        for who, status in zip(PEOPLE, EXPECTED[(method, template)], strict=True):
            assert call(fresh[who], method, template, org).status_code == status, (template, who)


def test_the_csp_allows_no_inline_script_and_no_other_origin(anonymous):
    for path in ("/login", "/static/css/app.css", "/nowhere", "/api/openapi.json"):
        csp = anonymous.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "http" not in csp
        assert "frame-ancestors 'none'" in csp


def test_a_manager_sees_only_their_regions_on_the_home_page(client_for, org, audits):
    page = client_for("north@example.com").get("/").text
    assert "NTH-001" in page and "STH-001" not in page and "South" not in page


def test_a_shopper_sees_their_visits_not_league_tables(client_for, org, audits):
    page = client_for("shopper@example.com").get("/").text
    assert "My visits" in page and "Leeds" in page
    assert "Store scores" not in page and "Brighton" not in page


def test_a_shopper_may_submit_only_for_stores_they_were_sent_to(client_for, org):
    response = client_for("shopper@example.com").post("/api/audits", json=actors.body(org.main, store="STH-001"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "store"


def test_the_shopper_is_taken_from_the_session_never_from_the_body(client_for, org):
    body = {**actors.body(org.main), "shopper_id": org.other_shopper}
    shopper = client_for("shopper@example.com")
    assert shopper.post("/api/audits", json=body).status_code == 422  # no such field
    del body["shopper_id"]
    assert shopper.post("/api/audits", json=body).json()["shopper_id"] == org.shopper
