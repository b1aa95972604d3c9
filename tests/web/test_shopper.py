"""The shopper's app on the server side: photo uploads, audits tied to their visit,
"My visits", and what the service worker and the manifest are made of."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from PIL import Image

from audit.storage import models
from audit.web import assets
from tests import actors


def upload(client, data: bytes, photo_id: str | None = None):
    return client.put(f"/api/photos/{photo_id or uuid.uuid4()}", content=data)


def with_location() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0), 1: "N"}  # GPS
    exif[0x010F] = "PhoneMaker"
    return actors.picture(2400, 1800, "JPEG", exif=exif)


def test_a_photo_is_re_encoded_shrunk_and_stripped_of_its_metadata(shopper_client, db):
    response = upload(shopper_client, with_location())
    assert response.status_code == 201
    assert (response.json()["width"], response.json()["height"]) == (1600, 1200)
    with db.session() as session:
        photo = session.get(models.Photo, response.json()["id"])
        assert photo.content_type == "image/jpeg" and photo.audit_id is None
    with Image.open(io.BytesIO(photo.data)) as image:
        assert image.format == "JPEG" and image.size == (1600, 1200)
        assert not image.getexif() and "exif" not in image.info


def test_uploading_the_same_photo_again_changes_nothing(shopper_client, db):
    photo_id = str(uuid.uuid4())
    assert upload(shopper_client, actors.picture(), photo_id).status_code == 201
    assert upload(shopper_client, actors.picture(), photo_id).status_code == 200
    assert actors.count(db, models.Photo) == 1
    other = upload(shopper_client, actors.picture(50, 50), photo_id)
    assert other.status_code == 409 and "another picture" in other.json()["error"]


def test_png_and_webp_are_accepted_and_stored_as_jpeg(shopper_client):
    for kind in ("PNG", "WEBP"):
        assert upload(shopper_client, actors.picture(kind=kind)).status_code == 201


def test_anything_but_a_real_photo_is_refused_and_nothing_is_stored(shopper_client, db):
    gif = actors.picture(kind="GIF")
    truncated = actors.picture(400, 300, "JPEG")[:300]
    cases = {
        b"<html>not a picture</html>": "not a JPEG, PNG or WebP",
        gif: "GIF file is not accepted",
        truncated: "damaged or incomplete",
        b"": "empty",
    }
    for data, words in cases.items():
        response = upload(shopper_client, data)
        assert response.status_code == 422, words
        assert words in response.json()["errors"][0]["message"]
    assert upload(shopper_client, actors.picture(), "not-a-uuid").status_code == 422
    assert actors.count(db, models.Photo) == 0


def test_a_photo_over_the_size_limit_gets_413_with_the_limit_in_words(app, shopper_client, db):
    app.state.settings = app.state.settings.__class__(
        **{**app.state.settings.__dict__, "max_photo_bytes": 2048}
    )  # fmt: skip
    response = upload(shopper_client, actors.picture(300, 300, "PNG", compress_level=0))
    assert response.status_code == 413 and "larger than 2 KB" in response.json()["error"]
    assert actors.count(db, models.Photo) == 0


def test_an_audit_takes_its_uploaded_photos_for_items_and_for_the_whole_visit(shopper_client, org, db):
    item_photo, visit_photo = str(uuid.uuid4()), str(uuid.uuid4())
    for photo_id in (item_photo, visit_photo):
        assert upload(shopper_client, actors.picture(), photo_id).status_code == 201
    answers = {**actors.answers_for(org.main), "receipt_photo": {"value": item_photo}}
    body = actors.body(org.main, answers=answers, photos=[visit_photo], assignment=org.visits[0])
    assert shopper_client.post("/api/audits", json=body).status_code == 201
    with db.session() as session:
        stored = {p.id: (p.audit_id, p.item_key) for p in session.scalars(sa.select(models.Photo))}
        assert session.get(models.Audit, body["id"]).assignment_id == org.visits[0]
    assert stored == {item_photo: (body["id"], "receipt_photo"), visit_photo: (body["id"], "")}
    assert shopper_client.post("/api/audits", json=body).status_code == 200  # the retry changes nothing


def test_an_audit_pointing_at_a_photo_not_uploaded_or_not_its_own_is_refused_whole(client_for, shopper_client, org, db):
    someone_elses = str(uuid.uuid4())
    assert upload(client_for("other@example.com"), actors.picture(), someone_elses).status_code == 201
    for photo_id in (str(uuid.uuid4()), someone_elses):
        answers = {**actors.answers_for(org.main), "receipt_photo": {"value": photo_id}}
        response = shopper_client.post("/api/audits", json=actors.body(org.main, answers=answers))
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"field": "receipt_photo", "message": f"photo {photo_id} has not been uploaded; upload it first"}
        ]
    bad_value = {**actors.answers_for(org.main), "receipt_photo": {"value": "receipt.jpg"}}
    assert shopper_client.post("/api/audits", json=actors.body(org.main, answers=bad_value)).status_code == 422
    assert actors.count(db, models.Audit) == 0


def test_an_audit_may_report_only_a_visit_of_its_own_shopper_to_that_store(shopper_client, org, db):
    wrong_store = actors.body(org.main, store="NTH-002", assignment=org.visits[0])
    response = shopper_client.post("/api/audits", json=wrong_store)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "assignment"
    unknown = actors.body(org.main, assignment=999_999)
    assert shopper_client.post("/api/audits", json=unknown).json()["errors"][0]["field"] == "assignment"
    assert actors.count(db, models.Audit) == 0


def test_a_planned_visit_is_reported_by_one_audit_made_no_earlier_than_its_first_day(shopper_client, org, db):
    first = actors.body(org.main, assignment=org.visits[0])
    assert shopper_client.post("/api/audits", json=first).status_code == 201
    second = actors.body(org.main, assignment=org.visits[0])  # the same visit from another phone
    response = shopper_client.post("/api/audits", json=second)
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {
            "field": "assignment",
            "message": f"this visit to NTH-001 was already reported, by audit {first['id'][:8]}: "
            "a planned visit is reported once",
        }
    ]
    assert shopper_client.post("/api/audits", json=first).status_code == 200  # its own retry still answers
    early = actors.body(
        org.main, store="NTH-002", assignment=org.visits[1], finished=datetime(2026, 1, 5, 12, tzinfo=UTC)
    )
    response = shopper_client.post("/api/audits", json=early)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "finished_at"
    assert "before planned visit" in response.json()["errors"][0]["message"]
    assert actors.count(db, models.Audit) == 1
    reset_clock = actors.body(org.main, finished=datetime(1970, 1, 1, 0, 20, tzinfo=UTC))
    response = shopper_client.post("/api/audits", json=reset_clock)
    assert response.status_code == 422 and "check the phone's clock" in response.json()["errors"][0]["message"]
    assert actors.count(db, models.Audit) == 1


def test_my_visits_lists_open_visits_with_their_forms_and_drops_reported_ones(shopper_client, org):
    page = shopper_client.get("/").text
    # the test company's visits ended weeks ago: older than the overdue window, so not listed
    assert "No visits planned" in page
    forms = shopper_client.get(f"/visits/{org.visits[0]}")
    assert forms.status_code == 200 and 'data-store="NTH-001"' in forms.text
    assert f'data-version="{org.main.version}"' in forms.text
    assert forms.text.count('class="item"') == len(org.main.items)
    assert shopper_client.get("/visits/999999").status_code == 404
    assert shopper_client.get("/visits/abc").status_code == 404


def test_a_shopper_cannot_open_another_shoppers_visit(client_for, org):
    assert client_for("other@example.com").get(f"/visits/{org.visits[0]}").status_code == 404


def test_the_service_worker_carries_this_releases_shell(anonymous):
    response = anonymous.get("/sw.js")
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert f'const VERSION = "{assets.shell_version()}"' in response.text
    for url in assets.shell_urls():
        assert url in response.text
        assert anonymous.get(url).status_code == 200


def test_hashed_static_urls_may_be_cached_for_good(anonymous):
    url = assets.static_url("css/app.css")
    assert "immutable" in anonymous.get(url).headers["cache-control"]
    assert "immutable" not in anonymous.get("/static/css/app.css").headers.get("cache-control", "")


def test_the_manifest_makes_the_app_installable(anonymous):
    manifest = anonymous.get("/manifest.webmanifest").json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        with Image.open(io.BytesIO(anonymous.get(icon["src"]).content)) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]


def test_the_session_endpoint_gives_a_fresh_csrf_token_or_401(shopper_client, anonymous):
    info = shopper_client.get("/api/session").json()
    assert info["email"] == "shopper@example.com" and info["csrf_token"] == shopper_client.headers["X-CSRF-Token"]
    assert anonymous.get("/api/session").status_code == 401


def test_my_visits_groups_visits_by_their_window_and_says_when_one_opens(shopper_client, org, db):
    from audit.services.planning import assignments

    today = date.today()  # the tests' company zone is UTC
    later = today + timedelta(days=40)
    assignments.add(db, "shopper@example.com", "STH-001", "customer-service", today, today + timedelta(days=2))
    assignments.add(db, "shopper@example.com", "STH-001", "customer-service", later, later + timedelta(days=1))
    page = shopper_client.get("/").text
    now, upcoming = page.split('data-group="now"')[1].split('data-group="upcoming"')
    assert "Brighton" in now and "Open now" in now and "Opens" not in now
    assert f'Opens <time datetime="{later.isoformat()}" data-fmt="day">{later.strftime("%a %-d %b")}</time>' in upcoming
    assert 'data-zone="UTC"' in upcoming
    [visit] = re.findall(r'href="(/visits/\d+)"', upcoming)
    form = shopper_client.get(visit).text
    assert f'data-opens="{later.isoformat()}" data-zone="UTC"' in form  # the phone decides, offline too


def test_my_visits_shows_the_latest_ten_submitted_then_show_all(shopper_client, org):
    for n in range(11):
        finished = actors.VISIT_END - timedelta(hours=n)
        assert shopper_client.post("/api/audits", json=actors.body(org.main, finished=finished)).status_code == 201
    page = shopper_client.get("/").text
    submitted = page.split('id="submitted"')[1]
    assert submitted.count('<article class="visit">') == 10 and 'href="/?submitted=all"' in submitted
    everything = shopper_client.get("/?submitted=all").text.split('id="submitted"')[1]
    assert everything.count('<article class="visit">') == 11 and "submitted=all" not in everything


def test_the_shoppers_audit_page_has_no_checklist_version_and_the_managers_has(client_for, shopper_client, org):
    body = actors.body(org.main)
    assert shopper_client.post("/api/audits", json=body).status_code == 201
    own = shopper_client.get(f"/audits/{body['id']}").text
    assert org.main.version not in own and "version" not in own.split("<main")[1]
    assert org.main.version in client_for("north@example.com").get(f"/audits/{body['id']}").text
