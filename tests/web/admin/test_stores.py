"""Regions and stores pages: forms keep what was typed and show errors beside fields, the CSV
import is all or nothing, archiving asks first."""

import re

from audit.services.company import organisation

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
