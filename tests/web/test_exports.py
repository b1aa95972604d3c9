import csv
import io

from tests import actors


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
    missed = [r for r in answers if r[5] == "warm_greeting" and r[10] == "True"]
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
