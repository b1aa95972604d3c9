"""Checklist pages: an upload shows its mistakes item by item, a preview stores nothing, then publish."""

import re

from audit.settings import ROOT

BROKEN = """key = "mini"
title = "Mini"
[[sections]]
key = "greeting"
title = "Greeting"
[[sections.items]]
key = "smiled"
question = "Did they smile?"
guidance = "A real smile, not a grimace."
type = "yesno"
[[sections.items]]
key = "wait"
question = "Wait"
guidance = "How long before someone noticed you."
type = "scale"
points = 2
"""


def test_an_uploaded_checklist_shows_its_errors_item_by_item(client, org):
    response = client.post("/admin/checklists/preview", files={"file": ("mini.toml", BROKEN.encode(), "text/plain")})
    assert response.status_code == 422
    assert (
        "<strong>section &#39;greeting&#39;, item &#39;smiled&#39;</strong>: a yesno item needs points" in response.text
    )
    assert "item &#39;wait&#39;</strong>" in response.text


def test_a_valid_checklist_is_previewed_as_a_form_then_published(client, org):
    fixed = BROKEN.replace('type = "yesno"', 'type = "yesno"\npoints = 1').replace("points = 2", "points = 2\nmax = 5")
    response = client.post("/admin/checklists/preview", files={"file": ("mini.toml", fixed.encode(), "text/plain")})
    assert response.status_code == 200, response.text
    assert "This is a new checklist" in response.text and "Did they smile?" in response.text
    assert "/admin/checklists/mini" not in client.get("/admin/checklists").text  # not stored by a preview
    source = re.search(r'<textarea name="source" hidden>(.*?)</textarea>', response.text, re.S).group(1)
    published = client.post("/admin/checklists/publish", data={"source": source.replace("&#34;", '"'), "filename": "m"})
    assert published.status_code == 303 and published.headers["location"].startswith("/admin/checklists/mini?")
    assert "current" in client.get(published.headers["location"]).text


def test_an_unchanged_shipped_checklist_says_publishing_changes_nothing(client, org):
    data = (ROOT / "checklists" / "quick-visit.toml").read_bytes()
    response = client.post("/admin/checklists/preview", files={"file": ("q.toml", data, "text/plain")})
    assert "exactly the current version" in response.text


CUSTOMER = (ROOT / "checklists" / "customer-service.toml").read_text()


def changed_customer_service() -> str:
    """The shipped checklist with one change of every kind a version page lists."""
    text = CUSTOMER.replace(
        'question = "Did staff offer help in words?"', 'question = "Did staff offer help in words?!"'
    )
    text = text.replace("{ upto = 60, points = 1.5 },", "{ upto = 90, points = 1.5 },", 1)
    text = text.replace('title = "Eye contact and body language"', 'title = "Eye contact"')
    start = text.index('[[sections.items]]\nkey = "recognised_returning"')
    text = text[:start] + text[text.index("[[sections.items]]", start + 10) :]  # removed
    start = text.index('[[sections]]\nkey = "knowledge')
    end = text.index("[[sections]]", start + 10)
    return (
        text[:start]
        + text[end:]  # a section removed (with its items)
        + '\n[[sections]]\nkey = "farewell"\ntitle = "Farewell"\n[[sections.items]]\nkey = "waved"\n'
        'question = "Did staff wave goodbye?"\nguidance = "Any wave."\ntype = "yesno"\npoints = 2\ncritical = true\n'
    )


def publish(client, text: str) -> str:
    response = client.post("/admin/checklists/publish", data={"source": text, "filename": "cs.toml"})
    assert response.status_code == 303, response.text
    return response.headers["location"]


def test_versions_are_named_by_number_and_date_and_the_page_lists_what_changed(client, org, db, settings):
    from zoneinfo import ZoneInfo

    from audit import formats
    from audit.services import checklists

    location = publish(client, changed_customer_service())
    first, second = checklists.list_versions(db, "customer-service")
    day = formats.day(second.published_at, ZoneInfo(settings.timezone))
    page = client.get(location).text
    assert f"v2 · {day} is published and current." in page
    assert f">v1 · {day}</a>" in page and f">v2 · {day}</a>" in page
    assert f">{second.version}</a>" not in page  # the hash is never the name
    assert (
        "1 item added, 5 removed, 1 reworded, 1 re-weighted, 1 section added, 1 section removed, 1 section renamed"
        in page
    )
    unbroken = day.replace(" ", "\u00a0")  # the index keeps the date on one line
    assert f">v2 · {unbroken}</a>" in client.get("/admin/checklists").text

    version = client.get(f"/admin/checklists/customer-service/versions/{second.version}").text
    assert f"What changed from v1 · {day}" in version and f'id <span class="code">{second.version}</span>' in version
    for heading in ("Items added", "Items removed", "Items reworded", "Items re-weighted"):
        assert f"<h3>{heading} " in version, heading
    for heading in ("Sections added", "Sections removed", "Sections renamed"):
        assert f"<h3>{heading} " in version, heading
    assert "Did staff wave goodbye?" in version and "2 points · critical" in version
    assert "Did staff recognise you as a returning customer?" in version  # removed
    assert "question was: Did staff offer help in words?" in version
    assert "bands were up to 30 seconds: 3, up to 60: 1.5, above 60: 0; now up to 30 seconds: 3, up to 90" in version
    assert "Eye contact and body language → <strong>Eye contact</strong>" in version
    assert "The first version" in client.get(f"/admin/checklists/customer-service/versions/{first.version}").text
    assert client.get(f"/admin/checklists/quick-visit/versions/{second.version}").status_code == 404


def test_the_preview_shows_every_items_points_and_rules(client, org):
    response = client.post(
        "/admin/checklists/preview", files={"file": ("cs.toml", changed_customer_service().encode(), "text/plain")}
    )
    page = response.text
    assert response.status_code == 200 and "publishing makes it v2" in page
    assert "What changes from the current version, v1 · " in page and "<h3>Items added " in page
    row = page[page.index("<tr><td>Were you treated with courtesy and respect throughout") :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">3<br>' in row and '<span class="tag crit">critical</span>' in row
    row = page[page.index("<tr><td>Once they could know your name, did staff use it?") :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">3<br>' in row and '<span class="tag">N/A allowed</span>' in row
    assert '<span class="tag">required</span>' in row
    assert "Number (seconds): up to 30 seconds: 3, up to 90: 1.5, above 90: 0; allowed 0–3600" in page
    assert "Choice: Resolved on the spot 3 · " in page  # each option's points
    assert "Scale 1–5 (" in page and "points × answer ÷ 5" in page
    assert "Text, not scored" in page and '<span class="hint">optional</span>' in page


def test_the_audit_page_names_its_checklist_version(client, shopper_client, org, db, settings):
    from zoneinfo import ZoneInfo

    from audit import formats
    from audit.services import checklists
    from tests import actors
    from tests.services.admin_helpers import submit

    body = actors.body(org.quick, store="STH-001")
    submit(db, body, org.other_shopper)
    publish(client, (ROOT / "checklists" / "quick-visit.toml").read_text().replace("Quick visit", "Quick visit 2", 1))
    first = checklists.list_versions(db, "quick-visit")[0]
    label = f"v1 · {formats.day(first.published_at, ZoneInfo(settings.timezone))}"
    page = client.get(f"/audits/{body['id']}").text
    assert f'Quick visit, <span title="version id {org.quick.version}">{label}</span>' in page


def test_the_guide_to_checklist_files_is_a_page_the_upload_form_links_to(client, org):
    assert 'href="/admin/checklists/help"' in client.get("/admin/checklists").text
    page = client.get("/admin/checklists/help").text
    assert '<h2 id="scoring">Scoring</h2>' in page and "<code>allow_na</code>" in page
    assert '<a href="#limits">Limits</a>' in page and "<table>" in page


def test_the_guide_has_its_own_route_and_no_checklist_may_take_its_key(client, org, db):
    from audit.app import create_app
    from audit.services import checklists

    routes = [getattr(r, "path", "") for r in create_app(db.settings).routes]
    assert routes.index("/admin/checklists/help") < routes.index("/admin/checklists/{key}")
    assert client.get("/admin/checklists/help").status_code == 200
    assert client.get("/admin/checklists/no-such-list").status_code == 404
    keyed_help = (
        (ROOT / "checklists" / "quick-visit.toml").read_text().replace('key = "quick-visit"', 'key = "help"', 1)
    )
    assert 'key = "help"' in keyed_help
    files = {"file": ("help.toml", keyed_help.encode(), "text/plain")}
    response = client.post("/admin/checklists/preview", files=files)
    assert response.status_code == 422 and "is taken by a page of its own" in response.text
    response = client.post("/admin/checklists/publish", data={"source": keyed_help, "filename": "help.toml"})
    assert response.status_code == 422 and "is taken by a page of its own" in response.text
    assert "help" not in [c.key for c in checklists.overview(db)]
