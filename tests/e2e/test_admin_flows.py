"""The owners' acceptance flows of issue 7, clicked through in Chromium."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Browser, Page, expect

from audit.services import audits, checklists
from audit.services.company import organisation
from audit.services.planning import assignments
from audit.settings import ROOT
from tests import actors
from tests.e2e.conftest import Live, sign_in

STORES = "code,name,region,address,timezone\nNTH-010,Harrogate,NTH,1 Parade,Europe/London\nSTH-010,Hove,STH,,\n"


def test_a_store_csv_with_one_bad_row_imports_nothing_then_the_fixed_one_imports(page: Page, live: Live):
    sign_in(page, live, "owner@example.com")
    page.goto(live.url("/admin/stores/import"))
    bad = STORES + "STH-011,Lewes,XXX,,\n"
    page.set_input_files("#file", files=[{"name": "stores.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.get_by_role("button", name="Import").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported")
    expect(alert).to_contain_text("Line 4: there is no region XXX")
    assert [s.code for s in organisation.stores(live.db)] == ["NTH-001", "NTH-002", "STH-001"]
    # the file is shown in the text box: fix the line there and import again
    page.fill("#csv", page.input_value("#csv").replace("XXX", "STH"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("3 new, 0 updated, 0 unchanged")
    assert len(organisation.stores(live.db)) == 6


def test_an_invited_shopper_signs_in_through_the_link(page: Page, live: Live, browser: Browser):
    sign_in(page, live, "owner@example.com")
    page.goto(live.url("/admin/people/new?role=shopper"))
    page.fill("#email", "nel@example.com")
    page.fill("#name", "Nel")
    page.get_by_role("button", name="Create and get the link").click()
    link = page.input_value("#link")
    assert link.startswith(live.url("/invite/"))
    newcomer = browser.new_context()
    try:
        shopper = newcomer.new_page()
        shopper.goto(link)
        expect(shopper.get_by_role("heading", level=1)).to_contain_text("Welcome, Nel")
        shopper.fill("#password", "wide-open-skies-42")
        shopper.fill("#password_again", "wide-open-skies-42")
        shopper.get_by_role("button", name="Save and sign in").click()
        expect(shopper.get_by_role("heading", name="My visits")).to_be_visible()
        shopper.goto(link)
        expect(shopper.locator("body")).to_contain_text("expired or was used already")
    finally:
        newcomer.close()
    page.goto(live.url("/admin/people?role=shopper"))
    expect(page.locator("tr", has_text="nel@example.com")).to_contain_text("active")


def test_publishing_a_new_checklist_version_leaves_old_audits_on_theirs(page: Page, live: Live):
    submitter = audits.Submitter(live.db)
    try:
        body = actors.body(live.org.quick, store="STH-001")
        audits.submit(live.db, submitter, audits.Submission.model_validate(body), live.org.other_shopper)
    finally:
        submitter.close()
    changed = (ROOT / "checklists" / "quick-visit.toml").read_text().replace("Quick visit", "Quick visit 2", 1)
    sign_in(page, live, "owner@example.com")
    page.goto(live.url("/admin/checklists"))
    page.set_input_files("#file", files=[{"name": "quick.toml", "mimeType": "text/plain", "buffer": changed.encode()}])
    page.get_by_role("button", name="Check and preview").click()
    expect(page.locator(".publish")).to_contain_text("new current version")
    expect(page.locator("form.preview")).to_be_visible()
    page.get_by_role("button", name="Publish this version").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("current")
    expect(rows.nth(0).locator("td").last).to_have_text("0")
    expect(rows.nth(0)).to_contain_text("v2 · ")
    expect(rows.nth(0)).to_contain_text("title was “Quick visit”")  # what changed
    expect(rows.nth(1)).to_contain_text("v1 · ")  # versions by name and date, not by their hash
    expect(rows.nth(1).locator("td").last).to_have_text("1")
    assert checklists.current(live.db, "quick-visit").version != live.org.quick.version


def test_bulk_planning_ten_stores_with_the_rotation_rule_refusing_one(page: Page, live: Live):
    organisation.add_region(live.db, "EST", "East")
    for n in range(1, 11):
        organisation.add_store(live.db, f"EST-{n:03d}", f"East {n}", "EST")
    first = date.today() + timedelta(days=3)
    earlier = assignments.Planned("other@example.com", "EST-004", "customer-service", first - timedelta(days=10), first)
    assignments.plan(live.db, [earlier], 30)
    sign_in(page, live, "owner@example.com")
    page.goto(live.url("/admin/assignments/new"))
    page.select_option("#shopper", "other@example.com")
    page.fill("#from", first.isoformat())
    page.fill("#to", (first + timedelta(days=6)).isoformat())
    page.click("button[data-select-all=EST]")
    expect(page.locator("[data-count]")).to_have_text("(10 chosen)")
    page.get_by_role("button", name="Plan the visits").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was planned")
    refusal = page.locator("#store-EST-004-error")
    expect(refusal).to_contain_text("the rotation rule keeps 30 days")
    assert len(assignments.listing(live.db, "other@example.com")) == 2  # the org's visit and the earlier one
    expect(page.locator("input[value=EST-001]")).to_be_checked()  # the choices are kept
    page.uncheck("input[value=EST-004]")
    page.get_by_role("button", name="Plan the visits").click()
    expect(page.get_by_role("status")).to_contain_text("9 visits planned")
    assert len(assignments.listing(live.db, "other@example.com")) == 11
