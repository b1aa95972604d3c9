from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from audit.domain import scoring
from audit.domain.answers import Answer
from audit.services import audits, checklists, demo
from audit.services.scores import totals
from audit.storage import models
from tests import actors

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)


def put(db, org, store, score_answers, finished):
    sub = audits.Submission.model_validate(
        actors.body(org.main, store=store, finished=finished, answers=actors.answers_for(org.main, **score_answers))
    )
    submitter = audits.Submitter(db)
    try:
        outcome = audits.submit(db, submitter, sub)
    finally:
        submitter.close()
    assert outcome.status == "created", outcome.problems
    return outcome.audit


def by_code(regions):
    return {s.code: s for r in regions for s in r.stores}, {r.code: r for r in regions}


def test_store_and_region_scores_follow_the_domain_rules(db, org):
    day = datetime(2026, 10, 10, 12, tzinfo=UTC)
    a = put(db, org, "NTH-001", {}, day)  # 100
    b = put(db, org, "NTH-001", {"respectful_throughout": "no"}, day)  # critical: 0
    c = put(db, org, "NTH-001", {}, day)  # 100
    d = put(db, org, "NTH-002", {"warm_greeting": "no"}, day)
    stores, regions = by_code(totals.region_scores(db, START, END))
    assert (a["score"], b["score"], c["score"]) == (100.0, 0.0, 100.0)
    assert stores["NTH-001"].score.count == 3
    assert stores["NTH-001"].score.score == 66.7
    assert stores["NTH-002"].score.score == d["score"]
    assert regions["NTH"].score.score == scoring.round1((200 / 3 + d["score"]) / 2)
    assert regions["NTH"].score.count == 4
    assert stores["STH-001"].score is None  # no audits: no score, not 0
    assert regions["STH"].score is None


def test_the_period_is_half_open_and_excluded_audits_leave_every_total(db, org):
    put(db, org, "NTH-001", {}, END - timedelta(seconds=1))
    put(db, org, "NTH-001", {"warm_greeting": "no"}, END)  # the next period
    excluded = put(db, org, "NTH-002", {}, START)
    with db.write_session() as session:
        session.execute(sa.update(models.Audit).where(models.Audit.id == excluded["id"]).values(excluded=True))
    stores, regions = by_code(totals.region_scores(db, START, END))
    assert stores["NTH-001"].score.count == 1 and stores["NTH-001"].score.score == 100.0
    assert stores["NTH-002"].score is None
    assert regions["NTH"].score.count == 1


def test_sql_aggregation_equals_a_recomputation_from_raw_answers(db):
    demo.load(db, seed=7, stores=6, months=2, today=datetime(2026, 11, 20).date())
    start, end = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    with db.session() as session:
        rows = session.execute(
            sa.select(models.Audit.id, models.Audit.checklist_version_id, models.Store.code, models.Region.code)
            .join(models.Store, models.Store.id == models.Audit.store_id)
            .join(models.Region, models.Region.id == models.Store.region_id)
            .where(models.Audit.finished_at >= start, models.Audit.finished_at < end)
        ).all()
        answers = session.execute(sa.select(models.Answer.audit_id, models.Answer.item_key, models.Answer.value)).all()
    by_audit: dict[str, dict[str, Answer]] = {}
    for audit_id, key, value in answers:
        by_audit.setdefault(audit_id, {})[key] = Answer(value)
    per_store: dict[tuple[str, str], list[float | None]] = {}
    for audit_id, version, store, region in rows:
        spec = checklists.version(db, version)
        per_store.setdefault((region, store), []).append(scoring.score(spec, by_audit[audit_id]).percent)
    expected_stores = {store: scoring.store_score(scores) for (_, store), scores in per_store.items()}
    expected_regions = {
        region: scoring.region_score([expected_stores[s] for (r, s) in per_store if r == region])
        for region in {r for r, _ in per_store}
    }
    stores, regions = by_code(totals.region_scores(db, start, end))
    assert len(rows) > 20
    for code, expected in expected_stores.items():
        assert stores[code].score.count == expected.count
        assert abs(stores[code].score.mean - expected.mean) < 1e-9
    for code, expected in expected_regions.items():
        assert regions[code].score.score == expected.score
        assert regions[code].score.count == expected.count
