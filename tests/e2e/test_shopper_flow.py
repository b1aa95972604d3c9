"""The shopper's app, second edition (issue 14), on a phone with touch at 320x568 and
390x844: the app bar and its sync status, the whole default checklist section by section,
the review screen, submit offline then online; a visit whose window has not opened; the
audit view at 320 px with photos and a long word; a refusal in plain words."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, Route, expect

from audit.services.planning import assignments
from audit.storage.db import Database
from tests.e2e.conftest import Server, a_photo, answered, fill_item, open_phone, sign_in_at, stored_audits
from tests.e2e.phone import current_section, fill, review, show, submit

pytestmark = pytest.mark.e2e
ITEMS = 37
SECTIONS = 7
PHONES = [
    pytest.param({"width": 320, "height": 568}, id="320x568"),
    pytest.param({"width": 390, "height": 844}, id="390x844"),
]


def overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def chip(page: Page) -> str:
    return page.locator("[data-sync-text]").inner_text()


def states(page: Page) -> dict[str, str]:
    """Each section's state as the section list says it."""
    return page.locator("#section-list [data-state-of]").evaluate_all(
        "spans => Object.fromEntries(spans.map(s =>"
        " [s.dataset.stateOf, s.className.split(' ')[1] + ': ' + s.textContent]))"
    )


def assert_one_line_app_bar(page: Page) -> None:
    bar = page.locator("header.top").bounding_box()
    assert bar and bar["height"] <= 56, bar
    tops = [page.locator(s).bounding_box()["y"] for s in (".brand", "[data-sync]", "[data-menu] summary")]
    assert max(tops) - min(tops) < 16, tops  # brand, status and menu side by side


@pytest.mark.parametrize("viewport", PHONES)
def test_the_default_checklist_section_by_section_reviewed_submitted_offline_then_sent(
    server: Server, playwright: Playwright, tmp_path: Path, viewport: dict[str, int]
):
    phone = open_phone(playwright, tmp_path / "profile", viewport=viewport)
    try:
        page = phone.new_page()
        sign_in_at(page, server.base)
        assert_one_line_app_bar(page)
        expect(page.locator("[data-sync-text]")).to_have_text("All sent")
        assert overflow(page) == 0
        # the whole card is the tap target, not only the store's name
        card = page.locator("[data-group=now] article").first
        box = card.bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] - 40, box["y"] + box["height"] - 10)
        page.wait_for_url("**/visits/*")
        page.locator("#visit[data-ready]").wait_for(state="attached")
        assert_one_line_app_bar(page)
        expect(page.locator("[data-where]")).to_have_text("1 of 7 · Arrival and greeting")
        keys = page.locator("section.section[data-section]").evaluate_all("ss => ss.map(s => s.dataset.section)")
        assert keys[-1] == "review" and len(keys) == SECTIONS + 1
        for number, key in enumerate(keys[:-1], start=1):
            assert current_section(page) == key
            assert page.locator("section.section:visible").count() == 1, "one section per screen"
            for fieldset in page.locator(f"#s-{key} fieldset.item").all():
                if fieldset.get_attribute("data-type") == "photo":
                    continue  # optional: left empty
                fill_item(page, fieldset, None)
            assert overflow(page) == 0
            if number == 2:
                page.locator("[data-step-now]").tap()
                found = states(page)
                assert found["greeting"].startswith("done") and found["eye_contact"] == "done: Done"
                assert found["name_personal"] == "todo: Not started"
                page.locator("[data-step-now]").tap()
            expect(page.locator("[data-next]")).to_have_text("Review" if number == SECTIONS else "Next")
            page.locator("[data-next]").tap()
        assert current_section(page) == "review"
        assert answered(page) == f"{ITEMS - 1} of {ITEMS} answered"
        # the optional photo left empty does not keep its section "partly"
        assert all(state.startswith("done") for state in states(page).values()), states(page)
        summary = page.locator("[data-review-list] > li")
        expect(summary).to_have_count(SECTIONS)
        expect(summary.nth(0)).to_contain_text("6 of 6")
        expect(summary.nth(6)).to_contain_text("6 of 7")
        expect(summary.nth(6)).to_contain_text("1 optional question left empty")
        expect(page.locator("[data-review-list] .needed")).to_have_count(0)
        expect(page.locator("#started_at")).to_be_visible()
        assert page.locator(".score, [data-score]").count() == 0, "no score before the server's"

        phone.set_offline(True)
        expect(page.locator("[data-sync-text]")).to_have_text("Offline")
        page.get_by_role("button", name="Submit audit").tap()
        page.wait_for_url("**/outbox")
        expect(page.locator("[data-queued-note]")).to_have_text(
            "Saved on this phone. It uploads by itself when there is signal."
        )
        expect(page.locator("[data-sync-text]")).to_have_text("Offline · 1 waiting")
        assert stored_audits(server.settings) == []
        phone.set_offline(False)
        expect(page.locator("[data-sync-text]")).to_have_text(
            re.compile(r"^All sent · \d{1,2}[:.]\d\d"), timeout=30_000
        )
        [audit] = stored_audits(server.settings)
        assert len(audit["answers"]) == ITEMS - 1 and audit["score"] == 100.0
        page.goto(server.base + "/")
        expect(page.locator("[data-group=now] article")).to_have_count(1)  # the other visit; this one is done
        expect(page.locator("#submitted ~ article").first).to_contain_text("100.0")
    finally:
        phone.close()


@pytest.mark.parametrize("viewport", PHONES)
def test_a_visit_not_yet_open_says_when_it_opens_and_cannot_be_submitted(
    server: Server, playwright: Playwright, tmp_path: Path, viewport: dict[str, int]
):
    phone = open_phone(playwright, tmp_path / "profile", viewport=viewport)
    try:
        not_yet_open(server, phone)
    finally:
        phone.close()


def not_yet_open(server: Server, phone) -> None:
    db = Database(server.settings)
    try:
        opens = date.today() + timedelta(days=3)
        assignments.add(db, "shopper@example.com", "STH-001", "customer-service", opens, opens + timedelta(days=2))
    finally:
        db.dispose()
    page = phone.new_page()
    sign_in_at(page, server.base)
    card = page.locator("[data-group=upcoming] article")
    expect(card).to_have_count(1)
    day = page.evaluate(
        "d => new Intl.DateTimeFormat(navigator.language, {weekday: 'short', day: 'numeric', month: 'short',"
        " timeZone: 'UTC'}).format(new Date(d))",
        opens.isoformat(),
    )
    expect(card.locator("[data-chip]")).to_have_text(f"Opens {day}")
    expect(card).not_to_contain_text("Overdue")
    card.locator("a").tap()
    page.locator("#visit[data-ready]").wait_for(state="attached")
    expect(page.locator("[data-opens-note]")).to_be_visible()
    expect(page.locator("[data-opens-note]")).to_contain_text(f"Opens {day}")
    expect(page.locator("#s-greeting input[type=radio]").first).to_be_disabled()
    page.locator("#s-greeting button.tool").first.tap()  # the checklist may be read: guidance opens
    expect(page.locator("#s-greeting .guidance").first).to_be_visible()
    review(page)
    expect(page.get_by_role("button", name="Submit audit")).to_be_disabled()
    expect(page.locator("[data-submit-note]")).to_have_text(
        f"This visit opens {day}: it can be submitted from that day."
    )
    page.reload()
    page.locator("#visit[data-ready]").wait_for(state="attached")
    drafts = page.evaluate(
        "auditStore.allDrafts().then(ds => ds.filter(d => d.assignment.startsWith('visit:')).length)"
    )
    assert drafts == 0 and page.evaluate("auditStore.count()") == 0
    assert stored_audits(server.settings) == []


def test_the_shoppers_audit_view_fits_320_px_with_photos_and_a_long_word(
    server: Server, playwright: Playwright, tmp_path: Path
):
    phone = open_phone(playwright, tmp_path / "profile", viewport={"width": 320, "height": 568})
    try:
        page = phone.new_page()
        sign_in_at(page, server.base)
        page.locator("[data-group=now] article a").first.tap()
        fill(page, a_photo(tmp_path))
        word = "W" * 400
        show(page, page.locator("#i-staff_description"))
        page.locator("textarea[name='a:staff_description']").fill(word)
        page.locator("#i-warm_greeting [data-comment-tool]").tap()
        page.locator("textarea[name='c:warm_greeting']").fill(word)
        expect(page.locator("#i-warm_greeting [data-comment-tool]")).to_have_class(re.compile(r"\bhas\b"))
        assert overflow(page) == 0
        review(page)
        page.locator("#notes").fill(word)
        page.locator("[data-audit-photos] input[type=file]").set_input_files(str(a_photo(tmp_path)))
        expect(page.locator("[data-audit-photos] .thumbs img")).to_have_count(1)
        expect(page.locator("[data-review-photos] img")).to_have_count(1)
        assert overflow(page) == 0
        submit(page)
        page.wait_for_url("**/outbox")
        expect(page.locator("[data-sync-text]")).to_have_text(re.compile("^All sent"), timeout=30_000)
        [audit] = stored_audits(server.settings)
        page.goto(f"{server.base}/audits/{audit['id']}")
        assert page.locator("img.thumb").count() == 2  # the receipt's and the visit's
        for img in page.locator("img.thumb").all():
            img.scroll_into_view_if_needed()
            img.evaluate("i => i.decode()")  # loaded: its width counts
        assert overflow(page) == 0
        text = page.locator("main").inner_text()
        assert audit["checklist_version_id"][:8] not in text and "version" not in text
        wrap = page.locator("table.answers td").first.evaluate("td => getComputedStyle(td).overflowWrap")
        assert wrap == "break-word", "words break at their boundaries, only a word too long for the line is cut"
    finally:
        phone.close()


def test_a_refusal_is_said_in_plain_words_naming_the_store_and_the_day(server: Server, phone):
    page = phone.new_page()
    sign_in_at(page, server.base)
    page.locator("[data-group=now] article a").first.tap()
    fill(page)

    def refuse(route: Route) -> None:  # the server's words for a visit made before its window
        problem = {
            "field": "finished_at",
            "message": "the visit finished on 2026-01-05, before planned visit 4 starts (2026-01-09)",
        }
        route.fulfill(status=422, json={"error": "The request is not valid", "errors": [problem]})

    page.route("**/api/audits", refuse)
    submit(page)
    page.wait_for_url("**/outbox")
    queued = page.locator("li.queued.rejected")
    expect(queued).to_contain_text("Your audit of Leeds on ")
    expect(queued).to_contain_text("is dated before the visit's window opens")
    text = queued.inner_text()
    assert not re.search(r"\d{4}-\d{2}-\d{2}|planned visit \d|not valid", text), text
    expect(page.locator("[data-sync-text]")).to_have_text("1 needs you")
    page.goto(server.base + "/")
    expect(page.locator("[data-group=needs] article")).to_contain_text("Not accepted")
    expect(page.locator("[data-group=now] article")).to_have_count(1)


def test_the_account_menu_holds_password_and_sign_out(server: Server, phone):
    page = phone.new_page()
    sign_in_at(page, server.base)
    page.locator("[data-menu] summary").tap()
    expect(page.get_by_role("link", name="Change password")).to_be_visible()
    page.get_by_role("button", name="Sign out").tap()
    page.wait_for_url("**/login*")
