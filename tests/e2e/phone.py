"""How a shopper's thumb moves through the visit form: one section per screen, the
stepper's section list, Back / Next, the review screen and its Submit button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.e2e.conftest import fill_item


def current_section(page: Page) -> str:
    return page.locator("section.section:visible").get_attribute("data-section") or ""


def go_to(page: Page, key: str) -> None:
    """Open the stepper's section list and tap the section (or "review")."""
    if current_section(page) == key:
        return
    page.locator("[data-step-now]").tap()
    page.locator(f"#section-list [data-goto='{key}']").tap()
    page.locator(f"section.section[data-section='{key}']:visible").wait_for()


def show(page: Page, fieldset: Any) -> None:
    """Bring the item's section on screen: Next when it is the following one, else the list."""
    key = fieldset.evaluate("f => f.closest('section.section').dataset.section")
    if current_section(page) == key:
        return
    keys = page.locator("section.section[data-section]").evaluate_all("ss => ss.map(s => s.dataset.section)")
    if keys.index(key) == keys.index(current_section(page)) + 1:
        page.locator("[data-next]").tap()
        page.locator(f"section.section[data-section='{key}']:visible").wait_for()
    else:
        go_to(page, key)


def fill(page: Page, photo: Path | None = None, start: int = 0, stop: int | None = None) -> None:
    """The best answers an attentive shopper would give, section by section."""
    page.locator("#visit[data-ready]").wait_for(state="attached")
    for fieldset in page.locator("fieldset.item").all()[start:stop]:
        show(page, fieldset)
        fill_item(page, fieldset, photo)


def review(page: Page) -> None:
    go_to(page, "review")


def submit(page: Page) -> None:
    """To the review screen, then its Submit button."""
    review(page)
    page.get_by_role("button", name="Submit audit").tap()
