"""The activity page: who did what, filtered, and dates that cannot filter said beside them."""


def test_the_activity_page_shows_who_did_what_and_filters(client, org):
    client.post("/admin/stores/NTH-002/archive", data={"confirmed": "yes"})
    page = client.get("/admin/activity?category=change").text
    assert "store archived" in page and "store NTH-002" in page and "owner@example.com" in page
    assert '<tr class="security">' not in page
    assert '<tr class="security">' in client.get("/admin/activity?category=security").text
    assert "store NTH-002" not in client.get("/admin/activity?q=brighton").text


def test_activity_dates_that_cannot_filter_are_said_beside_the_dates(client, org):
    response = client.get("/admin/activity?from=2026-12-01&to=2026-01-01")
    assert response.status_code == 422 and "the last day is before the first" in response.text
    assert 'value="2026-12-01" aria-invalid="true"' in response.text
    assert "region_created" in response.text or "region created" in response.text  # everything shown meanwhile
    response = client.get("/admin/activity?from=bad")
    assert response.status_code == 422 and "dates must look like 2026-11-23 (from left out)" in response.text
    assert client.get("/admin/activity?from=2026-01-01").status_code == 200


def test_what_managers_do_to_audits_reaches_the_owner_s_trail(client, client_for, org):
    from tests import actors

    shopper, manager = client_for("shopper@example.com"), client_for("north@example.com")
    body = actors.body(org.main)
    assert shopper.post("/api/audits", json=body).status_code == 201
    form = {"csrf_token": manager.headers["X-CSRF-Token"], "reason": "visited on a closing day"}
    assert manager.post(f"/audits/{body['id']}/exclude", data=form).status_code == 303
    assert manager.post(f"/audits/{body['id']}/restore", data={**form, "reason": "it was open"}).status_code == 303
    page = client.get("/admin/activity?category=audit").text
    assert page.count('<tr class="audit">') == 2 and '<tr class="change">' not in page
    assert "excluded" in page and "restored" in page and "visited on a closing day" in page
    assert f"NTH-001 · audit {body['id'][:8]}" in page and "north@example.com" in page
    assert "north@example.com" in client.get("/admin/activity").text  # in the whole trail too
    filtered = client.get("/admin/activity?kind=excluded&actor=north@example.com").text
    assert filtered.count('<tr class="audit">') == 1
