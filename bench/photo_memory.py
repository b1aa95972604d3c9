"""Photo uploads: what 8 concurrent worst-case uploads cost the server, in memory and time.

For each case a fresh `audit serve` (one process, on a temporary SQLite database) with a
signed-in shopper takes one small upload first (a 1600 x 1200 JPEG, what the app sends):
its resident memory after that is the baseline. Then --concurrency uploads of the case's
picture (each a new photo id) start together; the server's peak resident memory (VmHWM,
reset just before) and the wall time until the last answer are printed, with the peak
as a ratio to the baseline.

    .venv/bin/python bench/photo_memory.py [--concurrency 8] [--case NAME ...]

The cases are the 6300 x 6300 RGBA PNG of issue 12 (154 KB), a 24-megapixel phone JPEG,
and the largest pictures of each kind that the per-photo budget still takes.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.services import photos  # noqa: E402
from audit.settings import Settings  # noqa: E402
from audit.storage import migrate  # noqa: E402
from audit.storage.db import Database  # noqa: E402
from tests import actors  # noqa: E402
from tests.servers import free_port, server_env, wait_until_up  # noqa: E402


def picture(kind: str, mode: str, width: int, height: int, **params: object) -> Callable[[], bytes]:
    """A flat picture with one block of another colour: tiny files, full-size decodes."""

    def make() -> bytes:
        image = Image.new(mode, (width, height), (200, 40, 40, 255)[: len(mode)])
        image.paste((0, 0, 255, 128)[: len(mode)], (0, 0, width // 4, height // 4))
        out = io.BytesIO()
        image.save(out, kind, **params)
        return out.getvalue()

    return make


CASES = {
    "png-6300-rgba": ("6300 x 6300 RGBA PNG (issue 12)", picture("PNG", "RGBA", 6300, 6300, compress_level=9)),
    "jpeg-24mp": ("6000 x 4000 JPEG (a phone photo)", picture("JPEG", "RGB", 6000, 4000, quality=90)),
    "jpeg-40mp-progressive": (
        "7300 x 5475 progressive JPEG",
        picture("JPEG", "RGB", 7300, 5475, quality=90, progressive=True),
    ),
    "png-24mp-rgb": ("6000 x 4000 RGB PNG", picture("PNG", "RGB", 6000, 4000)),
    "png-14mp-rgba": ("3800 x 3800 RGBA PNG", picture("PNG", "RGBA", 3800, 3800)),
    "webp-9mp": ("3400 x 2700 WebP", picture("WEBP", "RGB", 3400, 2700)),
}


def estimate_mb(data: bytes) -> str:
    """What photos.decode_cost() counts for the picture, from its header (when the tree has it)."""
    if not hasattr(photos, "decode_cost"):
        return "-"
    with Image.open(io.BytesIO(data)) as image:
        size = image.size
        if image.format == "JPEG":
            image.draft("RGB", photos._fitted(size))
        return f"{photos.decode_cost(image, size, data) / 2**20:.0f} MB"


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def upload(client: httpx2.Client, data: bytes) -> int:
    return client.put(
        f"/api/photos/{uuid.uuid4()}", content=data, headers={"Content-Type": "application/octet-stream"}
    ).status_code


def run_case(settings: Settings, name: str, data: bytes, small: bytes, concurrency: int) -> dict[str, object]:
    port = free_port()
    command = [sys.executable, "-m", "audit.cli", "serve", "--port", str(port), "--workers", "1"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen(command, env=server_env(settings), cwd=ROOT, start_new_session=True, **quiet)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        limits = httpx2.Limits(max_connections=concurrency + 2)
        with httpx2.Client(base_url=base, timeout=300, limits=limits) as client:
            actors.sign_in(client, "shopper@example.com")
            assert upload(client, small) == 201
            baseline = status_kb(server.pid, "VmRSS")
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS
            start = threading.Barrier(concurrency + 1)

            def one(_: int) -> tuple[int, float]:
                start.wait()
                status = upload(client, data)
                return status, time.perf_counter()

            with ThreadPoolExecutor(concurrency) as pool:
                futures = [pool.submit(one, i) for i in range(concurrency)]
                start.wait()
                began = time.perf_counter()
                answers = [f.result() for f in futures]
            peak = status_kb(server.pid, "VmHWM")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "name": name,
        "statuses": Counter(status for status, _ in answers),
        "baseline": baseline / 1024,
        "peak": peak / 1024,
        "wall": max(done for _, done in answers) - began,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--case", action="append", choices=sorted(CASES), help="run only these cases")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="audit-photos-"))
    try:
        settings = Settings(sqlite_path=work / "audit.db")
        db = Database(settings)
        migrate.upgrade(db)
        actors.make_org(db)
        db.dispose()
        small = picture("JPEG", "RGB", 1600, 1200, quality=85)()
        print(f"{args.concurrency} concurrent uploads of each picture to one server process ({os.cpu_count()} cores)")
        if hasattr(photos, "DECODE_BUDGET"):
            print(f"per-photo budget {photos.DECODE_BUDGET / 2**20:.0f} MB, {photos.DECODE_SLOTS} decodes at once")
        else:
            print("no per-photo budget, no cap on decodes at once (a tree from before issue 12)")
        print(f"{'picture':36} {'file':>8} {'counted':>8}  answers          baseline     peak  ratio   wall")
        for key in args.case or list(CASES):
            label, make = CASES[key]
            data = make()
            result = run_case(settings, label, data, small, args.concurrency)
            answers = ", ".join(f"{n} x {status}" for status, n in sorted(result["statuses"].items()))
            baseline, peak = result["baseline"], result["peak"]
            print(
                f"{label:36} {len(data) / 1024:6.0f} KB {estimate_mb(data):>8}  {answers:15} "
                f"{baseline:6.0f} MB {peak:6.0f} MB  {peak / baseline:4.1f}x  {result['wall']:5.1f} s"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
