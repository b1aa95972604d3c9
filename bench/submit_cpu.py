"""CPU time per POST /api/audits, measured in process (no HTTP server, no load generator),
and the part of it that is SQLite's own work.

`submit.py` gives the figures that count, but on a shared 2-core machine its
throughput moves with whatever else runs. This drives the same ASGI app
(middleware, sign-in guard, parsing, checking, scoring, the group writer and its
SQLite commits) with 20 concurrent requests on uvloop and reports the process's
CPU time per submission, which moves far less: use it to compare two versions.

Then, as the floor under any submission path, SQLite's own CPU time for storing
audits shaped like the default checklist's (1 audit row, 7 sections, 36 answers) in
the same database with plain `sqlite3`: rows prepared as tuples beforehand, one
`executemany` per table, 16 audits per transaction, WAL, `synchronous=FULL`, foreign
keys on, as the server's connections are set up. No SQLAlchemy and no Python rows.

    .venv/bin/python bench/submit_cpu.py [--requests 2000] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import uvloop
from starlette.responses import Response

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.app import create_app  # noqa: E402
from audit.services import accounts  # noqa: E402
from audit.settings import Settings  # noqa: E402
from audit.storage import migrate  # noqa: E402
from audit.storage.db import Database  # noqa: E402
from tests import actors  # noqa: E402

WHEN = "2026-11-23 10:00:00.000000"
FLOOR_AUDITS, FLOOR_BATCH = 3200, 16


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="audit-bench-cpu-"))
    settings = Settings(sqlite_path=work / "audit.db")
    with Database(settings) as db:
        migrate.upgrade(db)
        org = actors.make_org(db)
        token, _ = accounts.sign_in(db, "shopper@example.com", actors.PASSWORD, "127.0.0.1")
    app = create_app(settings)
    signed = Response()
    app.state.sessions.write(signed, {"t": token, "n": "bench"}, 3600)
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"cookie", signed.headers["set-cookie"].split(";")[0].encode()),
        (b"x-csrf-token", app.state.sessions.csrf_token(token).encode()),
    ]
    template = json.dumps(actors.body(org.main, id="__ID__"))
    statuses: dict[int, int] = {}

    async def post() -> None:
        body = template.replace("__ID__", str(uuid.uuid4())).encode()
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/api/audits", "raw_path": b"/api/audits", "query_string": b"",
            "root_path": "", "headers": [*headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
        }  # fmt: skip
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # no disconnect: the request waits for its answer
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1

        await app(scope, receive, send)

    async def client(n: int) -> None:
        for _ in range(n):
            await post()

    async def run() -> tuple[float, float]:
        async with app.router.lifespan_context(app):
            await asyncio.gather(*(client(50) for _ in range(args.clients)))  # warm up
            statuses.clear()
            gc.collect()
            gc.freeze()  # as app_from_env does for the server
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(client(args.requests // args.clients) for _ in range(args.clients)))
            return time.process_time() - cpu, time.perf_counter() - wall

    cpu, wall = uvloop.run(run())
    done = sum(statuses.values())
    print(f"POST /api/audits in process, {args.clients} concurrent, {done} requests: {statuses}")
    print(f"  CPU {cpu / done * 1e6:.0f} us per submission, wall {wall / done * 1e6:.0f} us")
    cpu = sqlite_floor(settings.sqlite_path)
    print(f"SQLite alone storing {FLOOR_AUDITS} audits of 44 rows, {FLOOR_BATCH} per transaction:")
    print(f"  CPU {cpu / FLOOR_AUDITS * 1e6:.0f} us per audit")
    shutil.rmtree(work, ignore_errors=True)


def sqlite_floor(path: Path) -> float:
    """CPU seconds SQLite takes to store FLOOR_AUDITS audits given as ready tuples."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    store_id, version = conn.execute("SELECT store_id, checklist_version_id FROM audits LIMIT 1").fetchone()
    audits = []
    for _ in range(FLOOR_AUDITS):
        audit_id = str(uuid.uuid4())
        audit = (audit_id, store_id, version, None, None, WHEN, WHEN, WHEN, "notes", 90.0, 100.0, 90.0)
        audit += (False, False, "", None, None, "0" * 64)
        sections = [(audit_id, f"section_{n}", 10.0, 10.0, 100.0) for n in range(7)]
        answers = [
            (audit_id, f"item_{n:02d}", f"section_{n % 7}", '"yes"', "", False, 3.0, 3.0, False) for n in range(36)
        ]
        audits.append((audit, sections, answers))
    cpu = time.process_time()
    for start in range(0, FLOOR_AUDITS, FLOOR_BATCH):
        batch = audits[start : start + FLOOR_BATCH]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO audits VALUES ({', '.join('?' * 18)})", [a for a, _, _ in batch])
        conn.executemany("INSERT INTO audit_sections VALUES (?, ?, ?, ?, ?)", [r for _, s, _ in batch for r in s])
        conn.executemany("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [r for _, _, a in batch for r in a])
        conn.execute("COMMIT")
    cpu = time.process_time() - cpu
    conn.close()
    return cpu


if __name__ == "__main__":
    main()
