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
