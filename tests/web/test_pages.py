from datetime import UTC, datetime, timedelta

from tests import actors


def test_home_lists_every_store_with_its_score_and_audit_count(client, org):
    recent = datetime.now(UTC) - timedelta(days=2)
    answers = actors.answers_for(org.main, warm_greeting="no")
    assert client.post("/api/audits", json=actors.body(org.main, finished=recent, answers=answers)).status_code == 201
    assert client.post("/api/audits", json=actors.body(org.main, finished=recent)).status_code == 201
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    leeds = html[html.index("NTH-001") : html.index("NTH-002")]
    assert "Leeds" in leeds and '<td class="num">2</td>' in leeds
    york = html[html.index("NTH-002") : html.index("South")]
    assert "no audits" in york
    assert "South" in html and "STH-001" in html


def test_home_says_what_to_do_when_there_is_nothing(settings, db):
    from starlette.testclient import TestClient

    from audit.app import create_app
    from audit.services.people import accounts

    accounts.create_user(db, "first@example.com", "owner", password=actors.PASSWORD)
    with TestClient(create_app(settings)) as client:
        actors.sign_in(client, "first@example.com")
        assert "audit demo" in client.get("/").text


def test_an_unknown_page_is_a_plain_404_page(client):
    response = client.get("/nowhere", headers={"accept": "text/html"})
    assert response.status_code == 404 and "<h1>" in response.text and "Traceback" not in response.text
