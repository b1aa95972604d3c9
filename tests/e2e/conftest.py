"""Browser tests: Debian's Chromium (never a downloaded browser) against a real server
process on a real SQLite file. Shared fixtures: `live` (the server, its database and the
named actors), `browser` (one per session) and `page` (a fresh context per test)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from audit.settings import ROOT, Settings
from audit.storage.db import Database
from tests import actors
from tests.servers import serving

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
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    with sync_playwright() as playwright:
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
