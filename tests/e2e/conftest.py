"""Browser tests: Debian's Chromium (never a downloaded browser) against a real server
process on a real SQLite file. Shared fixtures: `live` (the server, its database and the
named actors), `browser` (one per session) and `page` (a fresh context per test) for the
owners' pages; `server` (one a test may stop and restart) and `phone` (a phone-sized
Chromium with a profile of its own) for the shopper's app."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from audit.services.planning import assignments
from audit.settings import ROOT, Settings
from audit.storage import migrate, models
from audit.storage.db import Database
from tests import actors
from tests.servers import free_port, server_env, serving, wait_until_up

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@dataclass
class Live:
    """The running server: its address, database and the company of tests/actors.py."""

    base: str
    db: Database
    org: actors.Org

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def live(sqlite_template: Path, tmp_path: Path) -> Iterator[Live]:
    settings = Settings(checklists_dir=ROOT / "checklists", sqlite_path=tmp_path / "e2e.db")
    shutil.copy(sqlite_template, settings.sqlite_path)
    db = Database(settings)
    org = actors.make_org(db)
    try:
        with serving(settings) as (base, _):
            yield Live(base, db, org)
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """One Playwright driver for the whole run (two at once would fight over the event loop)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_in(page: Page, live: Live, email: str, password: str = actors.PASSWORD) -> Page:
    page.goto(live.url("/login"))
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(live.url("/"))
    return page


PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


class Server:
    """`audit serve` on a fixed port, which a test may stop and start again."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, **extra_env: str) -> None:
        env = {**server_env(self.settings), "AUDIT_TIMEZONE": "UTC", **extra_env}
        command = [sys.executable, "-m", "audit.cli", "serve", "--port", str(self.port), "--workers", "1"]
        log = open(self.settings.sqlite_path.with_suffix(".log"), "ab")  # noqa: SIM115 (kept for the process)
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        wait_until_up(self.base, self.process)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def e2e_settings(tmp_path: Path) -> Iterator[Settings]:
    """A migrated SQLite file with the test company, and visits planned for today."""
    settings = Settings(checklists_dir=ROOT / "checklists", sqlite_path=tmp_path / "audit.db")
    db = Database(settings)
    try:
        migrate.upgrade(db)
        actors.make_org(db)
        today = date.today()
        for store in ("NTH-001", "NTH-002"):
            assignments.add(db, "shopper@example.com", store, "customer-service", today, today + timedelta(days=3))
    finally:
        db.dispose()
    yield settings


@pytest.fixture
def server(e2e_settings: Settings) -> Iterator[Server]:
    running = Server(e2e_settings)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def phone(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A phone-sized Chromium with a profile of its own (it can be closed and opened again)."""
    context = open_phone(playwright, tmp_path / "profile")
    try:
        yield context
    finally:
        context.close()


def open_phone(playwright: Playwright, profile: Path, **options: Any) -> BrowserContext:
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=ARGS, **{**PHONE, **options}
    )


def sign_in_at(page: Page, base: str, email: str = "shopper@example.com", next_path: str = "/") -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", actors.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def visit_links(page: Page) -> list[str]:
    return [a.get_attribute("href") or "" for a in page.locator("a[data-offline]").all()]


def fill_item(page: Page, fieldset: Any, photo: Path | None) -> None:
    """The best answer an attentive shopper would give, by the item's type."""
    kind = fieldset.get_attribute("data-type")
    if kind == "yesno":
        fieldset.locator(".choice").first.tap()
    elif kind == "scale":
        fieldset.locator(".choice:not(:has(input[value=na]))").last.tap()
    elif kind == "choice":
        fieldset.locator(".choice").first.tap()
    elif kind == "number":
        fieldset.locator("input[type=number]").fill("5")
    elif kind == "text":
        fieldset.locator("textarea").first.fill("Sam at the till, green fleece")
    elif kind == "photo" and photo is not None:
        fieldset.locator("input[type=file]").set_input_files(str(photo))
        fieldset.locator(".thumbs img").wait_for()


def fill(page: Page, photo: Path | None = None, start: int = 0, stop: int | None = None) -> None:
    items = page.locator("fieldset.item").all()[start:stop]
    for fieldset in items:
        fill_item(page, fieldset, photo)


def answered(page: Page) -> str:
    page.locator("#visit[data-ready]").wait_for(state="attached")
    return page.locator("[data-progress-text]").inner_text()


def wait_until_sent(page: Page, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-outbox-count]').textContent === '0'"
        " && document.querySelector('[data-outbox-count]').classList.contains('zero')",
        timeout=timeout,
    )


def stored_audits(settings: Settings) -> list[dict[str, Any]]:
    """Each stored audit with its answers and photos, read straight from the file."""
    db = Database(settings)
    try:
        with db.engine.connect() as connection:
            audits = connection.execute(sa.select(models.Audit)).mappings().all()
            result = []
            for audit in audits:
                answers = connection.execute(
                    sa.select(models.Answer.item_key, models.Answer.value).where(models.Answer.audit_id == audit["id"])
                ).all()
                photos = connection.execute(
                    sa.select(models.Photo.item_key, models.Photo.content_type).where(
                        models.Photo.audit_id == audit["id"]
                    )
                ).all()
                result.append({**audit, "answers": dict(answers), "photos": list(photos)})
            return result
    finally:
        db.dispose()


def a_photo(tmp_path: Path) -> Path:
    """A phone-camera-sized JPEG with a location in its metadata."""
    from PIL import Image

    path = tmp_path / "receipt.jpg"
    image = Image.new("RGB", (3000, 2000), (230, 225, 210))
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0), 1: "N"}  # GPS: the store's position, which must not be kept
    image.save(path, "JPEG", quality=80, exif=exif)
    return path
