from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests import actors


def _section(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


def test_home_leads_with_what_needs_attention_then_ranks_regions(client, org):
    recent = datetime.now(UTC) - timedelta(days=2)
    answers = actors.answers_for(org.main, warm_greeting="no")
    assert client.post("/api/audits", json=actors.body(org.main, finished=recent, answers=answers)).status_code == 201
    assert client.post("/api/audits", json=actors.body(org.main, finished=recent)).status_code == 201
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert html.index("Needs attention") < html.index("Regions, best first")
    unaudited = _section(html, "Not audited in the period", "</ul>")
    assert "York" in unaudited and "Brighton" in unaudited and "Leeds" not in unaudited
    regions = html[html.index("Regions, best first") :]
    assert regions.index("North") < regions.index("South")  # ranked: the only region with audits first
    leeds = _section(regions, "Leeds", "</tr>")
    assert '<td class="num">2</td>' in leeds and "2 audits only" in leeds  # thin evidence is said
    assert "no audits" in _section(regions, "York", "</tr>")


def test_poor_falling_and_critical_stores_are_flagged(client, org):
    before = datetime.now(UTC) - timedelta(days=120)
    recent = datetime.now(UTC) - timedelta(days=2)
    good = actors.body(org.main, finished=before)
    assert client.post("/api/audits", json=good).status_code == 201
    weak = actors.answers_for(org.main, respectful_throughout="no")  # a critical item: 0 %
    assert client.post("/api/audits", json=actors.body(org.main, finished=recent, answers=weak)).status_code == 201
    html = client.get("/").text
    poor = _section(html, "Poor or falling", "</ul>")
    assert "Leeds" in poor and "0.0" in poor and "▼ worse by" in poor
    critical = _section(html, "Critical failures", "</ul>")
    assert "Leeds" in critical and "1 critical failure<" in critical  # one, not "1 critical failures"


def test_a_manager_sees_only_their_regions_on_the_overview(client_for, org):
    html = client_for("north@example.com").get("/").text
    assert "North" in html and "York" in html and "Brighton" not in html and "South" not in html


def test_home_says_what_to_do_when_there_is_nothing(settings, db):
    from starlette.testclient import TestClient

    from audit.app import create_app
    from audit.services.people import accounts

    accounts.create_user(db, "first@example.com", "owner", password=actors.PASSWORD)
    with TestClient(create_app(settings)) as client:
        actors.sign_in(client, "first@example.com")
        assert "No regions yet" in client.get("/").text


def test_an_unknown_page_is_a_plain_404_page(client):
    response = client.get("/nowhere", headers={"accept": "text/html"})
    assert response.status_code == 404 and "<h1>" in response.text and "Traceback" not in response.text


def test_beyond_300_stores_each_region_links_to_its_branches_instead_of_listing_them(client, org, db):
    from audit.storage import models

    with db.write_session() as session:
        north = session.scalar(sa.select(models.Region.id).where(models.Region.code == "NTH"))
        session.add_all(models.Store(code=f"NTH-{n:03d}", name=f"Branch {n}", region_id=north) for n in range(3, 301))
    regions = _section(client.get("/").text, "Regions, best first", "</section>")
    assert 'href="/regions/NTH"' in regions and 'href="/regions/STH"' in regions
    assert "Branch 150" not in regions and "<table" not in regions  # 301 stores: no store rows
    with db.write_session() as session:
        session.execute(sa.delete(models.Store).where(models.Store.code == "NTH-300"))
    regions = _section(client.get("/").text, "Regions, best first", "</section>")
    assert "Branch 150" in regions and "York" in regions  # 300: every store under its region
