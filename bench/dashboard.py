"""Dashboard latency at scale: the home overview, branch comparison (page, CSV, JSON),
store page, behaviour heatmap and action plan page.

Fills a database with `audit demo --stores N --months M` (2000 x 24 is about
200,000 audits; its weak audits open action plans as real ones do), then times each
page server side (the app in process, signed in as the owner, warm: templates
rendered, no network) and, as the baseline in the same run, a one-row indexed lookup
of a store by its code. The store page and the plan page are those of the region's
store with the largest open plan, so their plan figures are there to compute. Prints
p50/p95 and the ratio of each page's p95 to the baseline's.

    .venv/bin/python bench/dashboard.py [--stores 2000] [--months 24] [--runs 20] [--database-url URL] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from audit.app import create_app  # noqa: E402
from audit.settings import Settings  # noqa: E402
from audit.storage import models  # noqa: E402
from audit.storage.db import Database  # noqa: E402
from tests import actors  # noqa: E402

OWNER = ("owner@example.com", "owner-demo-2026")


def timed(call, runs: int) -> tuple[float, float]:
    call()  # warm
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def _largest_open_plan(session: sa.orm.Session, region: str) -> str:
    """The region's store whose open plan lists the most behaviours (its first store without one)."""
    store = sa.select(models.Store.code).join(models.Region, models.Region.id == models.Store.region_id)
    store = store.where(models.Region.code == region)
    largest = session.scalar(
        store.join(models.ActionPlan, models.ActionPlan.open_store_id == models.Store.id)
        .join(models.PlanItem, models.PlanItem.plan_id == models.ActionPlan.id)
        .group_by(models.Store.code)
        .order_by(sa.func.count().desc(), models.Store.code)
        .limit(1)
    )
    return largest or session.scalar(store.order_by(models.Store.code).limit(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stores", type=int, default=2000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--keep", type=Path, help="build the SQLite file here and reuse it when it is already there")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="audit-dash-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(database_url=args.database_url, sqlite_path=work / "audit.db")
    env = {"AUDIT_SQLITE_PATH": str(settings.sqlite_path), "DATABASE_URL": args.database_url, "PATH": "/usr/bin:/bin"}
    started = time.perf_counter()
    demo = [sys.executable, "-m", "audit.cli", "demo", "--stores", str(args.stores), "--months", str(args.months)]
    subprocess.run([*demo, "--if-empty"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    built = time.perf_counter() - started
    db = Database(settings)
    with db.session() as session:
        audits = session.scalar(sa.select(sa.func.count()).select_from(models.Audit))
        answers = session.scalar(sa.select(sa.func.count()).select_from(models.Answer))
        region = session.scalar(sa.select(models.Region.code).order_by(models.Region.code))
        store = session.scalar(sa.select(models.Store.code).order_by(models.Store.code))
        plans = dict(
            session.execute(sa.select(models.ActionPlan.state, sa.func.count()).group_by(models.ActionPlan.state)).all()
        )
        items = session.scalar(sa.select(sa.func.count()).select_from(models.PlanItem))
        planned = _largest_open_plan(session, region)

    def baseline() -> None:
        with db.engine.connect() as conn:
            conn.execute(sa.select(models.Store.id).where(models.Store.code == store)).one()

    app = create_app(settings)
    with TestClient(app) as client:
        actors.sign_in(client, *OWNER)
        # as every served worker does (audit.app.app_from_env): what lives as long as the process
        # stays out of the collector's full passes, which would otherwise land in the p95
        gc.collect()
        gc.freeze()
        pages = {
            "home overview": "/",
            "branch comparison": f"/regions/{region}",
            "comparison CSV": f"/regions/{region}/comparison.csv",
            "comparison JSON": f"/api/regions/{region}/comparison",
            "store page": f"/stores/{planned}",
            "store scores JSON": f"/api/stores/{planned}/scores",
            "behaviour heatmap": f"/regions/{region}/behaviours",
            "plan page": f"/stores/{planned}/plan",
        }
        base50, base95 = timed(baseline, args.runs * 5)
        backend = "PostgreSQL" if args.database_url else "SQLite"
        print(f"Dashboards at scale: {backend}, {audits} audits, {answers} answers")
        print(f"  (demo built in {built:.0f} s; last 90 days; {args.runs} warm runs each)")
        print(f"  action plans: {plans} with {items} behaviours; {planned}'s open plan the largest in {region}")
        print(f"  baseline: one indexed store lookup  p50 {base50:7.2f} ms  p95 {base95:7.2f} ms")
        for name, path in pages.items():
            assert client.get(path).status_code == 200, path
            p50, p95 = timed(lambda path=path: client.get(path), args.runs)
            verdict = "ok" if p95 < 150 else "OVER 150 ms"
            print(
                f"  {name:<18} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ratio p95/baseline {p95 / base95:8.0f}  {verdict}"
            )
    db.dispose()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
