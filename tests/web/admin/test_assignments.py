"""Planning pages: a refused visit is marked beside its store and nothing is planned; cancelling asks first."""

import re
from datetime import date

from audit.services.planning import assignments


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
