"""The action plan page in Chromium at a phone's and a laptop's size: after a weak audit the
regional manager (the store has no manager of its own) opens the store's plan from the store
page, is refused a submission before every behaviour is answered, writes what will change,
who and by when for each failed behaviour and submits the plan; the page is never wider than
the window and axe-core finds no serious or critical problem in any of its states."""

from __future__ import annotations

from datetime import timedelta

import httpx2
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from audit.storage import models
from tests import actors
from tests.e2e.conftest import Live, sign_in
from tests.e2e.test_accessibility import AXE, violations

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}
FAILED = ("warm_greeting", "used_customer_name", "respectful_throughout")  # the last one critical


def weak_audit(live: Live) -> None:
    """The shopper's audit of NTH-001 through the server's API: three behaviours failed, one of
    them critical, so it opens the store's plan."""
    answers = actors.answers_for(live.org.main, **{key: "no" for key in FAILED})
    with httpx2.Client(base_url=live.base) as shopper:
        actors.sign_in(shopper, "shopper@example.com")
        response = shopper.post("/api/audits", json=actors.body(live.org.main, answers=answers))
        assert response.status_code == 201, response.text


def overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def checked(page: Page, state: str) -> None:
    """The page as it stands: no wider than the window, nothing serious for axe."""
    assert overflow(page) <= 0, f"the plan page ({state}) is {overflow(page)} px wider than the window"
    assert violations(page) == [], state


def plan_state(live: Live) -> tuple[str, list[tuple[str, str, str, str]]]:
    with live.db.session() as session:
        plan = session.scalars(sa.select(models.ActionPlan)).one()
        items = session.execute(
            sa.select(models.PlanItem.item_key, models.PlanItem.action, models.PlanItem.owner, models.PlanItem.due_on)
            .where(models.PlanItem.plan_id == plan.id)
            .order_by(models.PlanItem.item_key)
        ).all()
        return plan.state, [(k, a, o, d.isoformat() if d else "") for k, a, o, d in items]


@pytest.mark.parametrize("size", SIZES)
def test_a_manager_answers_and_submits_the_plan_after_a_weak_audit(live: Live, browser, size: str):
    assert AXE.is_file(), f"axe-core is installed by scripts/test; not found at {AXE}"
    weak_audit(live)
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, live, "north@example.com")
        page.goto(live.url("/stores/NTH-001"))
        page.locator('a[href="/stores/NTH-001/plan"]').first.click()
        page.wait_for_url(live.url("/stores/NTH-001/plan"))
        expect(page.locator("h1")).to_contain_text("Action plan · Leeds")
        cards = page.locator(".plan-items > li")
        expect(cards).to_have_count(len(FAILED))
        questions = {live.org.main.item(key).question for key in FAILED}
        assert set(cards.locator("h2").all_inner_texts()) == questions
        expect(page.locator(".notice")).to_contain_text("3 behaviours still need what will change")
        checked(page, "open, nothing answered")

        # submitting too early is refused with a clear message, and changes nothing
        page.get_by_role("button", name="Submit the plan").click()
        expect(page.get_by_role("alert")).to_contain_text("still need what will change")
        assert plan_state(live)[0] == "open"
        checked(page, "refused submission")

        page.goto(live.url("/stores/NTH-001/plan"))
        due = (live.db.settings.today() + timedelta(days=14)).isoformat()
        for n in range(len(FAILED)):
            card = page.locator(".plan-items > li").nth(n)
            card.get_by_label("What will change").fill(f"Coaching session {n + 1} at the morning huddle")
            card.get_by_label("Who does it").fill("Nia, store lead")
            card.get_by_label("By when").fill(due)
            card.get_by_role("button", name="Save this behaviour").click()
            page.wait_for_load_state("load")
            expect(page.locator(".plan-items > li").nth(n).get_by_role("button")).to_have_text("Save changes")
        expect(page.locator(".notice")).to_have_count(0)
        checked(page, "open, every behaviour answered")

        page.get_by_role("button", name="Submit the plan").click()
        expect(page.locator(".summary")).to_contain_text("Submitted, waiting for a decision")
        expect(page.locator(".plan-items .plan-answer")).to_have_count(len(FAILED))
        expect(page.get_by_role("button", name="Accept the plan")).to_be_visible()
        checked(page, "submitted")
        state, items = plan_state(live)
        assert state == "submitted"
        assert sorted(k for k, *_ in items) == sorted(FAILED)
        assert {(o, d) for _, _, o, d in items} == {("Nia, store lead", due)}
        assert sorted(a for _, a, _, _ in items) == [f"Coaching session {n} at the morning huddle" for n in (1, 2, 3)]
    finally:
        context.close()
