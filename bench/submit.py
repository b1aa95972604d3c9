"""Benchmark POST /api/audits against a bare Starlette JSON POST endpoint, in the same run.

Both are served the same way (uvicorn, same worker count, loopback) and loaded by
wrk with the same number of concurrent connections. Every request to the app is a
new audit (a new UUID) of the default checklist, fully answered, sent by a
signed-in shopper (session cookie and CSRF header), so each is authenticated,
checked, scored and durably committed (SQLite, synchronous=FULL) before its 201.

    .venv/bin/python bench/submit.py [--clients 20] [--seconds 15] [--workers 1] [--database-url URL]

Prints throughput, p50/p99 latency and the server's CPU time per request (user + system,
all its processes: steadier than throughput on a shared machine) for both, and the
ratio app / bare.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.settings import Settings  # noqa: E402
from audit.storage import migrate  # noqa: E402
from audit.storage.db import Database  # noqa: E402
from tests import actors  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: list[str], port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", *target, "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        [*command, "--log-level", "warning", "--no-access-log"], env=env, cwd=ROOT, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


def cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time (user + system) of the server: its process and every worker it started."""
    ticks = 0
    pids = [process.pid]
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def load(
    port: int, body_file: Path, clients: int, seconds: int, cookie: str, csrf: str, server: subprocess.Popen
) -> dict[str, float]:
    token = uuid.uuid4().hex[:8]
    before = cpu_seconds(server)
    command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "-s", str(ROOT / "bench" / "submit.lua")]
    command += [f"http://127.0.0.1:{port}", "--", token, str(body_file), cookie, csrf]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    requests, duration_us, p50_us, p99_us, bad = map(int, line.split()[1:])
    return {
        "cpu_us": (cpu_seconds(server) - before) / requests * 1e6,
        "rps": requests / (duration_us / 1e6),
        "p50_ms": p50_us / 1000,
        "p99_ms": p99_us / 1000,
        "non_2xx": bad,
        "requests": requests,
    }


def sign_in(port: int) -> tuple[str, str]:
    """A shopper's session cookie and CSRF token, as the phone would hold them."""
    with httpx2.Client(base_url=f"http://127.0.0.1:{port}") as client:
        actors.sign_in(client, "shopper@example.com")
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        return cookie, client.headers["X-CSRF-Token"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench needs wrk: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    settings = Settings(database_url=args.database_url, sqlite_path=work / "audit.db")
    db = Database(settings)
    migrate.upgrade(db)
    org = actors.make_org(db)
    db.dispose()
    body_file = work / "body.json"
    body_file.write_text(json.dumps(actors.body(org.main, id="__ID__")))
    env = {**os.environ, "AUDIT_SQLITE_PATH": str(settings.sqlite_path), "DATABASE_URL": args.database_url}

    results = {}
    for name, target in (("bare", ["bench.bare:app"]), ("app", ["--factory", "audit.app:app_from_env"])):
        port = free_port()
        process = serve(target, port, args.workers, env)
        try:
            cookie, csrf = sign_in(port) if name == "app" else ("", "")
            check = httpx2.post(
                f"http://127.0.0.1:{port}/api/audits",
                content=body_file.read_text().replace("__ID__", str(uuid.uuid4())),
                headers={"Cookie": cookie, "X-CSRF-Token": csrf},
            )
            assert check.status_code == 201, check.text
            load(port, body_file, args.clients, 3, cookie, csrf, process)  # warm up
            results[name] = load(port, body_file, args.clients, args.seconds, cookie, csrf, process)
        finally:
            os.killpg(process.pid, 15)
            process.wait()
    backend = "PostgreSQL" if args.database_url else "SQLite (WAL, synchronous=FULL)"
    print(f"POST /api/audits vs bare Starlette JSON POST: {backend}, {args.workers} worker(s), {args.clients} clients")
    for name, r in results.items():
        print(
            f"  {name:5} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms"
            f"  server CPU {r['cpu_us']:5.0f} us/request"
            f"  ({r['requests']} requests, {r['non_2xx']} not 2xx)"
        )
    print(f"  ratio app/bare: {results['app']['rps'] / results['bare']['rps']:.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
