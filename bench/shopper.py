"""The shopper's app measured as issue 14 asks, on Debian's Chromium (Playwright):

- CSS px per yes/no item (guidance and comment closed) and the sticky chrome, at 360x640;
- taps from "My visits" to Submit for the whole default checklist, against
  answers + sections + 3;
- horizontal overflow of every shopper page at 320x568, with photos and a 400-character word;
- JS + CSS of the shopper pages gzipped (budget 40 KB), requests to other origins,
  axe-core (serious or critical findings on every shopper page), Lighthouse mobile on the form;
- sync near the link's limit: 5 waiting audits with one photo each, sent over an emulated
  400 kbit/s link with 400 ms round trips; the time from "online" to "All sent" against
  the bytes on the wire divided by the link's rate plus one round trip per request.

    .venv/bin/python bench/shopper.py [--no-lighthouse]

Starts its own demo server on a temporary SQLite file (AUDIT_ROTATION_DAYS=0, so extra
visits can be planned for today). Lighthouse comes from the npm registry into
.cache/lighthouse when missing; axe-core is read from AUDIT_TEST_AXE or .cache/axe-core.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx2
from playwright.sync_api import BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
SHOPPER = ("shopper1@example.com", "shopper-demo-2026")
BUDGET = 40 * 1024
LIGHTHOUSE = ROOT / ".cache/lighthouse/node_modules/.bin/lighthouse"
AXE = Path(os.environ.get("AUDIT_TEST_AXE", ROOT / ".cache/axe-core/node_modules/axe-core/axe.min.js"))
DESIGN = {"width": 360, "height": 640}
SMALLEST = {"width": 320, "height": 568}
LINK_BYTES_PER_S = 400_000 / 8  # 400 kbit/s
ROUND_TRIP_S = 0.4
WORD = "W" * 400
EXTRA_VISITS = 7  # planned for today besides the demo's: the taps run, the long word, 5 for the sync run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "AUDIT_SQLITE_PATH": str(folder / "audit.db"), "AUDIT_ROTATION_DAYS": "0"}
    env.pop("DATABASE_URL", None)
    audit = [sys.executable, "-m", "audit.cli"]
    subprocess.run([*audit, "demo", "--stores", "24"], env=env, cwd=ROOT, check=True, capture_output=True)
    planned = 0
    for region in ("NTH", "MID", "STH"):
        for n in range(1, 9):
            if planned < EXTRA_VISITS:
                add = [*audit, "assignments", "add", SHOPPER[0], f"{region}-{n:03}", "customer-service"]
                planned += subprocess.run(add, env=env, cwd=ROOT, capture_output=True).returncode == 0
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


def a_photo(folder: Path) -> Path:
    """A 3000x2000 phone-camera-sized picture with a photo's detail: shapes, print, blur, sensor noise."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    rng = random.Random(7)
    width, height = 3000, 2000
    grey = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", [grey.point(lambda v, a=a, b=b: a + v // b) for a, b in ((90, 2), (80, 3), (60, 4))])
    draw = ImageDraw.Draw(image)
    for _ in range(260):
        x, y, w, h = rng.randrange(width), rng.randrange(height), rng.randrange(40, 400), rng.randrange(40, 300)
        shape = draw.rectangle if rng.random() < 0.6 else draw.ellipse
        shape((x, y, x + w, y + h), fill=tuple(rng.randrange(30, 240) for _ in range(3)), outline=(20, 20, 20), width=3)
    for _ in range(400):
        draw.text((rng.randrange(width), rng.randrange(height)), "SALE 4.99 RECEIPT 0042", fill=(0, 0, 0))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    image = ImageChops.add(image, Image.effect_noise((width, height), 8).convert("RGB"), offset=-128)
    path = folder / "shelf.jpg"
    image.save(path, "JPEG", quality=90)
    return path


# ---- the phone ----


def phone(browser: Any, viewport: dict[str, int], **options: Any) -> BrowserContext:
    context = browser.new_context(viewport=viewport, is_mobile=True, has_touch=True, **options)
    context.set_default_timeout(30_000)
    return context


def sign_in(page: Page, base: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", SHOPPER[0])
    page.fill("input[name=password]", SHOPPER[1])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def today_visits(page: Page) -> list[str]:
    return [a.get_attribute("href") or "" for a in page.locator("[data-group=now] a[data-offline]").all()]


def open_form(page: Page, base: str, path: str) -> None:
    page.goto(base + path)
    page.locator("#visit[data-ready]").wait_for(state="attached")


def answer(fieldset: Any, photo: Path | None, text: str) -> int:
    """The shopper's answer to one item; returns the taps it took (typing is no tap)."""
    kind = fieldset.get_attribute("data-type")
    if kind == "yesno" or kind == "choice":
        fieldset.locator(".choice").first.tap()
    elif kind == "scale":
        fieldset.locator(".choice:not(:has(input[value=na]))").last.tap()
    elif kind == "number":
        fieldset.locator("input[type=number]").tap()
        fieldset.locator("input[type=number]").fill("5")
    elif kind == "text":
        fieldset.locator("textarea").first.tap()
        fieldset.locator("textarea").first.fill(text)
    elif kind == "photo":
        if photo is None:
            return 0
        fieldset.locator("input[type=file]").set_input_files(str(photo))  # the "Take or choose a photo" tap
        fieldset.locator(".thumbs img").wait_for()
    return 1


def complete(
    page: Page, photo: Path | None, text: str = "Sam at the till, green fleece", beside: str = ""
) -> tuple[int, int, int]:
    """Every item answered, section by section with Next, up to the review screen; with
    `beside` (an item key), a photo beside that answer too, its tap not counted (an extra,
    not part of completing the checklist). Returns (taps, answers, sections)."""
    taps = answers = 0
    sections = page.locator("section.section[data-section]:not(#s-review)").count()
    for _ in range(sections):
        for fieldset in page.locator("section.section:visible fieldset.item").all():
            took = answer(fieldset, photo, text)
            taps += took
            answers += took
            if photo is not None and fieldset.get_attribute("data-key") == beside:
                fieldset.locator("[data-photo-tool] input[type=file]").set_input_files(str(photo))
                fieldset.locator(".thumbs img").wait_for()
        page.locator("[data-next]").tap()
        taps += 1
    page.locator("#s-review:visible").wait_for()
    return taps, answers, sections


def wait_all_sent(page: Page, timeout: float = 120_000) -> None:
    page.wait_for_function(
        "() => (document.querySelector('[data-sync-text]').textContent || '').startsWith('All sent')", timeout=timeout
    )


# ---- measures ----


def layout(page: Page, base: str, form: str) -> dict[str, float]:
    """CSS px per yes/no item (each card's height and the space above it), and the chrome
    that stays on screen when the form scrolls, at the design size."""
    open_form(page, base, form)
    heights: list[float] = []
    for key in page.locator("section.section[data-section]:not(#s-review)").evaluate_all(
        "ss => ss.map(s => s.dataset.section)"
    ):
        page.locator("[data-step-now]").tap()
        page.locator(f"#section-list [data-goto='{key}']").tap()
        heights += page.locator(f"#s-{key} fieldset.item[data-type=yesno]").evaluate_all(
            "fs => fs.map(f => f.getBoundingClientRect().height + parseFloat(getComputedStyle(f).marginTop))"
        )
    page.locator("[data-step-now]").tap()
    page.locator("#section-list [data-goto='greeting']").tap()
    page.evaluate("window.scrollTo(0, 400)")
    sticky = page.evaluate(
        """() => {
          const pinned = e => ['sticky', 'fixed'].includes(getComputedStyle(e).position);
          const inPinned = e => { while ((e = e.parentElement)) if (pinned(e)) return true; return false; };
          const covered = new Set();
          const parts = [];
          for (const e of document.querySelectorAll('body *')) {
            if (!pinned(e) || !e.getClientRects().length || inPinned(e)) continue;
            const r = e.getBoundingClientRect();
            parts.push(e.className + ' ' + Math.round(r.height));
            const last = Math.min(innerHeight, Math.ceil(r.bottom));
            for (let y = Math.max(0, Math.floor(r.top)); y < last; y++) covered.add(y);
          }
          return [covered.size, parts];
        }"""
    )
    return {"item_mean": statistics.mean(heights), "item_max": max(heights), "item_min": min(heights),
            "items": len(heights), "sticky": sticky[0], "sticky_parts": sticky[1]}  # fmt: skip


def overflow(page: Page) -> int:
    for img in page.locator("img").all():
        if img.is_visible():
            img.scroll_into_view_if_needed()
            img.evaluate("i => i.decode().catch(() => null)")
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def axe(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return list(
        page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""
        )
    )


def every_page(
    browser: Any, base: str, photo: Path, audit_path: str, upcoming: str, form: str, scheme: str
) -> dict[str, Any]:
    """Overflow at 320x568 and axe-core findings on every shopper page, in each state worth seeing."""
    context = phone(browser, SMALLEST, bypass_csp=True, color_scheme=scheme)
    page = context.new_page()
    found: dict[str, Any] = {}

    def check(name: str) -> None:
        found[name] = (overflow(page), axe(page))

    page.goto(base + "/login")
    check("sign in")
    sign_in(page, base)
    check("my visits")
    page.locator("[data-menu] summary").tap()
    check("my visits, account menu open")
    open_form(page, base, form)
    check("form, first section")
    page.locator("#i-warm_greeting .tool").first.tap()
    page.locator("#i-warm_greeting [data-comment-tool]").tap()
    page.locator("textarea[name='c:warm_greeting']").fill(WORD)
    page.locator("textarea[name='a:staff_description']").fill(WORD)
    check("form, guidance and a long comment open")
    page.locator("#i-warm_greeting [data-photo-tool] input[type=file]").set_input_files(str(photo))
    page.locator("#i-warm_greeting .thumbs img").wait_for()
    check("form, a photo beside an answer")
    page.locator("[data-step-now]").tap()
    check("form, section list")
    page.locator("#section-list [data-goto='courtesy_close']").tap()
    page.locator("#i-receipt_photo input[type=file]").set_input_files(str(photo))
    page.locator("#i-receipt_photo .thumbs img").wait_for()
    check("form, a section with a photo")
    page.locator("[data-step-now]").tap()
    page.locator("#section-list [data-goto='review']").tap()
    page.locator("#notes").fill(WORD)
    page.locator("[data-audit-photos] input[type=file]").set_input_files(str(photo))
    page.locator("[data-audit-photos] .thumbs img").wait_for()
    check("review")
    page.get_by_role("button", name="Submit audit").tap()
    page.locator("[data-missing]").wait_for()
    check("review, what is missing")
    open_form(page, base, upcoming)
    check("a visit not yet open")
    page.goto(base + audit_path)
    check("the audit (photos, one beside an answer, a 400-character word)")
    page.goto(base + "/outbox")
    check("waiting to upload, empty")
    page.goto(base + "/offline")
    check("offline page")
    page.goto(base + "/account/password")
    check("change password")
    # an audit waiting (no way to the server), then refused in the server's own words
    context.route("**/api/**", lambda route: route.abort("internetdisconnected"))
    open_form(page, base, form)
    page.locator("[data-step-now]").tap()
    page.locator("#section-list [data-goto]").first.tap()
    complete(page, photo, WORD)
    page.get_by_role("button", name="Submit audit").tap()
    page.wait_for_url("**/outbox")
    page.locator("li.queued").wait_for()
    check("waiting to upload, one waiting")
    page.goto(base + "/")
    check("my visits, one waiting")
    context.unroute("**/api/**")
    problem = {"field": "assignment", "message": "this visit to NTH-001 was already reported, by audit 0a1b2c3d: "
               "a planned visit is reported once"}  # fmt: skip
    context.route("**/api/audits", lambda route: route.fulfill(status=409, json={"error": "x", "errors": [problem]}))
    page.goto(base + "/outbox")
    page.get_by_role("button", name="Send now").tap()
    page.locator("li.queued.rejected").wait_for()
    check("waiting to upload, refused")
    page.goto(base + "/")
    check("my visits, one refused")
    context.close()
    return found


def sync_run(browser: Any, base: str, photo: Path, forms: list[str]) -> dict[str, float]:
    """5 audits wait on the phone (the server unreachable while they are made); then the
    link comes back at 400 kbit/s with 400 ms round trips."""
    context = phone(browser, DESIGN, service_workers="block")  # every request on the throttled page
    page = context.new_page()
    sign_in(page, base)
    unreachable = "**/api/**"
    context.route(unreachable, lambda route: route.abort("internetdisconnected"))
    for form in forms:
        open_form(page, base, form)
        complete(page, photo)
        page.get_by_role("button", name="Submit audit").tap()
        page.wait_for_url("**/outbox")
    page.locator("li.queued").nth(len(forms) - 1).wait_for()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    conditions = {"latency": ROUND_TRIP_S * 1000, "downloadThroughput": LINK_BYTES_PER_S,
                  "uploadThroughput": LINK_BYTES_PER_S}  # fmt: skip
    cdp.send("Network.emulateNetworkConditions", {"offline": True, **conditions})
    context.unroute(unreachable)
    page.wait_for_function("() => (document.querySelector('[data-sync-text]').textContent || '').startsWith('Offline')")
    wire: list[dict[str, int]] = []

    def seen(request: Any) -> None:
        if "/api/" not in request.url:
            return
        sizes = request.sizes()
        wire.append(
            {"up": sizes["requestHeadersSize"], "down": sizes["responseHeadersSize"] + sizes["responseBodySize"]}
        )

    # the bodies as the phone holds them (Playwright does not count a Blob body's bytes)
    payload = page.evaluate(
        """async () => {
          const entries = await auditStore.outbox();
          let photos = 0, audits = 0;
          for (const e of entries) {
            audits += new Blob([JSON.stringify(e.submission)]).size;
            for (const id of e.photo_ids) photos += (await auditStore.getPhoto(id)).blob.size;
          }
          return {photos, audits, count: entries.length};
        }"""
    )
    page.on("requestfinished", seen)
    page.evaluate(
        """() => { const chip = document.querySelector('[data-sync-text]'); window.said = [chip.textContent];
          new MutationObserver(() => window.said.push(chip.textContent)).observe(chip, {childList: true}); }"""
    )
    started = time.perf_counter()
    cdp.send("Network.emulateNetworkConditions", {"offline": False, **conditions})
    wait_all_sent(page, timeout=600_000)
    took = time.perf_counter() - started
    page.wait_for_timeout(500)  # the last response's sizes
    said = [t for i, t in enumerate(page.evaluate("window.said")) if i == 0 or t != page.evaluate("window.said")[i - 1]]
    context.close()
    up = sum(w["up"] for w in wire) + payload["photos"] + payload["audits"]
    down = sum(w["down"] for w in wire)
    ideal = (up + down) / LINK_BYTES_PER_S + len(wire) * ROUND_TRIP_S
    return {"took": took, "ideal": ideal, "ratio": took / ideal, "up": up, "down": down, "requests": len(wire),
            "per_audit": up / payload["count"], "photo_mean": payload["photos"] / payload["count"],
            "said": said}  # fmt: skip


def page_weights(browser: Any, base: str) -> tuple[list[str], dict[str, int], str]:
    """Requests to other origins, gzipped size of each JS/CSS file, the session cookie."""
    foreign: list[str] = []
    assets: dict[str, int] = {}
    context = phone(browser, {"width": 390, "height": 844})
    page = context.new_page()

    def seen(response) -> None:  # type: ignore[no-untyped-def]
        url = urlparse(response.url)
        if f"{url.scheme}://{url.netloc}" != base:
            foreign.append(response.url)
        elif url.path.endswith((".js", ".css")):
            assets[url.path] = len(gzip.compress(response.body(), 9))

    page.on("response", seen)
    sign_in(page, base)
    form = today_visits(page)[0]
    for path in ("/", form, "/outbox", "/offline", "/account/password"):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    cookie = next(c for c in context.cookies() if c["name"] in ("audit", "__Host-audit"))
    context.close()
    return foreign, assets, f"{cookie['name']}={cookie['value']}"


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
    with_lighthouse = "--no-lighthouse" not in sys.argv
    with tempfile.TemporaryDirectory() as folder:
        photo = a_photo(Path(folder))
        server, base = start_server(Path(folder))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                foreign, assets, cookie = page_weights(browser, base)
                assets["/sw.js"] = len(gzip.compress(httpx2.get(base + "/sw.js").content, 9))

                context = phone(browser, DESIGN)
                page = context.new_page()
                sign_in(page, base)
                forms = today_visits(page)
                upcoming = page.locator("[data-group=upcoming] a[data-offline]").first.get_attribute("href") or ""
                shape = layout(page, base, forms[0])
                # taps: from "My visits" (a tap on the visit's card) to Submit, a photo and a 400-character word;
                # a photo beside one answer too (for the audit page's states), its tap not counted
                page.goto(base + "/")
                page.locator(f"a[href='{forms[0]}']").tap()
                page.locator("#visit[data-ready]").wait_for(state="attached")
                taps, answers, sections = complete(page, photo, WORD, beside="stopped_task")
                page.get_by_role("button", name="Submit audit").tap()
                taps += 2  # the card, Submit
                page.wait_for_url("**/outbox")
                wait_all_sent(page)
                page.goto(base + "/")
                audit_path = page.locator("#submitted ~ article a").first.get_attribute("href") or ""
                context.close()

                pages = {
                    f"{name} ({scheme})": found
                    for scheme in ("light", "dark")
                    for name, found in every_page(browser, base, photo, audit_path, upcoming, forms[1], scheme).items()
                }
                synced = sync_run(browser, base, photo, forms[2:7])
                browser.close()
            scores = lighthouse(base + forms[1], cookie) if with_lighthouse else {}
        finally:
            server.terminate()
            server.wait()

    total = sum(assets.values())
    print(f"yes/no item at 360x640, guidance and comment closed: {shape['item_mean']:.1f} CSS px on average "
          f"(from {shape['item_min']:.0f} to {shape['item_max']:.0f}, {shape['items']} items; "
          "goal at most 120)")  # fmt: skip
    print(f"sticky chrome at 360x640: {shape['sticky']} px, {shape['sticky'] / DESIGN['height']:.1%} of the height "
          f"(goal at most 15 %): {', '.join(shape['sticky_parts'])} px")  # fmt: skip
    limit = answers + sections + 3
    print(f"taps from My visits to Submit: {taps} for {answers} answers in {sections} sections "
          f"(goal at most {limit}, ratio {taps / limit:.2f})")  # fmt: skip
    for name, (wide, problems) in pages.items():
        print(f"  {name:51} overflow {wide} px at 320 px, axe serious/critical: {len(problems)} {problems or ''}")
    print(f"widest overflow at 320 px: {max(w for w, _ in pages.values())} px (goal 0); "
          f"axe serious or critical: {sum(len(p) for _, p in pages.values())} (goal 0)")  # fmt: skip
    for path, size in sorted(assets.items()):
        print(f"  {path:32} {size / 1024:6.1f} KB gzipped")
    print(f"JS + CSS of the shopper pages: {total / 1024:.1f} KB gzipped (budget {BUDGET // 1024} KB, "
          f"ratio {total / BUDGET:.2f})")  # fmt: skip
    print(f"third-party requests: {len(foreign)}{': ' + ', '.join(foreign) if foreign else ''}")
    print(f"sync of 5 audits with a photo each at 400 kbit/s, 400 ms: {synced['took']:.1f} s from online to "
          f"'All sent'; the link's own time {synced['ideal']:.1f} s ({(synced['up'] + synced['down']) / 1024:.0f} KB "
          f"in {synced['requests']} requests); ratio {synced['ratio']:.2f} (goal at most 1.5)")  # fmt: skip
    print("the status chip said: " + " -> ".join(synced["said"]))
    print(f"bytes per audit with one photo: {synced['per_audit'] / 1024:.0f} KB sent (the photo "
          f"{synced['photo_mean'] / 1024:.0f} KB; goal at most 250 KB)")  # fmt: skip
    if scores:
        print("Lighthouse, mobile, visit form: " + ", ".join(f"{k} {v}" for k, v in scores.items()))


if __name__ == "__main__":
    main()
