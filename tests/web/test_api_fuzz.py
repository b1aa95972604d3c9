"""The JSON API against its OpenAPI document, on a real `audit serve` process.

Schemathesis reads the served document and sends each operation requests made from it,
valid and invalid (its examples, coverage and fuzzing phases), signed in as the shopper
(as the owner for the staff-only JSON routes) with the session's CSRF header. Every
answer must be no server error, of a status the document lists for that operation,
with the documented content type and body schema; a method an address does not take
must answer 405 with an `Allow` header. Random requests seldom make a valid audit or
picture, so the answers that need one (201, 200, 409, 413, 415, and 401/403 for other
callers) are each provoked by a known request and checked the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from audit.settings import Settings
from tests import actors
from tests.servers import serving

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
]
STAFF_ONLY = ("/api/regions/", "/api/stores/")  # called as the owner; everything else as the shopper
TIMEOUT = 30


@pytest.fixture
def server(settings: Settings, org: actors.Org) -> Iterator[str]:
    with serving(settings) as (base, _):
        yield base


def signed_in(base: str, email: str) -> requests.Session:
    """A requests session signed in through the real form, sending its CSRF header."""
    session = requests.Session()
    token = actors.csrf_of(session.get(f"{base}/login", timeout=TIMEOUT).text)
    response = session.post(
        f"{base}/login",
        data={"email": email, "password": actors.PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 303, response.text
    session.headers["X-CSRF-Token"] = session.get(f"{base}/api/session", timeout=TIMEOUT).json()["csrf_token"]
    return session


@pytest.fixture
def sessions(server: str) -> Iterator[dict[str, requests.Session]]:
    made = {"shopper": signed_in(server, "shopper@example.com"), "owner": signed_in(server, "owner@example.com")}
    yield made
    for session in made.values():
        session.close()


@pytest.fixture
def api_schema(server: str, request: pytest.FixtureRequest) -> schemathesis.BaseSchema:
    # schemathesis 4.32's lazy schema reads and writes `node._nodeid`, which pytest 9.2 no longer has
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    return schemathesis.openapi.from_url(f"{server}/api/openapi.json", timeout=TIMEOUT)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(
    max_examples=50,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],  # no shrinking: bounded time
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_every_answer_of_the_served_api_is_documented_and_no_server_error(case, sessions):
    """Fuzzing at most 50 examples an operation, plus the coverage phase's cases (boundaries, mutations,
    content types, methods the address does not take): about 600 requests, 10-15 s a database."""
    session = sessions["owner" if case.path.startswith(STAFF_ONLY) else "shopper"]
    case.call_and_validate(session=session, checks=CHECKS, timeout=TIMEOUT)


def test_known_requests_get_the_documented_answers(server, api_schema, sessions, org):
    """Each documented answer that random requests seldom reach, provoked and checked against the document."""
    shopper, owner = sessions["shopper"], sessions["owner"]
    manager, anonymous = signed_in(server, "north@example.com"), requests.Session()
    no_csrf = requests.Session()
    no_csrf.cookies.update(shopper.cookies)
    audit = actors.body(org.main)
    other = {**audit, "notes": "Another visit under the same id."}
    photo_id = str(uuid.uuid4())
    period = {"period": "30d"}
    steps: list[tuple[requests.Session, str, str, dict[str, Any], int]] = [
        (shopper, "POST", "/api/audits", {"body": audit}, 201),
        (shopper, "POST", "/api/audits", {"body": audit}, 200),
        (shopper, "POST", "/api/audits", {"body": other}, 409),
        (shopper, "POST", "/api/audits", {"body": {**audit, "store": "STH-001"}}, 422),
        (shopper, "POST", "/api/audits", {"body": {**audit, "notes": "x" * (1024 * 1024)}}, 413),
        (shopper, "POST", "/api/audits", {"body": "store=NTH-001", "media_type": "text/plain"}, 415),
        (manager, "POST", "/api/audits", {"body": actors.body(org.main)}, 403),
        (no_csrf, "POST", "/api/audits", {"body": actors.body(org.main)}, 403),
        (anonymous, "POST", "/api/audits", {"body": actors.body(org.main)}, 401),
        (shopper, "GET", "/api/audits/{audit_id}", {"path_parameters": {"audit_id": audit["id"]}}, 200),
        (owner, "GET", "/api/audits/{audit_id}", {"path_parameters": {"audit_id": audit["id"]}}, 200),
        (anonymous, "GET", "/api/audits/{audit_id}", {"path_parameters": {"audit_id": audit["id"]}}, 401),
        (shopper, "GET", "/api/audits/{audit_id}", {"path_parameters": {"audit_id": str(uuid.uuid4())}}, 404),
        (shopper, "PUT", "/api/photos/{photo_id}", _photo(photo_id, actors.picture()), 201),
        (shopper, "PUT", "/api/photos/{photo_id}", _photo(photo_id, actors.picture()), 200),
        (shopper, "PUT", "/api/photos/{photo_id}", _photo(photo_id, actors.picture(41)), 409),
        (shopper, "PUT", "/api/photos/{photo_id}", _photo(str(uuid.uuid4()), b"not a picture"), 422),
        (shopper, "PUT", "/api/photos/{photo_id}", _photo("not-a-uuid", actors.picture()), 422),
        (
            shopper,
            "PUT",
            "/api/photos/{photo_id}",
            {**_photo(str(uuid.uuid4()), b"x"), "media_type": "text/plain"},
            415,
        ),
        (manager, "PUT", "/api/photos/{photo_id}", _photo(str(uuid.uuid4()), actors.picture()), 403),
        (shopper, "GET", "/api/checklists/{key}", {"path_parameters": {"key": "customer-service"}}, 200),
        (shopper, "GET", "/api/checklists/{key}", {"path_parameters": {"key": "nope"}}, 404),
        (shopper, "GET", "/api/session", {}, 200),
        (anonymous, "GET", "/api/session", {}, 401),
        (owner, "GET", "/api/regions/{code}/comparison", {"path_parameters": {"code": "NTH"}, "query": period}, 200),
        (manager, "GET", "/api/regions/{code}/comparison", {"path_parameters": {"code": "STH"}}, 404),
        (shopper, "GET", "/api/regions/{code}/comparison", {"path_parameters": {"code": "NTH"}}, 403),
        (
            owner,
            "GET",
            "/api/regions/{code}/comparison",
            {"path_parameters": {"code": "NTH"}, "query": {"period": "1y"}},
            422,
        ),
        (owner, "GET", "/api/stores/{code}/scores", {"path_parameters": {"code": "NTH-001"}, "query": period}, 200),
        (
            owner,
            "GET",
            "/api/stores/{code}/scores",
            {"path_parameters": {"code": "NTH-001"}, "query": {"checklist": "nope"}},
            404,
        ),
        (owner, "GET", "/healthz", {}, 200),
    ]
    for session, method, path, data, status in steps:
        case = api_schema[path][method].Case(**data)
        response = case.call_and_validate(session=session, checks=CHECKS, timeout=TIMEOUT)
        assert response.status_code == status, (method, path, response.status_code, response.text[:300])
    # a method an address does not take: 405 naming every method it does (/login has two routes)
    for method, path, allow in [
        ("DELETE", "/api/audits", "POST"),
        ("PUT", "/login", "GET, HEAD, POST"),
        ("POST", "/static/css/app.css", "GET, HEAD"),
    ]:
        response = shopper.request(method, f"{server}{path}", timeout=TIMEOUT)
        assert (response.status_code, response.headers.get("Allow")) == (405, allow), (method, path)
    for session in (manager, anonymous, no_csrf):
        session.close()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_a_period_at_either_end_of_the_calendar_is_refused_not_a_server_error(client, day):
    for path in ("/api/regions/NTH/comparison", "/api/stores/NTH-001/scores", "/regions/NTH/comparison.csv"):
        response = client.get(f"{path}?from={day}")
        assert response.status_code == 422 and "1900" in response.text, path
    assert "1900" in client.get(f"/regions/NTH?from={day}").text  # a page says so beside the dates


def _photo(photo_id: str, data: bytes) -> dict[str, Any]:
    return {"path_parameters": {"photo_id": photo_id}, "body": data, "media_type": "image/png"}
