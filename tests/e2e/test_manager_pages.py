"""Every page of an owner and a regional manager on a 300-store demo company, in Chromium at a
laptop's and a phone's size: no page is wider than the window (wide tables scroll inside
their own box, with their first column and header kept in view), the overview stays short,
and on a phone the period filter folds into one line."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from audit.settings import ROOT, Settings
from tests.servers import serving

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
OWNER = ("owner@example.com", "owner-demo-2026")
MANAGER = ("manager.mid@example.com", "manager-demo-2026")
PAGES = {
    OWNER: ["/", "/regions", "/regions/MID", "/regions/MID/behaviours", "/stores/MID-001", "/review", "/downloads"],
    MANAGER: ["/", "/regions", "/regions/MID", "/regions/MID/behaviours", "/stores/MID-002"],
}


@pytest.fixture(scope="module")
def big_company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`audit demo` with 300 stores, served by a real `audit serve`."""
    settings = Settings(checklists_dir=ROOT / "checklists", sqlite_path=tmp_path_factory.mktemp("big") / "big.db")
    env = {"AUDIT_SQLITE_PATH": str(settings.sqlite_path), "PATH": "/usr/bin:/bin"}
    for command in (["db", "upgrade"], ["demo", "--stores", "300", "--months", "3"]):
        subprocess.run(
            [sys.executable, "-m", "audit.cli", *command], env=env, cwd=ROOT, check=True, capture_output=True
        )
    with serving(settings) as (base, _):
        yield base


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("who", [OWNER, MANAGER], ids=["owner", "manager"])
def test_no_page_is_wider_than_the_window(big_company: str, browser: Browser, size: str, who, tmp_path: Path):
    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone", has_touch=size == "phone")
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(f"{big_company}/login")
        page.fill("#email", who[0])
        page.fill("#password", who[1])
        page.click("button[type=submit]")
        page.wait_for_url(f"{big_company}/")
        for path in PAGES[who]:
            response = page.goto(f"{big_company}{path}")
            assert response is not None and response.status == 200, path
            assert _overflow(page) <= 0, f"{path} is {_overflow(page)} px wider than the window"
            if path == "/":  # 300 stores, but the regions are folded: a short page
                height = page.evaluate("document.documentElement.scrollHeight")
                assert height < 6 * SIZES[size]["height"], (path, height)
            if size == "phone" and page.locator("details.period-picker").count():
                assert page.locator("details.period-picker").get_attribute("open") is None, path
                assert page.locator("details.period-picker > summary").is_visible()
        page.screenshot(path=str(tmp_path / f"last-{size}.png"))
    finally:
        context.close()


def test_a_wide_table_keeps_its_store_column_in_view_on_a_phone(big_company: str, browser: Browser):
    context = browser.new_context(viewport=SIZES["phone"], is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{big_company}/login")
        page.fill("#email", MANAGER[0])
        page.fill("#password", MANAGER[1])
        page.click("button[type=submit]")
        page.wait_for_url(f"{big_company}/")
        page.goto(f"{big_company}/regions/MID")
        assert page.locator(".more-columns").first.is_visible()  # the cue that more columns exist
        box = page.locator("div.scroll.sticky").first
        first = page.locator("table.compare tbody th.store").first
        left = box.bounding_box()
        box.evaluate("el => { el.scrollLeft = 600; }")
        after = first.bounding_box()
        assert left is not None and after is not None
        assert abs(after["x"] - left["x"]) < 1  # scrolled 600 px, the store's name is still at the box's edge
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    finally:
        context.close()
