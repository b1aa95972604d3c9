"""CPU time per POST /api/audits, measured in process (no HTTP server, no load generator),
where it goes, and the part of it that is SQLite's own work.

`submit.py` gives the figures that count, but on a shared 2-core machine its
throughput moves with whatever else runs. This drives the same ASGI app
(middleware, sign-in guard, parsing, checking, scoring, the group writer and its
SQLite commits) with 20 concurrent requests on uvloop and reports the process's
CPU time per submission, which moves far less: use it to compare two versions.

It also times the parts of every request as they run in that flow (not in a loop of
their own, where caches stay warm and they look two to three times cheaper): on the
event loop's thread, wall time, which includes waiting to take the GIL back after
each SQLite call; on the writer thread, that thread's own CPU time.

Then, as the floor under any submission path, SQLite's own CPU time for storing
copies of the audits the app just stored (the same rows, new ids) with plain
`sqlite3`: rows ready as tuples, one `executemany` per table, 16 audits per
transaction, on a connection set up as the server's (WAL, `synchronous=FULL`,
foreign keys). No SQLAlchemy and no Python row building.

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
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvloop
from starlette.responses import Response

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.app import create_app  # noqa: E402
from audit.services import audits  # noqa: E402
from audit.services.people import accounts  # noqa: E402
from audit.services.planning import assignments  # noqa: E402
from audit.settings import Settings  # noqa: E402
from audit.storage import bulk, migrate  # noqa: E402
from audit.storage.db import Database  # noqa: E402
from audit.web import api  # noqa: E402
from tests import actors  # noqa: E402

FLOOR_AUDITS, FLOOR_BATCH = 3200, 16
SPENT: Counter[str] = Counter()  # nanoseconds per part

# (module, function, label, clock): the parts timed in flow
PARTS: list[tuple[Any, str, str, Callable[[], int]]] = [
    (accounts, "session_viewer", "session lookup", time.perf_counter_ns),
    (assignments, "may_visit", "planned-visit lookup", time.perf_counter_ns),
    (api, "parse_json", "body into Submission (pydantic)", time.perf_counter_ns),
    (audits, "prepare", "check, score, hash, rows", time.perf_counter_ns),
    (api, "json_response", "response body", time.perf_counter_ns),
    (audits.Submitter, "store_batch", "writer: whole batch", time.thread_time_ns),
    (bulk, "insert_values", "writer: INSERTs", time.thread_time_ns),
    (audits, "_view", "stored audit as JSON data", time.perf_counter_ns),
]


def timed(function: Callable[..., Any], label: str, clock: Callable[[], int]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        start = clock()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[label] += clock() - start

    return run


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
    for module, name, label, clock in PARTS:
        setattr(module, name, timed(getattr(module, name), label, clock))
    app = create_app(settings)
    commit = app.state.db.write_engine.dialect.do_commit
    app.state.db.write_engine.dialect.do_commit = timed(commit, "writer: COMMIT (sync included)", time.thread_time_ns)
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
            SPENT.clear()
            gc.collect()
            gc.freeze()  # as app_from_env does for the server
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(client(args.requests // args.clients) for _ in range(args.clients)))
            return time.process_time() - cpu, time.perf_counter() - wall

    cpu, wall = uvloop.run(run())
    done = sum(statuses.values())
    print(f"POST /api/audits in process, {args.clients} concurrent, {done} requests: {statuses}")
    print(f"  CPU {cpu / done * 1e6:.0f} us per submission, wall {wall / done * 1e6:.0f} us")
    print("  in flow, per submission (event loop: wall; writer thread: its CPU):")
    for label, spent in SPENT.items():
        print(f"    {label:36} {spent / done / 1000:6.0f} us")
    floor = sqlite_floor(settings.sqlite_path)
    print(f"SQLite alone storing {FLOOR_AUDITS} copies of those audits, {FLOOR_BATCH} per transaction:")
    print(f"  CPU {floor / FLOOR_AUDITS * 1e6:.0f} us per audit")
    shutil.rmtree(work, ignore_errors=True)


def sqlite_floor(path: Path) -> float:
    """CPU seconds SQLite takes to store FLOOR_AUDITS copies of a stored audit, given as ready tuples."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    (model,) = conn.execute("SELECT id FROM audits LIMIT 1").fetchone()
    tables = {}
    for table in ("audits", "audit_sections", "answers"):
        key = "id" if table == "audits" else "audit_id"
        cursor = conn.execute(f"SELECT * FROM {table} WHERE {key} = ?", (model,))
        columns = [d[0] for d in cursor.description]
        tables[table] = (columns.index(key), cursor.fetchall(), ", ".join("?" * len(columns)))
    copies = []
    for _ in range(FLOOR_AUDITS):
        audit_id = str(uuid.uuid4())
        copies.append(
            {table: [(*row[:at], audit_id, *row[at + 1 :]) for row in rows] for table, (at, rows, _) in tables.items()}
        )
    cpu = time.process_time()
    for start in range(0, FLOOR_AUDITS, FLOOR_BATCH):
        batch = copies[start : start + FLOOR_BATCH]
        conn.execute("BEGIN IMMEDIATE")
        for table, (_, _, marks) in tables.items():
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", [row for copy in batch for row in copy[table]])
        conn.execute("COMMIT")
    cpu = time.process_time() - cpu
    conn.close()
    return cpu


if __name__ == "__main__":
    main()
