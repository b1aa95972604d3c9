"""PDF reports: render times against a bare render, a 50-store region, a batch, API latency.

1. The audit report (median of --runs renders, in process, warm) against WeasyPrint
   rendering the same HTML with no stylesheet and no fonts of ours, in the same run.
2. The region report of a region of 50 stores (90 days); the region report of 125 stores and
   the company report, each against a bare render of its own HTML.
3. A batch of --batch audit PDFs as a ZIP: wall time and throughput on one worker
   (a --single sample) and on --workers workers, peak memory of the parent and of
   the largest worker.
4. The p50/p99 latency of a JSON API call (GET /api/stores/{code}/scores, 20 a
   second, signed in) on a served app, idle and then while 4 region reports render.

    .venv/bin/python bench/pdf.py [--runs 15] [--batch 500] [--single 100] [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import httpx2
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.domain import periods  # noqa: E402
from audit.services import reports  # noqa: E402
from audit.services.access import Viewer  # noqa: E402
from audit.services.reports import BUILDER  # noqa: E402
from audit.services.reports.job import Job  # noqa: E402
from audit.services.reports.pdf import render_pdf  # noqa: E402
from audit.services.reports.pool import RenderPool  # noqa: E402
from audit.settings import Settings  # noqa: E402
from audit.storage import models  # noqa: E402
from audit.storage.db import Database  # noqa: E402
from tests import actors  # noqa: E402

OWNER = Viewer(1, "owner@example.com", "Owner", "owner")


def median_ms(call, runs: int) -> float:
    call()  # warm: fonts and caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def bare(html: str) -> str:
    """The same content with no stylesheet: WeasyPrint's own defaults, system fonts."""
    return re.sub(r"<link rel=\"stylesheet\"[^>]*>|<style>.*?</style>", "", html, flags=re.S)


def build(work: Path) -> Settings:
    """The demo company with 50 stores, all moved into one region (the demo spreads them out)."""
    settings = Settings(sqlite_path=work / "audit.db")
    env = {**os.environ, "AUDIT_SQLITE_PATH": str(settings.sqlite_path)}
    demo = [sys.executable, "-m", "audit.cli", "demo", "--stores", "50", "--months", "6", "--if-empty"]
    subprocess.run(demo, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    db = Database(settings)
    with db.write_session() as session:
        north = session.scalar(sa.select(models.Region.id).where(models.Region.code == "NTH"))
        session.execute(sa.update(models.Store).values(region_id=north))
    db.dispose()
    return settings


def rss_mb(pid: int | str, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def batch_run(db: Database, batch: reports.Batch, count: int, workers: int) -> float:
    """PDFs per second for the first `count` audits of the batch, written to a ZIP on disk,
    with the peak memory of this process (sampled) and of each worker (its high-water mark)."""
    part = reports.Batch(batch.filename, batch.entries[:count], batch.viewer)
    pool = RenderPool(db.settings.with_(report_workers=workers, report_timeout_seconds=120), BUILDER)
    before, peak, done = rss_mb("self"), [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss_mb("self"))

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    try:
        with tempfile.TemporaryFile() as out:
            for chunk in reports.zip_chunks(pool, part):
                out.write(chunk)
            size = out.tell()
        wall = time.perf_counter() - started
        workers_peak = [rss_mb(w.process.pid, "VmHWM") for w in list(pool._idle.queue)]
    finally:
        done.set()
        sampler.join()
        pool.close()
    print(
        f"    {count} audits on {workers} worker(s): {wall:.1f} s, {count / wall:.2f} PDFs/s, ZIP {size / 1e6:.1f} MB;"
    )
    print(f"      peak memory: this process {peak[0]:.0f} MB (+{peak[0] - before:.0f} MB during the batch),")
    print(f"      each worker {', '.join(f'{m:.0f}' for m in workers_peak)} MB")
    return count / wall


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def probe(client: httpx2.Client, path: str, seconds: float, rate: float) -> list[float]:
    """Latencies (ms) of `path` called at a steady rate, as a phone or dashboard would."""
    samples, next_at, end = [], time.perf_counter(), time.perf_counter() + seconds
    while next_at < end:
        time.sleep(max(0.0, next_at - time.perf_counter()))
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        samples.append((time.perf_counter() - start) * 1000)
        next_at += 1 / rate
    return samples


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def api_latency(settings: Settings, store: str, seconds: float) -> None:
    port = free_port()
    env = {**os.environ, "AUDIT_SQLITE_PATH": str(settings.sqlite_path), "AUDIT_REPORT_WORKERS": "2"}
    command = [sys.executable, "-m", "audit.cli", "serve", "--port", str(port), "--workers", "1"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **quiet)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        clients = [httpx2.Client(base_url=base, timeout=120) for _ in range(5)]
        for client in clients:
            actors.sign_in(client, "owner@example.com", "owner-demo-2026")
        api = f"/api/stores/{store}/scores"
        assert clients[0].get("/regions/NTH/report.pdf").status_code == 200  # workers started
        idle = probe(clients[0], api, seconds, 20)
        stop = threading.Event()
        rendered = [0]

        def download(client: httpx2.Client) -> None:
            while not stop.is_set():
                assert client.get("/regions/NTH/report.pdf").status_code == 200
                rendered[0] += 1

        threads = [threading.Thread(target=download, args=(c,)) for c in clients[1:]]
        for t in threads:
            t.start()
        busy = probe(clients[0], api, seconds, 20)
        stop.set()
        for t in threads:
            t.join()
        for client in clients:
            client.close()
    finally:
        os.killpg(server.pid, 15)
        server.wait()
    print(f"  API {api}, 20 calls/s for {seconds:.0f} s (1 server process, 2 PDF workers):")
    print(f"    idle:                       p50 {p(idle, 0.5):6.1f} ms  p99 {p(idle, 0.99):6.1f} ms")
    print(
        f"    4 region reports rendering: p50 {p(busy, 0.5):6.1f} ms  p99 {p(busy, 0.99):6.1f} ms ({rendered[0]} PDFs)"
    )
    print(f"    p99 rise: {p(busy, 0.99) - p(idle, 0.99):.1f} ms (target under 50 ms)")


def job_run(db: Database, period: periods.Period, workers: int) -> None:
    """The same ZIP made as a background job (huey's queue, progress and heartbeat written to
    the database, the file stored in chunks): its throughput against the direct ZIP's."""
    from audit.services.reports import jobs

    settings = db.settings.with_(report_workers=workers, report_timeout_seconds=120)
    pool = RenderPool(settings, BUILDER)
    job_db = Database(settings)
    queue = jobs.JobQueue(job_db, lambda: pool)
    found = reports.batch(db, OWNER, "region", "NTH", period)
    count = len(found.entries)
    try:
        for _ in reports.zip_chunks(pool, reports.Batch(found.filename, found.entries[: 2 * workers], OWNER)):
            pass  # every worker started
        started = time.perf_counter()
        job_id = jobs.submit(job_db, queue, OWNER, "zip", "NTH", period, "")
        while (status := jobs.status(job_db, OWNER, job_id)).state not in ("done", "failed"):
            time.sleep(0.05)
        wall = time.perf_counter() - started
        direct_started = time.perf_counter()
        for _ in reports.zip_chunks(pool, reports.batch(db, OWNER, "region", "NTH", period)):
            pass
        direct = time.perf_counter() - direct_started
    finally:
        queue.stop()
        pool.close()
        job_db.dispose()
    print(f"    as a background job, {count} audits (90 days, region) on {workers} workers: {wall:.1f} s,", end=" ")
    print(f"{count / wall:.2f} PDFs/s, {status.size / 1e6:.1f} MB stored;", end=" ")
    print(f"the same ZIP direct: {direct:.1f} s,", end=" ")
    print(f"{count / direct:.2f} PDFs/s; ratio {wall / direct:.2f} (workers warm for both)")


def big_region(work: Path, runs: int) -> None:
    """The board's reports: a region of 125 stores and the company report, each (data, HTML and
    PDF, in process) against WeasyPrint rendering the same HTML bare, in the same run."""
    settings = Settings(sqlite_path=work / "big" / "audit.db")
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AUDIT_SQLITE_PATH": str(settings.sqlite_path)}
    demo = [sys.executable, "-m", "audit.cli", "demo", "--stores", "125", "--months", "6", "--if-empty"]
    subprocess.run(demo, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    db = Database(settings)
    last90 = periods.resolve(date.today(), "UTC", "90d")
    company = median_ms(lambda: render_pdf(reports.company_report(db, OWNER, last90).job), max(3, runs // 3))
    company_job = reports.company_report(db, OWNER, last90).job
    company_bare = median_ms(lambda: render_pdf(Job(bare(company_job.html))), max(3, runs // 3))
    with db.write_session() as session:
        north = session.scalar(sa.select(models.Region.id).where(models.Region.code == "NTH"))
        session.execute(sa.update(models.Store).values(region_id=north))
    job = reports.region_report(db, OWNER, "NTH", last90).job
    with tempfile.NamedTemporaryFile(suffix=".pdf") as out:
        out.write(render_pdf(job))
        out.flush()
        info = subprocess.run(["pdfinfo", out.name], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    region = median_ms(lambda: render_pdf(reports.region_report(db, OWNER, "NTH", last90).job), 3)
    plain = median_ms(lambda: render_pdf(Job(re.sub(r"background-image:url\([^)]*\)", "", bare(job.html)))), 3)
    print(f"  region report, 125 stores, 90 days (data, HTML and PDF): {region:.0f} ms, {pages} pages;", end=" ")
    print(f"bare unstyled render of the same HTML {plain:.0f} ms; ratio {region / plain:.2f} (target under 10000 ms)")
    print(f"  company report, 3 regions of 125 stores (data, HTML and PDF): {company:.0f} ms;", end=" ")
    print(f"bare {company_bare:.0f} ms; ratio {company / company_bare:.2f}")
    db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--single", type=int, default=100, help="audits rendered on one worker, for the speed-up")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--keep", type=Path, help="build the demo here and reuse it when it is already there")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="audit-pdf-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = build(work)
    db = Database(settings)
    last90 = periods.resolve(date.today(), "UTC", "90d")
    with db.session() as session:
        audit_id = session.scalar(sa.select(models.Audit.id).order_by(models.Audit.finished_at.desc()))
        stores = session.scalar(sa.select(sa.func.count()).select_from(models.Store))
        store = session.scalar(sa.select(models.Store.code).order_by(models.Store.code))
    job = reports.audit_report(db, OWNER, audit_id).job
    print(f"PDF reports ({os.cpu_count()} cores, WeasyPrint in process, medians of {args.runs})")
    styled = median_ms(lambda: render_pdf(job), args.runs)
    plain = median_ms(lambda: render_pdf(Job(bare(job.html))), args.runs)
    print(f"  audit report: {styled:.0f} ms; bare unstyled HTML of the same content: {plain:.0f} ms;", end=" ")
    print(f"ratio {styled / plain:.2f} (targets: under 500 ms, within 2x)")
    region = median_ms(lambda: render_pdf(reports.region_report(db, OWNER, "NTH", last90).job), max(3, args.runs // 3))
    print(f"  region report, {stores} stores, 90 days (data, HTML and PDF): {region:.0f} ms (target under 2000 ms)")

    big_region(work, args.runs)

    year = periods.Period(date.today().replace(year=date.today().year - 1), date.today(), "UTC")
    batch = reports.batch(db, OWNER, "region", "NTH", year)
    count = min(args.batch, len(batch.entries))
    print(f"  batch ZIP ({len(batch.entries)} audits in the region over a year):")
    single = batch_run(db, batch, min(args.single, count), 1)
    double = batch_run(db, batch, count, args.workers)
    print(f"    speed-up on {args.workers} workers: {double / single:.2f}x (at most {2 * args.workers} PDFs in flight)")
    job_run(db, last90, args.workers)
    db.dispose()
    api_latency(settings, store, args.seconds)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
