import io
import re
import uuid
import zipfile
from datetime import date, timedelta

import pytest

from audit.app import create_app
from audit.domain import periods
from audit.services import audits
from audit.services.access import Viewer
from audit.services.audits import Submission, Submitter
from audit.services.company import organisation
from audit.services.planning import assignments
from audit.services.scores import stores
from audit.storage import models
from tests import actors, pdfs

PERIOD = "from=2026-10-01&to=2026-11-30"
STORE_NAME = "Zürich Ωmega Мир"
COMMENT = "Kept glancing at the till screen; apologised twice, explained delivery well. Ärger über Wartezeit: 45 s!"


@pytest.fixture
def submit(db, org):
    """Stores an audit as the shopper did (service level: photos and odd stores need no API)."""
    submitter = Submitter(db)

    def make(store="NTH-001", spec=None, notes="Quiet Monday morning.", finished=actors.VISIT_END, **answers):
        spec = spec or org.main
        given = actors.answers_for(spec, **answers)
        for key, value in answers.items():
            if isinstance(value, dict):
                given[key] = value
        body = actors.body(spec, store=store, answers=given, notes=notes, finished=finished)
        if not assignments.may_submit(db, org.shopper, store):  # a shopper audits only where sent
            assignments.add(db, "shopper@example.com", store, spec.key, finished.date(), finished.date())
        outcome = audits.submit(db, submitter, Submission.model_validate(body), org.shopper)
        assert outcome.status == "created", outcome.problems
        return body["id"]

    yield make
    submitter.close()


def add_photos(db, audit_id, count=4):
    from PIL import Image

    with db.write_session() as session:
        for n in range(count):
            data = io.BytesIO()
            Image.new("RGB", (800, 600), (40 * n, 90, 160)).save(data, "JPEG")
            session.add(
                models.Photo(
                    id=str(uuid.uuid4()),
                    audit_id=audit_id,
                    item_key="receipt_photo" if n < 2 else "",
                    content_type="image/jpeg",
                    size=len(data.getvalue()),
                    sha256="0" * 64,
                    data=data.getvalue(),
                    created_at=models.now() + timedelta(seconds=n),
                )
            )


def test_the_audit_pdf_prints_what_the_database_holds(db, org, submit, client_for, tmp_path):
    organisation.add_store(db, "NTH-003", STORE_NAME, "NTH")
    audit_id = submit(
        "NTH-003",
        respectful_throughout="no",
        wait_seconds={"value": 45, "comment": COMMENT},
        staff_description={"value": "Anna, red cardigan"},
    )
    add_photos(db, audit_id)
    stored = audits.get(db, audit_id)
    response = client_for("north@example.com").get(f"/audits/{audit_id}.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    name = f"audit-NTH-003-2026-11-02-{audit_id[:8]}.pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    text = pdfs.text(response.content, tmp_path)
    assert STORE_NAME in text and "NTH-003" in text and "North" in text
    assert re.search(r"0\.0\s%", text) and stored["score"] == 0.0  # a failed critical item
    assert "Critical item failed" in text and "courtesy and respect" in text
    for section in stored["sections"]:
        assert re.search(rf"{section['score']:.1f}\s%", text), section
    assert "1.5 / 3" in text and "45 seconds" in text  # the wait earned half its points
    assert COMMENT in text
    assert "Sam (shopper@example.com)" in text and "Anna, red cardigan" in text
    assert "Quiet Monday morning." in text
    pages = int(pdfs.info(response.content, tmp_path)["Pages"])
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert re.search(r"Generated \d\d \w\w\w 2\d{3}, \d\d:\d\d \(UTC\)", text)
    assert pdfs.images(response.content, tmp_path) == 4
    pdfs.render_every_page(response.content, tmp_path)


def test_the_pdf_metadata_names_the_report(db, org, submit, client_for, tmp_path):
    audit_id = submit()
    response = client_for("owner@example.com").get(f"/audits/{audit_id}.pdf")
    meta = pdfs.info(response.content, tmp_path)
    assert meta["Title"] == "Audit of Leeds (NTH-001), 02 Nov 2026"
    assert meta["Author"] == "Audit" and meta["CreationDate"] and meta["Page size"].endswith("(A4)")


def test_the_copy_for_the_store_leaves_out_the_shopper_and_internal_notes(db, org, submit, client_for, tmp_path):
    audit_id = submit(staff_description={"value": "Anna, red cardigan"})
    manager = client_for("north@example.com")
    form = {"csrf_token": manager.headers["X-CSRF-Token"], "reason": "mystery shopper knew the staff"}
    assert manager.post(f"/audits/{audit_id}/exclude", data=form).status_code == 303
    response = manager.get(f"/audits/{audit_id}.pdf?for=store")
    assert response.headers["content-disposition"].endswith(f'{audit_id[:8]}-for-store.pdf"')
    text = pdfs.text(response.content, tmp_path)
    assert "Leeds" in text and "copy for the store" in text.lower() and "Excluded from every total" in text
    for secret in ("Sam (shopper", "shopper@example.com", "Anna, red cardigan", "knew the staff", "north@"):
        assert secret not in text, secret
    staff_copy = pdfs.text(manager.get(f"/audits/{audit_id}.pdf").content, tmp_path)
    assert "knew the staff" in staff_copy and "Anna, red cardigan" in staff_copy


def test_the_store_report_has_the_period_score_sections_behaviours_and_audits(db, org, submit, client_for, tmp_path):
    submit()
    submit(used_customer_name="no", small_talk="no")
    submit(finished=actors.VISIT_END - timedelta(days=40), used_customer_name="no")  # before the period
    response = client_for("north@example.com").get(f"/stores/NTH-001/report.pdf?{PERIOD}")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="store-NTH-001-2026-10-01_2026-11-30.pdf"'
    text = pdfs.text(response.content, tmp_path)
    period = periods.Period(date(2026, 10, 1), date(2026, 11, 30), "UTC")
    report = stores.report(db, Viewer(org.owner, "o", "o", "owner"), "NTH-001", period)
    assert report.score is not None and re.search(rf"{report.score.score:.1f}\s%", text)
    assert "Leeds" in text and "2 audits" in text and "1 Oct 2026 to 30 Nov 2026" in text
    assert re.search(r"1 of 2 visits\s+50\s%", text)  # the name, missed once in two visits
    assert "Mon 02 Nov 2026, 11:30" in text and "Arrival and greeting" in text
    pdfs.render_every_page(response.content, tmp_path)


def test_the_region_report_ranks_branches_with_names_in_any_script(db, org, submit, client_for, tmp_path):
    organisation.add_store(db, "NTH-003", STORE_NAME, "NTH")
    submit("NTH-003")
    submit("NTH-001", warm_greeting="no", offered_help="no")
    response = client_for("owner@example.com").get(f"/regions/NTH/report.pdf?{PERIOD}")
    assert response.headers["content-disposition"] == 'attachment; filename="region-NTH-2026-10-01_2026-11-30.pdf"'
    text = pdfs.text(response.content, tmp_path)
    assert text.index(STORE_NAME) < text.index("Leeds")  # best first
    assert "York" in text and "no audits" in text and re.search(r"100\.0\s%", text)
    assert "weakest behaviours" in text and "Did staff offer help in words?" in text
    heat = text[text.index("Behaviours by store") :]  # drawn as text over a painted grid: still real text
    assert "NTH-001 NTH-002 NTH-003" in heat and re.search(r"Did staff offer help in words\? 100 ‒ 0 ", heat)
    pdfs.render_every_page(response.content, tmp_path)


@pytest.mark.parametrize(
    "path",
    ["/stores/NTH-001/report.pdf", "/regions/NTH/report.pdf", "/regions/NTH/audits.zip", "/stores/NTH-001/audits.zip"],
)
@pytest.mark.parametrize(
    ("query", "message"),
    [("from=2026-13-01&to=2026-11-30", "dates must look like"), ("from=2026-11-30&to=2026-11-01", "ends before")],
)
def test_bad_dates_are_a_clear_422_shaped_like_the_dashboards(client_for, path, query, message):
    client = client_for("owner@example.com")
    response = client.get(f"{path}?{query}")
    assert response.status_code == 422 and message in response.text and "Traceback" not in response.text
    dashboard = client.get(f"/regions/NTH?{query}", headers={"accept": "application/json"}).json()
    report = client.get(f"{path}?{query}", headers={"accept": "application/json"})
    assert report.status_code == 422 and report.json() == dashboard
    assert report.json()["errors"] == [{"field": "period", "message": report.json()["error"]}]


def test_managers_of_other_regions_and_shoppers_get_no_report(org, submit, client_for):
    audit_id = submit()
    south, shopper = client_for("south@example.com"), client_for("shopper@example.com")
    for path in (f"/audits/{audit_id}.pdf", "/stores/NTH-001/report.pdf", "/regions/NTH/report.pdf"):
        assert south.get(path).status_code == 404
        assert shopper.get(path).status_code == 403


def test_the_zip_holds_every_audit_pdf_of_the_period_named_by_store_date_and_id(db, org, submit, client_for, tmp_path):
    ids = [submit("NTH-001"), submit("NTH-002"), submit("NTH-002", finished=actors.VISIT_END - timedelta(days=1))]
    submit(finished=actors.VISIT_END - timedelta(days=90))  # outside the period
    response = client_for("north@example.com").get(f"/regions/NTH/audits.zip?{PERIOD}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="audits-NTH-2026-10-01_2026-11-30.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == [
        f"audit-NTH-001-2026-11-02-{ids[0][:8]}.pdf",
        f"audit-NTH-002-2026-11-01-{ids[2][:8]}.pdf",
        f"audit-NTH-002-2026-11-02-{ids[1][:8]}.pdf",
    ]
    assert "York" in pdfs.text(archive.read(archive.namelist()[1]), tmp_path)
    store_zip = client_for("north@example.com").get(f"/stores/NTH-001/audits.zip?{PERIOD}")
    assert zipfile.ZipFile(io.BytesIO(store_zip.content)).namelist() == [archive.namelist()[0]]


def test_a_report_past_its_time_limit_is_a_clear_error_and_the_next_one_works(settings, org, submit, tmp_path):
    from starlette.testclient import TestClient

    audit_id = submit()
    with TestClient(create_app(settings.with_(report_timeout_seconds=0.001)), follow_redirects=False) as client:
        actors.sign_in(client, "owner@example.com")
        response = client.get(f"/audits/{audit_id}.pdf")
        assert response.status_code == 503
        assert "took longer than the 0.001 seconds allowed" in response.text and "Traceback" not in response.text
        client.app.state.renderer.timeout = 60
        assert client.get(f"/audits/{audit_id}.pdf").status_code == 200
