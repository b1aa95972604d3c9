"""CPU time per POST /api/audits, measured in process (no HTTP server, no load generator).

`submit.py` gives the figures that count, but on a shared 2-core machine its
throughput moves with whatever else runs. This drives the same ASGI app
(middleware, sign-in guard, parsing, checking, scoring, the group writer and its
SQLite commits) with 20 concurrent requests on uvloop and reports the process's
CPU time per submission, which moves far less: use it to compare two versions.

    .venv/bin/python bench/submit_cpu.py [--requests 2000] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
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
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
