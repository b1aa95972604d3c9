"""SQLite's own CPU time for storing audits: the floor under any submission path.

Inserts audits shaped like the default checklist's (1 audit row, 7 sections, 36
answers) into a migrated database with plain `sqlite3`: rows prepared as tuples
beforehand, one `executemany` per table, batches of 16 audits per transaction, WAL,
`synchronous=FULL`, foreign keys on, exactly as the server's connections are set up.
No SQLAlchemy and no Python rows are timed, so what is left is SQLite's work.

    .venv/bin/python bench/sqlite_floor.py [--audits 3200] [--batch 16]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.settings import Settings  # noqa: E402
from audit.storage import migrate  # noqa: E402
from audit.storage.db import Database  # noqa: E402
from tests import actors  # noqa: E402

WHEN = "2026-11-23 10:00:00.000000"


def rows(audit_id: str, store_id: int, version: str) -> tuple[tuple, list[tuple], list[tuple]]:
    audit = (audit_id, store_id, version, None, None, WHEN, WHEN, WHEN, "notes", 90.0, 100.0, 90.0)
    audit += (False, False, "", None, None, "0" * 64)
    sections = [(audit_id, f"section_{n}", 10.0, 10.0, 100.0) for n in range(7)]
    answers = [(audit_id, f"item_{n:02d}", f"section_{n % 7}", '"yes"', "", False, 3.0, 3.0, False) for n in range(36)]
    return audit, sections, answers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--audits", type=int, default=3200)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="audit-bench-floor-"))
    settings = Settings(sqlite_path=work / "audit.db")
    with Database(settings) as db:
        migrate.upgrade(db)
        actors.make_org(db)
    conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    store_id, version = conn.execute("SELECT id, (SELECT id FROM checklist_versions LIMIT 1) FROM stores").fetchone()
    audits = [rows(str(uuid.uuid4()), store_id, version) for _ in range(args.audits)]
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, len(audits), args.batch):
        batch = audits[start : start + args.batch]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO audits VALUES ({', '.join('?' * 18)})", [a for a, _, _ in batch])
        conn.executemany("INSERT INTO audit_sections VALUES (?, ?, ?, ?, ?)", [r for _, s, _ in batch for r in s])
        conn.executemany("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [r for _, _, a in batch for r in a])
        conn.execute("COMMIT")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"SQLite storing {args.audits} audits of 44 rows, {args.batch} per transaction:")
    print(f"  CPU {cpu / args.audits * 1e6:.0f} us per audit, wall {wall / args.audits * 1e6:.0f} us")
    conn.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
