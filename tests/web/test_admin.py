"""The owners' pages: forms keep what was typed and show errors beside fields, nothing half-saves,
destructive actions ask first, and links let people choose their own password."""

import re
import smtplib
from datetime import date
from typing import ClassVar

import pytest
from starlette.testclient import TestClient

from audit.services.company import organisation
from audit.services.people import accounts
from audit.services.planning import assignments
from audit.settings import ROOT, Smtp
from tests import actors

GOOD_CSV = "code,name,region,address,timezone\nNTH-010,Harrogate,NTH,1 Parade,Europe/London\nSTH-010,Hove,STH,,\n"


def test_a_bad_store_form_keeps_what_was_typed_and_shows_each_error_beside_its_field(client, org):
    data = {"code": "nth-020", "name": "Ripon", "region": "", "address": "3 Market Place", "timezone": "Mars/Base"}
    response = client.post("/admin/stores", data=data)
    assert response.status_code == 422
    page = response.text
    assert 'value="NTH-020"' in page and 'value="3 Market Place"' in page and 'value="Mars/Base"' in page
    assert re.search(r'id="timezone"[^>]*aria-invalid="true"', page, re.S)
    assert 'id="timezone-error"' in page and 'id="region-error"' in page
    response = client.post("/admin/stores", data={**data, "region": "NTH", "timezone": "Europe/London"})
    assert response.status_code == 303
    assert organisation.store(client.app.state.db, "NTH-020").timezone == "Europe/London"


def test_an_existing_code_is_refused_beside_the_code(client, org):
    response = client.post("/admin/stores", data={"code": "NTH-001", "name": "Again", "region": "NTH"})
    assert response.status_code == 422 and 'id="code-error"' in response.text and "exists already" in response.text


def test_every_admin_form_needs_the_csrf_token(client, org):
    del client.headers["X-CSRF-Token"]
    for path in ("/admin/stores", "/admin/people", "/admin/assignments", "/admin/stores/NTH-001/archive"):
        assert client.post(path, data={"code": "X", "name": "Y", "region": "NTH"}).status_code == 403, path


def test_a_store_csv_with_one_bad_row_imports_nothing_then_the_fixed_file_imports(client, org):
    bad = GOOD_CSV + "STH-011,,STH,,\n"
    response = client.post("/admin/stores/import", files={"file": ("stores.csv", bad.encode(), "text/csv")})
    assert response.status_code == 422
    assert "Nothing was imported" in response.text and "<strong>Line 4</strong>: the name is empty" in response.text
    assert "STH-011,,STH" in response.text  # the file is shown to fix in place
    assert len(organisation.stores(client.app.state.db)) == 3
    response = client.post("/admin/stores/import", data={"csv": GOOD_CSV})
    assert response.status_code == 200 and "2 new, 0 updated, 0 unchanged" in response.text
    response = client.post("/admin/stores/import", files={"file": ("stores.csv", GOOD_CSV.encode(), "text/csv")})
    assert "0 new, 0 updated, 2 unchanged" in response.text


def test_a_region_with_open_stores_is_not_archived_and_the_page_says_why(client, org):
    response = client.post("/admin/regions/STH/archive", data={"confirmed": "yes"})
    assert response.status_code == 409
    assert "region STH still has 1 open store(s) (STH-001)" in response.text and "Regions and stores" in response.text
    assert not organisation.region(client.app.state.db, "STH").archived


def test_an_emptied_region_is_archived_after_a_confirmation_and_brought_back(client, org):
    db = client.app.state.db
    assert client.post("/admin/stores/STH-001/archive", data={"confirmed": "yes"}).status_code == 303
    page = client.get("/admin/stores").text
    assert 'action="/admin/regions/STH/archive"' in page and 'action="/admin/regions/NTH/archive"' not in page
    first = client.post("/admin/regions/STH/archive")
    assert first.status_code == 200 and "Archive South?" in first.text and "1 archived store" in first.text
    assert not organisation.region(db, "STH").archived
    assert client.post("/admin/regions/STH/archive", data={"confirmed": "yes"}).status_code == 303
    page = client.get("/admin/stores").text
    assert 'action="/admin/regions/STH/restore"' in page
    assert '<option value="STH"' not in client.get("/admin/stores/new").text
    assert 'value="STH"' not in client.get("/admin/people/new?role=manager").text
    response = client.post("/admin/stores", data={"code": "STH-009", "name": "Hove", "region": "STH"})
    assert response.status_code == 422 and "region STH is archived" in response.text
    assert client.post("/admin/regions/STH/restore").status_code == 303
    assert not organisation.region(db, "STH").archived
    assert '<option value="STH"' in client.get("/admin/stores/new").text


def test_archiving_a_store_asks_to_confirm_first(client, org):
    first = client.post("/admin/stores/NTH-002/archive")
    assert first.status_code == 200 and "Archive York?" in first.text and 'name="confirmed" value="yes"' in first.text
    assert not organisation.store(client.app.state.db, "NTH-002").archived
    assert client.post("/admin/stores/NTH-002/archive", data={"confirmed": "yes"}).status_code == 303
    assert organisation.store(client.app.state.db, "NTH-002").archived
    assert "NTH-002" not in client.get("/").text


def invite(client, email="new@example.com", role="shopper", **extra):
    response = client.post("/admin/people", data={"email": email, "name": "Nel", "role": role, **extra})
    assert response.status_code == 200, response.text
    return re.search(r'value="(http://testserver/invite/[^"]+)"', response.text).group(1), response.text


def test_an_invited_shopper_chooses_their_password_through_the_link_and_is_signed_in(client, app, org):
    url, page = invite(client)
    assert 'type="password"' not in page  # the owner never sets or sees one
    with TestClient(app, follow_redirects=False) as newcomer:
        form = newcomer.get(url)
        assert form.status_code == 200 and "new@example.com" in form.text
        token = actors.csrf_of(form.text)
        differ = newcomer.post(url, data={"csrf_token": token, "password": "a-fine-passphrase", "password_again": "x"})
        assert differ.status_code == 422 and "the two passwords differ" in differ.text
        done = newcomer.post(
            url, data={"csrf_token": token, "password": "a-fine-passphrase", "password_again": "a-fine-passphrase"}
        )
        assert done.status_code == 303 and "My visits" in newcomer.get("/").text
        assert newcomer.get(url).status_code == 404  # once only


def test_a_manager_needs_a_region_and_the_form_keeps_the_choices(client, org):
    response = client.post("/admin/people", data={"email": "m@example.com", "name": "Mo", "role": "manager"})
    assert response.status_code == 422 and 'id="regions-error"' in response.text
    assert 'value="m@example.com"' in response.text and re.search(r'value="manager"\s+checked', response.text)
    invite(client, "m@example.com", "manager", regions=["STH"])
    person = next(p for p in accounts.list_users(client.app.state.db) if p.email == "m@example.com")
    assert person.regions == ("STH",) and not person.has_password


class FakeSMTP:
    sent: ClassVar[list] = []

    def __init__(self, host, port, timeout):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self, context):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


@pytest.fixture
def mailing_app(settings, monkeypatch):
    from audit.app import create_app

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    return create_app(settings.with_(smtp=Smtp("mail.test", 587, "starttls", "u", "p", "audit@example.com")))


def test_with_smtp_settings_the_link_is_also_mailed(mailing_app, org):
    with TestClient(mailing_app, follow_redirects=False) as client:
        actors.sign_in(client, "owner@example.com")
        url, page = invite(client)
    assert "The link was mailed to new@example.com" in page
    [message] = FakeSMTP.sent
    assert message["To"] == "new@example.com" and url in message.get_content()


def test_disabling_asks_first_and_an_owner_cannot_disable_themselves(client, org):
    assert "Disable shopper@example.com?" in client.post(f"/admin/people/{org.shopper}/disable").text
    assert client.post(f"/admin/people/{org.shopper}/disable", data={"confirmed": "yes"}).status_code == 303
    assert next(p for p in accounts.list_users(client.app.state.db) if p.id == org.shopper).disabled
    assert client.post(f"/admin/people/{org.owner}/disable", data={"confirmed": "yes"}).status_code == 422


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


def test_a_refused_store_is_marked_beside_it_and_the_choices_are_kept(client, org):
    db = client.app.state.db
    assignments.add(db, "shopper@example.com", "NTH-001", "customer-service", date(2099, 11, 1), date(2099, 11, 2))
    data = {"shopper": "shopper@example.com", "checklist": "customer-service", "from": "2099-11-20", "to": "2099-11-25"}
    response = client.post("/admin/assignments", data={**data, "stores": ["NTH-001", "STH-001"]})
    assert response.status_code == 422
    assert 'id="store-NTH-001-error"' in response.text and "rotation rule keeps 30 days" in response.text
    assert re.search(r'value="STH-001" data-region="STH"\s+checked', response.text)
    assert len(assignments.listing(db, "shopper@example.com")) == 3  # nothing planned
    assert client.post("/admin/assignments", data={**data, "stores": ["STH-001"]}).status_code == 303
    assert "Brighton" in client.get("/admin/assignments?shopper=shopper@example.com&status=upcoming").text


def test_a_visit_whose_window_has_passed_is_not_planned(client, org):
    data = {"shopper": "shopper@example.com", "checklist": "customer-service", "stores": ["STH-001"]}
    response = client.post("/admin/assignments", data={**data, "from": "2020-01-01", "to": "2020-01-05"})
    assert response.status_code == 422 and "the last day (2020-01-05) has passed" in response.text
    assert len(assignments.listing(client.app.state.db, "shopper@example.com")) == 2


def test_a_visit_csv_names_its_bad_lines(client, org):
    text = "shopper,store,checklist,from,to\nother@example.com,NTH-001,quick-visit,2099-12-01,2099-12-02\n"
    text += "north@example.com,NTH-002,quick-visit,2099-12-01,2099-12-02\n"
    response = client.post("/admin/assignments/import", data={"csv": text})
    assert response.status_code == 422 and "<strong>Line 3</strong>: north@example.com is a manager" in response.text
    response = client.post("/admin/assignments/import", data={"csv": text.rsplit("north", 1)[0]})
    assert response.status_code == 303


def test_cancelling_a_visit_asks_first(client, org):
    visit = assignments.listing(client.app.state.db, "other@example.com")[0]
    assert "Cancel this visit?" in client.post(f"/admin/assignments/{visit.id}/cancel").text
    assert client.post(f"/admin/assignments/{visit.id}/cancel", data={"confirmed": "yes"}).status_code == 303
    assert assignments.listing(client.app.state.db, "other@example.com") == []


def test_the_activity_page_shows_who_did_what_and_filters(client, org):
    client.post("/admin/stores/NTH-002/archive", data={"confirmed": "yes"})
    page = client.get("/admin/activity?category=change").text
    assert "store archived" in page and "store NTH-002" in page and "owner@example.com" in page
    assert '<tr class="security">' not in page
    assert '<tr class="security">' in client.get("/admin/activity?category=security").text
    assert "store NTH-002" not in client.get("/admin/activity?q=brighton").text


def test_upload_and_store_form_messages_speak_of_what_was_asked(client, org):
    picture = b"\x89PNG\r\n\x1a\n\xff\xfe" + bytes(range(256))
    response = client.post("/admin/checklists/preview", files={"file": ("logo.png", picture, "image/png")})
    assert "choose a TOML checklist file saved as UTF-8" in response.text
    response = client.post("/admin/stores", data={"code": "NTH-030", "name": "Ripon", "region": ""})
    assert response.status_code == 422 and "choose the store&#39;s region" in response.text


def test_a_person_form_with_nothing_filled_in_says_everything_missing_at_once(client, org):
    response = client.post("/admin/people", data={"email": "", "name": "", "role": "manager"})
    assert response.status_code == 422
    page = response.text
    assert 'id="email-error"' in page and 'id="name-error"' in page and "needs at least one region" in page
    assert "their link goes there" in page


def test_activity_dates_that_cannot_filter_are_said_beside_the_dates(client, org):
    response = client.get("/admin/activity?from=2026-12-01&to=2026-01-01")
    assert response.status_code == 422 and "the last day is before the first" in response.text
    assert 'value="2026-12-01" aria-invalid="true"' in response.text
    assert "region_created" in response.text or "region created" in response.text  # everything shown meanwhile
    response = client.get("/admin/activity?from=bad")
    assert response.status_code == 422 and "dates must look like 2026-11-23 (from left out)" in response.text
    assert client.get("/admin/activity?from=2026-01-01").status_code == 200
