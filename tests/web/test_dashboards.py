import re
from datetime import UTC, datetime, timedelta

from tests import actors


def submit(client, org, store="NTH-001", **answers):
    body = actors.body(org.main, store=store, answers=actors.answers_for(org.main, **answers))
    response = client.post("/api/audits", json=body)
    assert response.status_code == 201, response.text
    return body["id"]


def test_the_region_page_compares_branches_and_says_no_audits(client_for, org):
    shopper = client_for("shopper@example.com")
    submit(shopper, org)
    submit(shopper, org, store="NTH-002", warm_greeting="no", offered_help="no", no_interruption="no")
    page = client_for("north@example.com").get("/regions/NTH?from=2026-10-01&to=2026-11-30&sort=score&dir=desc").text
    assert "North" in page and "Leeds" in page and "York" in page
    assert page.index("Leeds") < page.index("York")  # best first
    assert "✓ Good" in page and '<svg class="bar"' in page
    assert re.search(r"1 Oct 2026 to 30 Nov 2026", page)
    empty = client_for("north@example.com").get("/regions/NTH?from=2025-01-01&to=2025-01-31").text
    assert empty.count("no audits") >= 2


def test_a_bad_period_is_said_beside_the_dates_which_are_kept_and_the_page_still_shows(client_for):
    owner = client_for("owner@example.com")
    for path in ("/regions/NTH", "/stores/NTH-001", "/regions/NTH/behaviours", "/regions"):
        response = owner.get(path + "?from=2026-11-30&to=2026-11-01")
        assert response.status_code == 422, path
        page = response.text
        assert '<p class="error" id="period-error" role="alert">the period ends before it starts: showing' in page
        assert 'value="2026-11-30" aria-invalid="true"' in page and 'value="2026-11-01" aria-invalid="true"' in page
        assert "from=2026-11-30" not in page  # no link or download carries the bad dates
    assert "dates must look like 2026-11-23" in owner.get("/regions/NTH?from=garbage").text
    assert owner.get("/regions/NTH/comparison.csv?from=2026-11-30&to=2026-11-01").status_code == 422


def test_the_audit_page_shows_every_answer_points_and_the_critical_failure(client_for, org):
    audit_id = submit(client_for("shopper@example.com"), org, respectful_throughout="no", wait_seconds=45)
    page = client_for("north@example.com").get(f"/audits/{audit_id}").text
    assert "Critical item failed" in page and "0.0&nbsp;%" in page
    assert "1.5 / 3" in page  # the wait of 45 s earned half its points
    assert "Exclude it from totals" in page
    assert '<h1>Leeds <span class="code">NTH-001</span> · ' in page and "45 seconds" in page


def test_excluding_from_the_page_shows_who_and_why(client_for, org):
    audit_id = submit(client_for("shopper@example.com"), org)
    manager = client_for("north@example.com")
    form = {"csrf_token": manager.headers["X-CSRF-Token"], "reason": "visited on a closing day"}
    assert manager.post(f"/audits/{audit_id}/exclude", data=form).status_code == 303
    page = manager.get(f"/audits/{audit_id}").text
    assert "Excluded from every total" in page and "north@example.com" in page and "visited on a closing day" in page
    short = manager.post(f"/audits/{audit_id}/restore", data={**form, "reason": "x"})
    assert "error=" in short.headers["location"]


def test_a_shopper_sees_their_own_audit_without_the_exclude_form(client_for, org):
    shopper = client_for("shopper@example.com")
    audit_id = submit(shopper, org)
    page = shopper.get(f"/audits/{audit_id}").text
    assert "Exclude" not in page and "100.0&nbsp;%" in page


def test_the_store_page_has_trend_charts_sections_and_behaviours_in_words(client_for, org):
    shopper = client_for("shopper@example.com")
    submit(shopper, org)
    submit(shopper, org, used_customer_name="no")
    page = client_for("north@example.com").get("/stores/NTH-001?from=2026-10-01&to=2026-11-30").text
    assert "Leeds" in page and "2 audits" in page
    assert "missed in 1 of 2 visits" in page
    assert page.index("missed in 1 of 2") < page.index("missed in 0 of 2")  # most often missed first
    assert '<svg class="chart"' in page and '<title id="by-audit-t">Leeds: score of each audit</title>' in page
    assert "Nov 2026" in page and "Arrival and greeting" in page
    assert client_for("south@example.com").get("/stores/NTH-001").status_code == 404


def test_the_behaviour_heatmap_and_the_five_weakest(client_for, org):
    shopper = client_for("shopper@example.com")
    submit(shopper, org, used_customer_name="no", small_talk="no")
    submit(shopper, org, used_customer_name="no")
    submit(shopper, org, store="NTH-002", used_customer_name="no")
    page = client_for("north@example.com").get("/regions/NTH/behaviours?from=2026-10-01&to=2026-11-30").text
    weakest = page[page.index("five weakest") : page.index("Every behaviour by store")]
    assert weakest.index("use it?") < weakest.index("real conversation")  # name missed 3 of 3, chat 1 of 3
    assert "missed in 3 of 3 visits (100 %)" in weakest
    assert "no earlier visits to compare" in weakest
    assert 'heat-bad">100%</td>' in page  # the name, missed everywhere
    assert 'heat-bad">50%</td>' in page and 'heat-fine">0%</td>' in page  # a little chat: one of two in Leeds


def test_the_heatmaps_columns_are_headed_by_the_stores_code_and_name(client_for, org):
    page = client_for("north@example.com").get("/regions/NTH/behaviours").text
    head = page[page.index('<table class="heat">') : page.index("</thead>")]
    for code, name in (("NTH-001", "Leeds"), ("NTH-002", "York")):
        assert f'{code}<span class="store-name">{name}</span></a></th>' in head  # on the page, not in a tooltip


def test_a_behaviour_missed_less_than_before_is_better_with_the_arrow_up_as_on_the_region_page(client_for, org):
    shopper, now = client_for("shopper@example.com"), datetime.now(UTC)
    missed, kept = actors.answers_for(org.main, used_customer_name="no"), actors.answers_for(org.main)
    week_ago, hour_ago = now - timedelta(days=7), now - timedelta(hours=1)
    for finished, answers in ((week_ago, missed), (week_ago, missed), (hour_ago, missed), (hour_ago, kept)):
        body = actors.body(org.main, answers=answers, finished=finished)
        assert shopper.post("/api/audits", json=body).status_code == 201
    today = now.date()
    period = f"from={today - timedelta(days=4)}&to={today}"  # the period before holds the audits of a week ago
    page = client_for("north@example.com").get(f"/regions/NTH/behaviours?{period}").text
    assert "▲ better by 50 points than the period before" in page  # missed in 2 of 2 visits, now in 1 of 2


def test_the_company_view_ranks_regions_and_a_manager_sees_only_theirs(client_for, org):
    submit(client_for("shopper@example.com"), org)
    submit(client_for("other@example.com"), org, store="STH-001", warm_greeting="no")
    owner = client_for("owner@example.com").get("/regions?from=2026-10-01&to=2026-11-30").text
    assert owner.index("North") < owner.index("South")  # 100 % ranks first
    assert "1 of 2" in owner and "1 of 1" in owner
    assert '<select id="checklist" name="checklist">' in owner and '<option value="quick-visit" >' in owner
    manager = client_for("north@example.com").get("/regions?from=2026-10-01&to=2026-11-30").text
    assert "North" in manager and "South" not in manager


def test_photos_show_as_thumbnails_to_those_who_may_see_the_audit(client_for, org):
    import uuid as uuid_module

    shopper = client_for("shopper@example.com")
    photo_id = str(uuid_module.uuid4())
    assert shopper.put(f"/api/photos/{photo_id}", content=actors.picture()).status_code == 201
    body = actors.body(org.main, answers={**actors.answers_for(org.main), "receipt_photo": {"value": photo_id}})
    assert shopper.post("/api/audits", json=body).status_code == 201
    page = client_for("north@example.com").get(f"/audits/{body['id']}").text
    assert f'<img class="thumb" src="/photos/{photo_id}"' in page
    image = client_for("north@example.com").get(f"/photos/{photo_id}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8")
    assert client_for("south@example.com").get(f"/photos/{photo_id}").status_code == 404
    assert client_for("other@example.com").get(f"/photos/{photo_id}").status_code == 404


def test_the_store_page_chooses_its_checklist_as_the_region_page_does(client_for, org):
    shopper, owner = client_for("shopper@example.com"), client_for("owner@example.com")
    main_audit = submit(shopper, org)
    quick = actors.body(org.quick, store="NTH-001")
    assert shopper.post("/api/audits", json=quick).status_code == 201
    period = "from=2026-10-01&to=2026-11-30"
    page = owner.get(f"/stores/NTH-001?{period}").text
    assert '<select id="checklist" name="checklist">' in page and '<option value="quick-visit" >' in page
    assert main_audit in page and quick["id"] not in page
    page = owner.get(f"/stores/NTH-001?{period}&checklist=quick-visit").text
    assert quick["id"] in page and main_audit not in page
    assert '<option value="quick-visit" selected>' in page


def test_the_home_page_scores_one_checklist_as_the_region_and_store_pages_do(client_for, org):
    shopper, owner = client_for("shopper@example.com"), client_for("owner@example.com")
    recent = datetime.now(UTC) - timedelta(hours=2)  # inside the home page's last 90 days, whenever this runs
    answers = actors.answers_for(org.main, warm_greeting="no", offered_help="no", no_interruption="no")
    for body in (actors.body(org.main, answers=answers, finished=recent), actors.body(org.quick, finished=recent)):
        assert shopper.post("/api/audits", json=body).status_code == 201
    home = owner.get("/").text
    store = owner.get("/stores/NTH-001").text
    leeds = re.search(r"Leeds.*?(\d+\.\d)&nbsp;%", home, re.S)
    assert leeds and f"{leeds.group(1)}&nbsp;%" in store and "1 audit" in store
    assert "audits made with the Customer service visit checklist" in home


def test_pages_and_downloads_show_the_default_checklist_of_the_settings(settings, org, db):
    from starlette.testclient import TestClient

    from audit.app import create_app

    app = create_app(settings.with_(default_checklist="quick-visit"))
    with TestClient(app, follow_redirects=False) as client:
        actors.sign_in(client, "owner@example.com")
        assert "Quick visit" in client.get("/").text
        region = client.get("/regions/STH?from=2026-10-01&to=2026-11-30").text
        assert '<option value="quick-visit" selected>' in region
        assert client.get("/api/regions/STH/comparison?from=2026-10-01&to=2026-11-30").json()["checklist"] == (
            "quick-visit"
        )


def test_changes_are_said_in_words_with_plurals_and_no_change_for_zero(client_for, org):
    from audit.app import create_app

    app = create_app(client_for("owner@example.com").app.state.settings)
    template = app.state.templates.env.from_string(
        '{% import "_shared.html" as s %}'
        "{{ s.change(2.44) }}|{{ s.change(-1) }}|{{ s.change(0.04) }}|{{ s.change(none) }}"
        "|{{ s.failure_trend(0.4) }}|{{ s.failure_trend(-50) }}"
    )
    said = template.render(band=lambda v: ("good", "Good")).replace("\n", "")
    assert said.split("|")[:3] == ["▲ better by 2.4 points", "▼ worse by 1.0 point", "no change"]
    assert "new" in said.split("|")[3] and said.split("|")[4] == "no change"
    assert said.split("|")[5] == "▲ better by 50 points"


def test_a_rank_on_fewer_than_three_audits_says_how_many(client_for, org):
    submit(client_for("shopper@example.com"), org)
    page = client_for("north@example.com").get("/regions/NTH?from=2026-10-01&to=2026-11-30").text
    assert '<small class="thin" title="A rank on so few audits is thin evidence">1 audit</small>' in page
