"""The shopper pages' budget: no third-party request, JS + CSS at most 40 KB gzipped,
and Lighthouse (mobile) scores for the visit form.

    .venv/bin/python bench/shopper.py

Starts its own demo server on a temporary SQLite file, signs in as a demo shopper in
Debian's Chromium (Playwright), loads every shopper page and records each request.
Lighthouse comes from the npm registry into .cache/lighthouse when missing and runs
against the same Chromium with the shopper's session cookie.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx2
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
SHOPPER = ("shopper1@example.com", "shopper-demo-2026")
BUDGET = 40 * 1024
LIGHTHOUSE = ROOT / ".cache/lighthouse/node_modules/.bin/lighthouse"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "AUDIT_SQLITE_PATH": str(folder / "audit.db")}
    env.pop("DATABASE_URL", None)
    audit = [sys.executable, "-m", "audit.cli"]
    subprocess.run([*audit, "demo", "--stores", "24"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([*audit, "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx2.get(base + "/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx2.TransportError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def page_weights(base: str) -> tuple[list[str], dict[str, int], str, str]:
    """Requests to other origins, gzipped size of each JS/CSS file, a form URL, the session cookie."""
    foreign: list[str] = []
    assets: dict[str, int] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)

        def seen(response) -> None:  # type: ignore[no-untyped-def]
            url = urlparse(response.url)
            if f"{url.scheme}://{url.netloc}" != base:
                foreign.append(response.url)
            elif url.path.endswith((".js", ".css")):
                assets[url.path] = len(gzip.compress(response.body(), 9))

        page.on("response", seen)
        page.goto(base + "/login")
        page.fill("input[name=email]", SHOPPER[0])
        page.fill("input[name=password]", SHOPPER[1])
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        form = page.locator("a[data-offline]").first.get_attribute("href") or "/"
        for path in ("/", form, "/outbox", "/offline"):
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
        cookie = next(c for c in page.context.cookies() if c["name"] in ("audit", "__Host-audit"))
        browser.close()
    return foreign, assets, form, f"{cookie['name']}={cookie['value']}"


def lighthouse(url: str, cookie: str) -> dict[str, int]:
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "install", "--prefix", str(ROOT / ".cache/lighthouse"), "--no-save", "--no-audit",
                        "--no-fund", "--loglevel=error", "lighthouse@12"], check=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as out:
        report = Path(out) / "report.json"
        subprocess.run(
            [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
             "--only-categories=performance,accessibility,best-practices",
             f"--chrome-flags={' '.join(FLAGS)}", f"--extra-headers={json.dumps({'Cookie': cookie})}"],
            env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True,
        )  # fmt: skip
        categories = json.loads(report.read_text())["categories"]
    return {name: round(c["score"] * 100) for name, c in categories.items()}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        server, base = start_server(Path(folder))
        try:
            foreign, assets, form, cookie = page_weights(base)
            assets["/sw.js"] = len(gzip.compress(httpx2.get(base + "/sw.js").content, 9))
            scores = lighthouse(base + form, cookie)
        finally:
            server.terminate()
            server.wait()
    total = sum(assets.values())
    for path, size in sorted(assets.items()):
        print(f"  {path:32} {size / 1024:6.1f} KB gzipped")
    print(f"JS + CSS of the shopper pages: {total / 1024:.1f} KB gzipped (budget {BUDGET // 1024} KB, "
          f"ratio {total / BUDGET:.2f})")  # fmt: skip
    print(f"third-party requests: {len(foreign)}{': ' + ', '.join(foreign) if foreign else ''}")
    print("Lighthouse, mobile, visit form: " + ", ".join(f"{k} {v}" for k, v in scores.items()))


if __name__ == "__main__":
    main()
