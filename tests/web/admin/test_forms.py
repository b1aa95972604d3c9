"""What every admin form does the same way: the CSRF token, and messages about what was asked."""


def test_every_admin_form_needs_the_csrf_token(client, org):
    del client.headers["X-CSRF-Token"]
    for path in ("/admin/stores", "/admin/people", "/admin/assignments", "/admin/stores/NTH-001/archive"):
        assert client.post(path, data={"code": "X", "name": "Y", "region": "NTH"}).status_code == 403, path


def test_upload_and_store_form_messages_speak_of_what_was_asked(client, org):
    picture = b"\x89PNG\r\n\x1a\n\xff\xfe" + bytes(range(256))
    response = client.post("/admin/checklists/preview", files={"file": ("logo.png", picture, "image/png")})
    assert "choose a TOML checklist file saved as UTF-8" in response.text
    response = client.post("/admin/stores", data={"code": "NTH-030", "name": "Ripon", "region": ""})
    assert response.status_code == 422 and "choose the store&#39;s region" in response.text
