"""Against a real server on loopback: several worker processes, real sockets, real commits."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx2
import pytest
import sqlalchemy as sa

from audit.settings import Settings
from audit.storage import models
from audit.storage.db import Database
from tests import actors
from tests.servers import serving


class Server(str):
    """The base URL, and the process group behind it."""

    def __new__(cls, base: str, process: subprocess.Popen) -> Server:
        obj = super().__new__(cls, base)
        obj.process = process
        return obj


@pytest.fixture
def server(settings: Settings, org: actors.Org) -> Iterator[Server]:
    with serving(settings, workers=2) as (base, process):
        yield Server(base, process)


def count_audits(settings: Settings) -> int:
    db = Database(settings)
    try:
        with db.session() as session:
            return session.scalar(sa.select(sa.func.count()).select_from(models.Audit))
    finally:
        db.dispose()


@contextmanager
def signed_in(server: str) -> Iterator[httpx2.Client]:
    client = httpx2.Client(base_url=server, timeout=30)
    try:
        yield actors.sign_in(client, "shopper@example.com")
    finally:
        client.close()


def test_twenty_identical_concurrent_submissions_leave_exactly_one_audit(server, settings, org):
    body = actors.body(org.main)
    start = threading.Barrier(20)
    with signed_in(server) as session:
        cookies, headers = httpx2.Cookies(session.cookies), dict(session.headers)

    def post(_: int) -> httpx2.Response:
        with httpx2.Client(timeout=30, cookies=cookies, headers=headers) as http:
            start.wait()
            return http.post(f"{server}/api/audits", json=body)

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(post, range(20)))
    statuses = sorted(r.status_code for r in responses)
    odd = [(r.status_code, r.text[:300]) for r in responses if r.status_code not in (200, 201)]
    assert statuses == [200] * 19 + [201], odd
    bodies = {r.content for r in responses}
    assert len(bodies) == 1, [b[:400] for b in bodies]  # everyone hears the same stored audit
    assert count_audits(settings) == 1


def test_twenty_different_concurrent_submissions_are_all_stored(server, settings, org):
    bodies = [actors.body(org.main, store=("NTH-001", "NTH-002")[n % 2]) for n in range(20)]
    with signed_in(server) as session, ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda b: session.post("/api/audits", json=b), bodies))
    assert [r.status_code for r in responses] == [201] * 20
    assert count_audits(settings) == 20


def test_an_acknowledged_audit_survives_the_server_being_killed(server, settings, org):
    body = actors.body(org.main)
    with signed_in(server) as session:
        response = session.post("/api/audits", json=body)
    assert response.status_code == 201
    # SIGKILL the whole process group at once: nothing gets a chance to flush or clean up
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)
    assert count_audits(settings) == 1
    with pytest.raises(httpx2.TransportError):
        httpx2.get(f"{server}/healthz", timeout=2)  # the server really is gone
