"""The shopper's app in a real phone-sized Chromium: online, offline, a server lost
mid-upload, an ended session. In each story the server ends with exactly one copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Playwright, Route, expect

from audit.storage import models
from audit.storage.db import Database
from tests.e2e.conftest import (
    Server,
    a_photo,
    answered,
    fill_item,
    open_phone,
    sign_in_at,
    stored_audits,
    visit_links,
    wait_until_sent,
)
from tests.e2e.phone import fill, go_to, review, show, submit

pytestmark = pytest.mark.e2e
ITEMS = 37  # the default checklist
UNANSWERED_PHOTO_ITEMS = 1  # receipt_photo, left out when no photo is given


def test_a_shopper_fills_the_default_checklist_and_submits_online(server: Server, phone, tmp_path: Path):
    page = phone.new_page()
    sign_in_at(page, server.base)
    assert page.locator("h1").inner_text() == "My visits"
    page.goto(server.base + visit_links(page)[0])
    assert answered(page) == f"0 of {ITEMS} answered"
    fill(page, a_photo(tmp_path))
    assert answered(page) == f"{ITEMS} of {ITEMS} answered"
    submit(page)
    page.wait_for_url("**/outbox")
    wait_until_sent(page)
    [audit] = stored_audits(server.settings)
    assert len(audit["answers"]) == ITEMS
    assert audit["answers"]["warm_greeting"] == "yes" and audit["score"] == 100.0
    assert audit["assignment_id"] is not None
    assert audit["photos"] == [("receipt_photo", "image/jpeg")]
    page.goto(server.base + "/")
    assert "100.0" in page.locator("#submitted ~ article").first.inner_text()


def hours_ago(page, hours: float) -> str:
    """A datetime-local value in the phone's own time zone."""
    script = "h => { const d = new Date(Date.now() - h * 3600e3); d.setMinutes(d.getMinutes() - d.getTimezoneOffset());"
    return page.evaluate(script + " return d.toISOString().slice(0, 16); }", hours)


def test_the_form_refuses_impossible_visit_times_and_files_that_are_not_photos_before_anything_leaves(
    server: Server, phone, tmp_path: Path
):
    page = phone.new_page()
    sign_in_at(page, server.base)
    page.goto(server.base + visit_links(page)[0])
    fill(page, a_photo(tmp_path))
    not_a_photo = tmp_path / "fake.jpg"
    not_a_photo.write_text("these are not the pixels you are looking for")
    page.locator("[data-audit-photos] input[type=file]").set_input_files(str(not_a_photo))
    expect(page.locator("[data-photo-problem]")).to_contain_text("“fake.jpg” is not a photo this phone can read")
    expect(page.locator("[data-saved]")).to_have_text("Saved on this phone")
    review(page)
    page.fill("#started_at", hours_ago(page, 3))
    page.fill("#finished_at", hours_ago(page, 4))
    submit(page)
    expect(page.locator("#times-problem")).to_have_text("the visit cannot end before it started")
    expect(page.locator("#missing")).to_contain_text("Ended: the visit cannot end before it started")
    expect(page.locator("#finished_at")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.activeElement.id") == "finished_at"
    page.fill("#finished_at", "2999-01-01T10:00")
    submit(page)
    expect(page.locator("#times-problem")).to_have_text("the visit ends in the future: check the time")
    page.fill("#finished_at", "")  # filled in at submit: now
    page.fill("#started_at", hours_ago(page, -0.5))
    submit(page)
    expect(page.locator("#times-problem")).to_have_text("the visit starts in the future: check the time")
    expect(page.locator("#started_at")).to_have_attribute("aria-invalid", "true")
    assert "/visits/" in page.url and stored_audits(server.settings) == []
    page.fill("#started_at", hours_ago(page, 1))
    show(page, page.locator("#i-staff_description"))
    page.locator("textarea[name='a:staff_description']").fill("Z" * 300)  # a pasted link, say
    submit(page)
    page.wait_for_url("**/outbox")
    wait_until_sent(page)
    [audit] = stored_audits(server.settings)
    assert audit["photos"] == [("receipt_photo", "image/jpeg")]  # the file that was not a photo never went
    page.goto(f"{server.base}/audits/{audit['id']}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # the long word wraps


def test_offline_story_the_audit_arrives_once_with_every_answer_and_the_photo(
    server: Server, playwright: Playwright, tmp_path: Path
):
    profile = tmp_path / "profile"
    phone = open_phone(playwright, profile)
    page = phone.new_page()
    sign_in_at(page, server.base)
    second = visit_links(page)[1]
    # My visits keeps every planned visit's form for use without signal
    page.locator("body[data-offline-ready=true]").wait_for(state="attached", timeout=15_000)
    phone.set_offline(True)
    server.stop()  # no signal at all, whatever path a request takes
    page.goto(server.base + second)  # never opened before
    assert page.locator("h1").inner_text().startswith("York")
    photo = a_photo(tmp_path)
    fill(page, photo, stop=20)
    show(page, page.locator("fieldset.item[data-type=photo]"))
    fill_item(page, page.locator("fieldset.item[data-type=photo]"), photo)
    half = answered(page)
    choices = page.locator("input:checked").count()
    page.reload()
    assert answered(page) == half, "the draft came back exactly"
    assert page.locator("input:checked").count() == choices
    assert page.locator("fieldset.item[data-type=photo] .thumbs img").count() == 1
    fill(page, None, start=20)
    assert answered(page) == f"{ITEMS} of {ITEMS} answered"
    submit(page)
    page.wait_for_url("**/outbox")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    expect(page.locator("li.queued")).to_have_count(1)
    phone.close()

    server.start()
    phone = open_phone(playwright, profile)
    try:
        page = phone.new_page()
        page.goto(server.base + "/")
        wait_until_sent(page)
        [audit] = stored_audits(server.settings)
        assert len(audit["answers"]) == ITEMS
        assert audit["photos"] == [("receipt_photo", "image/jpeg")]
        page.reload()
        assert "York" in page.locator("#submitted ~ article").first.inner_text()
    finally:
        phone.close()


def test_a_server_lost_during_upload_gets_the_audit_exactly_once(
    server: Server, playwright: Playwright, tmp_path: Path
):
    phone = open_phone(playwright, tmp_path / "profile", service_workers="block")
    try:
        page = phone.new_page()
        sign_in_at(page, server.base)
        page.goto(server.base + visit_links(page)[0])
        fill(page)

        def store_then_lose_the_answer(route: Route) -> None:
            route.fetch()  # the server stores the audit...
            server.stop()  # ...and goes down before the phone hears back
            route.abort("connectionreset")

        page.route("**/api/audits", store_then_lose_the_answer, times=1)
        submit(page)
        page.wait_for_url("**/outbox")
        page.locator("li.queued", has_text="No connection").wait_for(timeout=15_000)
        assert len(stored_audits(server.settings)) == 1
        server.start()
        wait_until_sent(page, timeout=60_000)  # the backoff timer retries by itself
        [audit] = stored_audits(server.settings)
        assert len(audit["answers"]) == ITEMS - UNANSWERED_PHOTO_ITEMS
    finally:
        phone.close()


def test_an_ended_session_keeps_the_audit_until_the_shopper_signs_in_again(server: Server, phone):
    page = phone.new_page()
    sign_in_at(page, server.base)
    page.goto(server.base + visit_links(page)[0])
    fill(page)
    db = Database(server.settings)
    try:
        with db.write_session() as session:
            session.execute(sa.delete(models.UserSession))
    finally:
        db.dispose()
    submit(page)
    page.wait_for_url("**/outbox")
    banner = page.locator("#signin-banner")
    banner.wait_for(state="visible")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    assert stored_audits(server.settings) == []
    banner.get_by_role("link", name="Sign in").tap()
    page.fill("input[name=email]", "shopper@example.com")
    page.fill("input[name=password]", "tested-and-true-42")
    page.click("button[type=submit]")
    page.wait_for_url("**/outbox")
    wait_until_sent(page)
    assert len(stored_audits(server.settings)) == 1


def test_saved_to_a_file_brought_in_by_the_owner_then_uploaded_by_the_phone_makes_one_audit(
    server: Server, playwright: Playwright, tmp_path: Path
):
    phone = open_phone(playwright, tmp_path / "profile")
    owner = open_phone(playwright, tmp_path / "owner", viewport={"width": 1280, "height": 900})
    try:
        page = phone.new_page()
        sign_in_at(page, server.base)
        page.locator("body[data-offline-ready=true]").wait_for(state="attached", timeout=15_000)
        page.goto(server.base + visit_links(page)[0])
        fill(page, a_photo(tmp_path))
        server.stop()  # no way to upload
        submit(page)
        page.wait_for_url("**/outbox")
        with page.expect_download() as download:
            page.get_by_role("button", name="Save to file").tap()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name.startswith("audits-waiting-") and saved.suffix == ".json"
        phone.set_offline(True)  # the phone stays out of reach until the office has the file

        server.start()
        desk = owner.new_page()
        sign_in_at(desk, server.base, "owner@example.com", "/admin/saved-audits")
        desk.set_input_files("input[name=file]", str(saved))
        desk.get_by_role("button", name="Bring in the audits").click()
        expect(desk.locator("tbody")).to_contain_text("Stored")
        [audit] = stored_audits(server.settings)
        assert len(audit["answers"]) == ITEMS and audit["photos"] == [("receipt_photo", "image/jpeg")]

        phone.set_offline(False)
        page.get_by_role("button", name="Send now").tap()  # the phone's copy meets the stored one
        wait_until_sent(page)
        assert len(stored_audits(server.settings)) == 1
    finally:
        phone.close()
        owner.close()


def test_a_new_version_waits_for_the_shoppers_yes_and_keeps_the_half_filled_draft(server: Server, phone):
    page = phone.new_page()
    sign_in_at(page, server.base)
    page.locator("body[data-offline-ready=true]").wait_for(state="attached", timeout=15_000)
    page.goto(server.base + visit_links(page)[0])
    fill(page, stop=6)
    half = answered(page)
    shells_of = "caches.keys().then(names => names.filter(n => n.startsWith('audit-shell-')))"
    [old_shell] = page.evaluate(shells_of)
    server.stop()
    server.start(AUDIT_RELEASE="next")
    page.evaluate("window.stillTheSamePage = true")
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    banner = page.locator("#update-banner")
    banner.wait_for(state="visible", timeout=15_000)
    assert page.evaluate("window.stillTheSamePage") is True, "no reload under the shopper's fingers"
    assert answered(page) == half
    banner.get_by_role("button", name="Update now").tap()
    page.wait_for_function(
        "() => window.stillTheSamePage === undefined && !!document.querySelector('#visit[data-ready]')"
    )
    assert answered(page) == half, "the draft survived the update"
    [new_shell] = page.evaluate(shells_of)
    assert new_shell != old_shell, "the old version's cache is gone"


def with_review_required(
    server: Server, playwright: Playwright, tmp_path: Path
) -> tuple[BrowserContext, BrowserContext]:
    """The server restarted with review required; a shopper's phone and a manager's desk."""
    server.stop()
    server.start(AUDIT_REVIEW_REQUIRED="true")
    phone = open_phone(playwright, tmp_path / "phone")
    desk = open_phone(playwright, tmp_path / "desk", viewport={"width": 1280, "height": 900}, is_mobile=False)
    return phone, desk


def test_review_round_trip_sent_back_fixed_offline_resubmitted_approved(
    server: Server, playwright: Playwright, tmp_path: Path
):
    phone, desk = with_review_required(server, playwright, tmp_path)
    try:
        page = phone.new_page()
        sign_in_at(page, server.base)
        page.goto(server.base + visit_links(page)[0])
        fill(page, a_photo(tmp_path))
        submit(page)
        page.wait_for_url("**/outbox")
        wait_until_sent(page)
        [audit] = stored_audits(server.settings)
        assert (audit["review_state"], audit["revision"]) == ("submitted", 1)
        photo_id = audit["answers"]["receipt_photo"]

        manager = desk.new_page()
        sign_in_at(manager, server.base, "north@example.com", "/review")
        manager.get_by_role("link", name=re.compile("20")).first.click()
        manager.fill("textarea[name=note]", "Say who greeted you: the staff description is missing.")
        manager.get_by_role("button", name="Send back").click()
        expect(manager.locator(".review")).to_contain_text("Sent back to the shopper")

        page.goto(server.base + "/")
        expect(page.locator("#needs")).to_be_visible()
        revise = page.locator("#needs ~ article a").first.get_attribute("href")
        fresh = phone.new_page()  # a phone that no longer holds the photo (the upload cleared it)
        fresh.goto(server.base + revise)
        earlier = fresh.locator(f"img[src='/photos/{photo_id}']")
        expect(earlier).to_have_attribute("alt", "Photo sent earlier, kept with the audit")
        fresh.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=earlier.element_handle())
        fresh.close()
        page.locator("body[data-offline-ready=true]").wait_for(state="attached", timeout=15_000)
        phone.set_offline(True)
        server.stop()
        page.locator("#needs ~ article a").first.tap()
        assert answered(page) == f"{ITEMS} of {ITEMS} answered"
        expect(page.locator(".notice")).to_contain_text("staff description is missing")
        show(page, page.locator("#i-staff_description"))
        page.locator("textarea[name='a:staff_description']").fill("Priya, name badge, blue shirt")
        submit(page)
        page.wait_for_url("**/outbox")
        expect(page.locator("[data-outbox-count]")).to_have_text("1")

        server.start(AUDIT_REVIEW_REQUIRED="true")
        phone.set_offline(False)
        page.goto(server.base + "/")
        wait_until_sent(page)
        [audit] = stored_audits(server.settings)
        assert (audit["review_state"], audit["revision"]) == ("submitted", 2)
        assert audit["answers"]["staff_description"] == "Priya, name badge, blue shirt"

        manager.goto(f"{server.base}/audits/{audit['id']}")
        manager.get_by_role("button", name="Approve").click()
        expect(manager.locator(".review")).to_contain_text("Approved: it counts in the totals.")
        manager.goto(f"{server.base}/stores/NTH-001")
        expect(manager.locator("main")).not_to_contain_text("awaiting review")
        [audit] = stored_audits(server.settings)
        assert audit["review_state"] == "approved"
    finally:
        phone.close()
        desk.close()


def test_a_refused_audit_stays_with_its_reason_and_is_fixed_and_sent_again(server: Server, phone):
    page = phone.new_page()
    sign_in_at(page, server.base)
    page.goto(server.base + visit_links(page)[0])
    fill(page)

    def refuse(route: Route) -> None:  # the server's own words for a real refusal
        problem = {"field": "wait_seconds", "message": "must be at most 600, got 5000"}
        route.fulfill(status=422, json={"error": "The audit was not accepted.", "errors": [problem]})

    page.route("**/api/audits", refuse, times=1)
    submit(page)
    page.wait_for_url("**/outbox")
    queued = page.locator("li.queued.rejected")
    expect(queued).to_contain_text("must be at most 600, got 5000")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    assert stored_audits(server.settings) == []
    queued.get_by_role("button", name="Fix and send again").tap()
    page.wait_for_url("**/visits/*")
    expect(page.locator("#i-wait_seconds [data-problem]")).to_have_text("must be at most 600, got 5000")
    page.locator("#n-wait_seconds").fill("30")
    submit(page)
    page.wait_for_url("**/outbox")
    wait_until_sent(page)
    [audit] = stored_audits(server.settings)
    assert audit["answers"]["wait_seconds"] == 30


def test_a_visit_reported_from_another_phone_can_be_taken_off_this_one(
    server: Server, phone, playwright: Playwright, tmp_path: Path
):
    other = open_phone(playwright, tmp_path / "other-phone")
    try:
        first = other.new_page()
        sign_in_at(first, server.base)
        visit = visit_links(first)[0]
        first.goto(server.base + visit)
        fill(first)
        submit(first)
        first.wait_for_url("**/outbox")
        wait_until_sent(first)
    finally:
        other.close()
    page = phone.new_page()
    sign_in_at(page, server.base)
    page.goto(server.base + visit)
    fill(page)
    submit(page)
    page.wait_for_url("**/outbox")
    queued = page.locator("li.queued.rejected")
    # in plain words: the store and the visit's day, never the audit's id or an ISO date
    expect(queued).to_contain_text("Your visit to Leeds on ")
    expect(queued).to_contain_text("was already reported, from another phone")
    assert not re.search(r"\d{4}-\d{2}-\d{2}|audit [0-9a-f]{8}|NTH-001", queued.inner_text())
    expect(queued.get_by_role("button", name="Fix and send again")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.dismiss())
    queued.get_by_role("button", name="Remove this copy").tap()
    expect(page.locator("[data-outbox-count]")).to_have_text("1")  # said no: nothing removed
    page.once("dialog", lambda dialog: dialog.accept())
    queued.get_by_role("button", name="Remove this copy").tap()
    expect(page.locator("li.queued")).to_have_count(0)
    wait_until_sent(page)
    assert len(stored_audits(server.settings)) == 1


def test_a_photo_beside_a_yes_no_answer_taken_offline_survives_a_reload_and_shows_beside_it(
    server: Server, playwright: Playwright, tmp_path: Path
):
    phone = open_phone(playwright, tmp_path / "profile")
    try:
        page = phone.new_page()
        sign_in_at(page, server.base)
        page.locator("body[data-offline-ready=true]").wait_for(state="attached", timeout=15_000)
        phone.set_offline(True)
        server.stop()
        page.goto(server.base + visit_links(page)[0])
        photo = a_photo(tmp_path)
        fill(page, photo)
        go_to(page, "greeting")
        card = page.locator("#i-stopped_task")
        card.locator(".choice", has_text="No").tap()
        tool = card.locator("[data-photo-tool]")
        expect(tool).not_to_have_class(re.compile(r"\bhas\b"))
        for _ in range(2):
            tool.locator("input[type=file]").set_input_files(str(photo))
        expect(card.locator(".thumbs img")).to_have_count(2)
        expect(tool).to_have_class(re.compile(r"\bhas\b"))  # the card says it has photos
        expect(tool).to_contain_text("Add a photo (2 added)")
        card.locator(".thumbs figure").last.get_by_role("button", name="Remove photo").tap()
        expect(card.locator(".thumbs img")).to_have_count(1)
        expect(tool).to_contain_text("Add a photo (1 added)")

        page.reload()
        page.locator("#visit[data-ready]").wait_for(state="attached")
        go_to(page, "greeting")
        card = page.locator("#i-stopped_task")
        expect(card.locator(".thumbs img")).to_have_count(1)
        expect(card.locator("[data-photo-tool]")).to_have_class(re.compile(r"\bhas\b"))
        assert card.locator("input[value=no]").is_checked()
        review(page)
        shots = page.locator("[data-review-photos] img")
        expect(shots).to_have_count(2)  # in the checklist's order: beside the answer, then the receipt
        expect(shots.first).to_have_attribute("alt", re.compile("^Photo for: Did staff stop"))
        expect(shots.last).to_have_attribute("alt", re.compile("^Photo for: Photo of the receipt"))
        submit(page)
        page.wait_for_url("**/outbox")
        expect(page.locator("[data-outbox-count]")).to_have_text("1")
        assert stored_audits(server.settings) == []

        server.start()
        phone.set_offline(False)
        page.goto(server.base + "/")
        wait_until_sent(page)
        [audit] = stored_audits(server.settings)
        assert len(audit["answers"]) == ITEMS and audit["answers"]["stopped_task"] == "no"
        assert sorted(audit["photos"]) == [("receipt_photo", "image/jpeg"), ("stopped_task", "image/jpeg")]

        page.goto(f"{server.base}/audits/{audit['id']}")
        row = page.locator("tr", has_text="Did staff stop what they were doing")
        beside = row.locator("img.thumb")
        expect(beside).to_have_count(1)
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=beside.element_handle())
        expect(row).to_contain_text("No")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        phone.close()


def test_a_sent_back_audit_brings_back_the_photo_beside_an_answer_and_removing_it_takes_it_out(
    server: Server, playwright: Playwright, tmp_path: Path
):
    phone, desk = with_review_required(server, playwright, tmp_path)
    try:
        page = phone.new_page()
        sign_in_at(page, server.base)
        page.goto(server.base + visit_links(page)[0])
        photo = a_photo(tmp_path)
        fill(page, photo)
        go_to(page, "greeting")
        page.locator("#i-stopped_task [data-photo-tool] input[type=file]").set_input_files(str(photo))
        page.locator("#i-stopped_task .thumbs img").wait_for()
        submit(page)
        page.wait_for_url("**/outbox")
        wait_until_sent(page)
        [audit] = stored_audits(server.settings)
        assert sorted(audit["photos"]) == [("receipt_photo", "image/jpeg"), ("stopped_task", "image/jpeg")]

        manager = desk.new_page()
        sign_in_at(manager, server.base, "north@example.com", f"/audits/{audit['id']}")
        manager.fill("textarea[name=note]", "The photo beside 'stopped' shows another store.")
        manager.get_by_role("button", name="Send back").click()
        expect(manager.locator(".review")).to_contain_text("Sent back to the shopper")

        page.goto(server.base + "/")
        page.locator("#needs ~ article a").first.tap()
        page.locator("#visit[data-ready]").wait_for(state="attached")
        go_to(page, "greeting")
        card = page.locator("#i-stopped_task")
        expect(card.locator(".thumbs img")).to_have_count(1)
        expect(card.locator("[data-photo-tool]")).to_have_class(re.compile(r"\bhas\b"))
        card.get_by_role("button", name="Remove photo").tap()
        expect(card.locator(".thumbs img")).to_have_count(0)
        expect(card.locator("[data-photo-tool]")).not_to_have_class(re.compile(r"\bhas\b"))
        submit(page)
        page.wait_for_url("**/outbox")
        wait_until_sent(page)
        [audit] = stored_audits(server.settings)
        assert audit["revision"] == 2
        assert audit["photos"] == [("receipt_photo", "image/jpeg")]  # the removed photo left the audit
        manager.goto(f"{server.base}/audits/{audit['id']}")
        expect(manager.locator("tr", has_text="Did staff stop what they were doing").locator("img")).to_have_count(0)
    finally:
        phone.close()
        desk.close()
