"""The coaching section read back from the real app: the store report's PDF and page, and the
store's copy of an audit (its PDF, and its page as a store's manager reads it). Each names
the store's weak behaviours with the checklist's guidance and the store's and region's rates,
and the store's copy never names the shopper. The figures themselves are worked out by hand
in tests/services/scores/test_coaching.py."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from audit.services.people import accounts
from audit.storage import models
from tests import actors, pdfs

NOVEMBER = "from=2026-11-01&to=2026-11-30"
SHOPPER = ("shopper@example.com", "Sam (")
STAFF_NOTE = "Anna, red cardigan"


def day(d: int) -> datetime:
    return datetime(2026, 11, d, 12, tzinfo=UTC)


@pytest.fixture
def leeds(org, put_audit) -> dict[str, str]:
    """Leeds misses the warm greeting twice in three visits (York: never in two); the last
    visit fails the critical item, so it opens an action plan that nothing has verified yet."""
    seen = {"staff_description": STAFF_NOTE}  # identifies staff: never on the store's copy
    put_audit("NTH-001", day(4), **seen)
    first = put_audit("NTH-001", day(5), warm_greeting="no", offered_help="no", **seen)
    second = put_audit("NTH-001", day(6), warm_greeting="no", respectful_throughout="no", **seen)
    put_audit("NTH-002", day(3), offered_help="no", **seen)
    put_audit("NTH-002", day(4), **seen)
    return {"first": first, "critical": second}


@pytest.fixture
def leeds_manager(db, org) -> str:
    """Leeds's own manager (the store role)."""
    accounts.create_user(db, "leeds@example.com", "store", "Lee", password=actors.PASSWORD, stores=("NTH-001",))
    return "leeds@example.com"


def guidance_start(org, key: str) -> str:
    """The guidance's first words, as pdftotext and HTML both keep them."""
    return " ".join(org.main.item(key).guidance.split()[:8])


def test_the_store_report_pdf_coaches_from_the_guidance_with_the_regions_rate(org, leeds, client_for, tmp_path):
    response = client_for("north@example.com").get(f"/stores/NTH-001/report.pdf?{NOVEMBER}")
    assert response.status_code == 200
    text = pdfs.text(response.content, tmp_path)
    coaching = text[text.index("Coaching: what to work on") : text.index("Trend")]
    greeting = org.main.item("warm_greeting")
    assert greeting.question in coaching and guidance_start(org, "warm_greeting") in coaching
    assert "THIS STORE NORTH" in coaching  # the column headings: the region by name
    # Leeds 2 of 3 (67 %), the North 2 of 5 (40 %); offered help 1 of 3 here, 2 of 5 there
    # (pdftotext reads the rates' line, then the guidance, then the counts' line)
    # the region's figure is a rate only: its counts would tell a store how the others did
    assert re.search(re.escape(greeting.question) + r" 67 % 40 % [^%]*? 2 of 3\b", coaching)
    offered = org.main.item("offered_help").question
    row = coaching[coaching.index(offered) :]  # the last row: pdftotext may read its region cell after the footer
    assert re.search(re.escape(offered) + r" 33 % [^%]*? 1 of 3\b", row) and "40 %" in row
    assert "of 5" not in coaching
    # the critical failure, with its guidance too
    assert org.main.item("respectful_throughout").question in coaching
    pdfs.render_every_page(response.content, tmp_path)


def test_the_store_report_pdf_shows_the_action_plan_figures(db, org, leeds, client_for, tmp_path):
    manager = client_for("north@example.com")
    text = pdfs.text(manager.get(f"/stores/NTH-001/report.pdf?{NOVEMBER}").content, tmp_path)
    (plan,) = manager.get("/api/stores/NTH-001/plans").json()["plans"]
    assert {i["key"] for i in plan["items"]} == {"warm_greeting", "respectful_throughout"}
    # (pdftotext reads the labels' line, then the figures'); the warm greeting failed on the 5th and the 6th
    assert "ACTION PLAN BEHAVIOURS IN IT VERIFIED FIXED STILL FAILING REPEAT FAILURES Open 2 0 0 1" in text
    assert "OVERDUE" not in text
    with db.write_session() as session:  # the plan was due yesterday and nobody submitted it
        session.execute(sa.update(models.ActionPlan).values(respond_by=db.settings.today() - timedelta(days=1)))
    text = pdfs.text(manager.get(f"/stores/NTH-001/report.pdf?{NOVEMBER}").content, tmp_path)
    assert "REPEAT FAILURES Open 2 0 0 1 OVERDUE" in text  # the flag under the state


@pytest.mark.parametrize("who", ["north@example.com", "leeds@example.com"], ids=["region", "store"])
def test_the_store_page_carries_the_same_coaching(org, leeds, leeds_manager, client_for, who):
    page = html.unescape(client_for(who).get(f"/stores/NTH-001?{NOVEMBER}").text)
    section = page[page.index('<section class="coaching"') :]
    section = section[: section.index("</section>")]
    assert org.main.item("warm_greeting").question in section and org.main.item("warm_greeting").guidance in section
    assert re.search(r"67\s%</strong><br><small>2 of 3</small>.*?40\s%</strong></td>", section, re.S)
    assert "2 of 5" not in section
    assert 'data-label="North"' in section  # a phone shows the region's name beside its rate


def test_the_stores_copy_of_an_audit_coaches_and_never_names_the_shopper(db, org, leeds, client_for, tmp_path):
    manager = client_for("north@example.com")
    response = manager.get(f"/audits/{leeds['first']}.pdf?for=store")
    text = pdfs.text(response.content, tmp_path)
    coaching = text[text.index("Coaching: what this visit asks of the store") : text.index("Sections")]
    assert "90 days to 5 Nov 2026" in coaching and "(2 audits)" in coaching  # Leeds on the 4th and the 5th
    greeting = org.main.item("warm_greeting").question
    assert re.search(re.escape(greeting) + r" 50 % 25 % [^%]*? 1 of 2\b", coaching) and "1 of 4" not in coaching
    for key in ("warm_greeting", "offered_help"):
        assert org.main.item(key).question in coaching and guidance_start(org, key) in coaching
    assert org.main.item("small_talk").question not in coaching  # not missed on this visit
    for secret in (*SHOPPER, STAFF_NOTE):
        assert secret not in text, secret
    staff_copy = pdfs.text(manager.get(f"/audits/{leeds['first']}.pdf").content, tmp_path)
    assert "Coaching" not in staff_copy and "shopper@example.com" in staff_copy


def test_a_store_manager_reads_the_coaching_on_the_audit_page_and_its_pdf(
    org, leeds, leeds_manager, client_for, tmp_path
):
    store = client_for(leeds_manager)
    page = html.unescape(store.get(f"/audits/{leeds['critical']}").text)
    assert 'class="coaching"' in page and org.main.item("respectful_throughout").guidance in page
    section = page[page.index('<section class="coaching"') :]
    # the critical item comes first, then the warm greeting: Leeds 2 of 3 by the 6th, the North 2 of 5
    critical, greeting = (org.main.item(k).question for k in ("respectful_throughout", "warm_greeting"))
    assert section.index(critical) < section.index(greeting)
    assert re.search(re.escape(greeting) + r".*?67\s%</strong><br><small>2 of 3</small>.*?40\s%", section, re.S)
    pdf = pdfs.text(store.get(f"/audits/{leeds['critical']}.pdf").content, tmp_path)
    assert "copy for the store" in pdf.lower() and "Coaching: what this visit asks of the store" in pdf
    for secret in (*SHOPPER, STAFF_NOTE):
        assert secret not in page and secret not in pdf, secret
