"""Reading an audit: the time zone its page shows it in."""

from __future__ import annotations

from audit.services import audits
from audit.services.access import Viewer
from audit.services.company import organisation
from tests import actors


def test_the_shopper_reads_the_visit_in_the_stores_zone_and_staff_in_the_companys(db, org, client_for):
    organisation.edit_store(db, "NTH-001", "Leeds", "NTH", "", "Asia/Tokyo")
    shopper, manager = client_for("shopper@example.com"), client_for("north@example.com")
    body = actors.body(org.main)  # finished 11:30 UTC: 20:30 in Tokyo
    assert shopper.post("/api/audits", json=body).status_code == 201
    as_shopper = audits.view(db, Viewer(org.shopper, "shopper@example.com", "Sam", "shopper"), body["id"])
    assert as_shopper.zone == "Asia/Tokyo"
    page = shopper.get(f"/audits/{body['id']}").text
    assert "20:30" in page and "(Asia/Tokyo)" in page and "11:30" not in page
    company = db.settings.timezone
    assert company != "Asia/Tokyo"
    staff_page = manager.get(f"/audits/{body['id']}").text
    assert f"({company})" in staff_page and "(Asia/Tokyo)" not in staff_page

    organisation.edit_store(db, "NTH-001", "Leeds", "NTH", "", "")  # no zone of its own: the company's
    assert f"({company})" in shopper.get(f"/audits/{body['id']}").text
