"""axe-core, run inside Chromium on every shopper page: no serious or critical violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright

from tests.e2e.conftest import ARGS, CHROMIUM, PHONE, Server, sign_in_at, visit_links
from tests.e2e.phone import fill, submit

pytestmark = pytest.mark.e2e
AXE = Path(
    os.environ.get("AUDIT_TEST_AXE", Path(__file__).parents[2] / ".cache/axe-core/node_modules/axe-core/axe.min.js")
)


def violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""
    )
    return list(found)


def test_no_shopper_page_has_a_serious_accessibility_problem(server: Server, playwright: Playwright):
    assert AXE.is_file(), f"axe-core is installed by scripts/test; not found at {AXE}"
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        context = browser.new_context(**PHONE, bypass_csp=True)  # to inject axe itself
        page = context.new_page()
        page.goto(server.base + "/login")
        problems = {"/login": violations(page)}
        page.evaluate("document.querySelector('main').append(document.createElement('input'))")
        assert any(v.startswith("label:") for v in violations(page)), "axe must see an unlabelled field"
        sign_in_at(page, server.base)
        form = visit_links(page)[0]
        for path in ("/", form, "/outbox", "/offline"):
            page.goto(server.base + path)
            page.wait_for_load_state("networkidle")
            problems[path] = violations(page)
        page.goto(server.base + form)
        fill(page, stop=5)
        submit(page)  # the list of what is missing shows
        page.locator("[data-missing]").wait_for()
        problems[form + " with errors"] = violations(page)
        assert {path: found for path, found in problems.items() if found} == {}
    finally:
        browser.close()
