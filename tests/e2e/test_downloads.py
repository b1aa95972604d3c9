"""The Download menu on the region page, in Chromium at a laptop's and a phone's size: it
opens, its CSV link downloads, its ZIP button starts a job whose page shows progress and
then the file, My downloads lists it, and the menu closes on Escape or a click elsewhere."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from audit.services import audits
from audit.services.audits import Submission, Submitter
from audit.services.planning import assignments
from tests import actors
from tests.e2e.conftest import Live, sign_in

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
QUERY = "from=2026-10-01&to=2026-11-30"


def seed(live: Live, count: int) -> None:
    submitter = Submitter(live.db)
    try:
        for n in range(count):
            finished = actors.VISIT_END - timedelta(hours=n)
            store = "NTH-001" if n % 2 else "NTH-002"
            if not assignments.may_submit(live.db, live.org.shopper, store):
                day = finished.date()
                assignments.add(
                    live.db, "shopper@example.com", store, "customer-service", day - timedelta(days=30), day
                )
            body = actors.body(live.org.main, store=store, finished=finished)
            assert (
                audits.submit(live.db, submitter, Submission.model_validate(body), live.org.shopper).status == "created"
            )
    finally:
        submitter.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_region_pages_download_menu_works(live: Live, browser, size: str, tmp_path: Path):
    seed(live, 6)
    context = browser.new_context(viewport=SIZES[size], accept_downloads=True)
    context.set_default_timeout(30_000)
    page: Page = context.new_page()
    try:
        sign_in(page, live, "north@example.com")
        page.goto(live.url(f"/regions/NTH?{QUERY}"))
        menu = page.locator("[data-download-menu]")
        summary = menu.locator("summary")
        box = summary.bounding_box()
        assert box is not None and box["x"] + box["width"] <= SIZES[size]["width"]  # on screen, at the right
        assert box["x"] > SIZES[size]["width"] / 2
        items = menu.locator(".dl-item")
        expect(items.first).to_be_hidden()
        summary.click()
        expect(items.first).to_be_visible()
        for item in items.all():  # every entry within the window
            b = item.bounding_box()
            assert b is not None and b["x"] >= 0 and b["x"] + b["width"] <= SIZES[size]["width"] + 1, b
        page.screenshot(path=str(tmp_path / f"menu-{size}.png"))
        # Escape and a click elsewhere close it
        page.keyboard.press("Escape")
        expect(items.first).to_be_hidden()
        summary.click()
        page.locator("h1").click()
        expect(items.first).to_be_hidden()
        # a CSV link downloads at once, with the page's period
        summary.click()
        with page.expect_download() as csv:
            menu.get_by_role("link", name="Audits CSV").click()
        assert csv.value.suggested_filename == "audits-NTH-2026-10-01_2026-11-30.csv"
        # the ZIP is made in the background: its page shows progress, then the file
        summary.click()
        menu.get_by_role("button", name="All audit PDFs").click()
        page.wait_for_url("**/downloads/*")
        expect(page.get_by_role("heading", level=1)).to_contain_text("All audit PDFs of North (NTH)")
        link = page.get_by_role("link", name="Download ZIP")
        expect(link).to_be_visible(timeout=90_000)
        with page.expect_download() as zipped:
            link.click()
        names = zipfile.ZipFile(io.BytesIO(Path(zipped.value.path()).read_bytes())).namelist()
        assert len(names) == 6
        page.screenshot(path=str(tmp_path / f"job-{size}.png"))
        page.goto(live.url("/downloads"))
        expect(page.locator(".dl-jobs li")).to_have_count(1)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], width  # no sideways scrolling
    finally:
        context.close()
