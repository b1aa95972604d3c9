from datetime import UTC, date, datetime

import pytest

from audit.domain.periods import Period, resolve
from audit.errors import Conflict, Invalid, NotFound
from audit.services import audits
from audit.services.people import accounts
from audit.services.scores import comparison
from tests import actors

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30), "Europe/London")


def viewer(db, email):
    _, v = accounts.sign_in(db, email, actors.PASSWORD, "test")
    return v


def put(db, org, store, finished, **answers):
    submitter = audits.Submitter(db)
    try:
        sub = audits.Submission.model_validate(
            actors.body(org.main, store=store, finished=finished, answers=actors.answers_for(org.main, **answers))
        )
        outcome = audits.submit(db, submitter, sub, shopper_id=org.shopper)
    finally:
        submitter.close()
    assert outcome.status == "created", outcome.problems
    return outcome.audit


def test_branches_with_scores_counts_change_rank_and_sections(db, org):
    put(db, org, "NTH-001", datetime(2026, 11, 5, 12, tzinfo=UTC))  # 100
    put(db, org, "NTH-001", datetime(2026, 11, 6, 12, tzinfo=UTC), warm_greeting="no")
    put(db, org, "NTH-001", datetime(2026, 10, 20, 12, tzinfo=UTC), warm_greeting="no", offered_help="no")
    owner = viewer(db, "owner@example.com")
    result = comparison.branch_comparison(db, owner, "NTH", NOVEMBER)
    rows = {r.code: r for r in result.rows}
    leeds, york = rows["NTH-001"], rows["NTH-002"]
    assert leeds.score.count == 2 and leeds.rank == 1
    assert leeds.previous.count == 1 and leeds.change == round(leeds.score.score - leeds.previous.score, 1) > 0
    assert leeds.sections["eye_contact"] == 100.0 and leeds.sections["greeting"] < 100
    assert york.score is None and york.rank is None and york.sections == {}
    assert result.score.count == 2  # the region counts each store once; York has no say
    assert result.sections[0][0] == "greeting"


def test_an_audit_at_23_59_on_the_last_day_counts_and_midnight_does_not(db, org):
    september = Period(date(2026, 9, 1), date(2026, 9, 30), "Europe/London")  # summer time: UTC+1
    put(db, org, "NTH-002", datetime(2026, 9, 30, 22, 59, tzinfo=UTC))  # 23:59 in London
    put(db, org, "NTH-002", datetime(2026, 9, 30, 23, 0, tzinfo=UTC), warm_greeting="no")  # 00:00 on 1 October
    put(db, org, "NTH-002", datetime(2026, 8, 31, 22, 59, tzinfo=UTC), warm_greeting="no")  # 23:59 on 31 August
    rows = {r.code: r for r in comparison.branch_comparison(db, viewer(db, "owner@example.com"), "NTH", september).rows}
    assert rows["NTH-002"].score.count == 1 and rows["NTH-002"].score.score == 100.0


def test_an_excluded_audit_leaves_every_total_at_once_and_can_come_back(db, org):
    bad = put(db, org, "NTH-001", datetime(2026, 11, 5, 12, tzinfo=UTC), respectful_throughout="no")
    put(db, org, "NTH-001", datetime(2026, 11, 6, 12, tzinfo=UTC))
    manager = viewer(db, "north@example.com")
    before = {r.code: r for r in comparison.branch_comparison(db, manager, "NTH", NOVEMBER).rows}["NTH-001"]
    assert before.score.score == 50.0
    audits.set_excluded(db, manager, bad["id"], True, "the shopper visited the wrong store")
    after = {r.code: r for r in comparison.branch_comparison(db, manager, "NTH", NOVEMBER).rows}["NTH-001"]
    assert after.score.score == 100.0 and after.score.count == 1
    stored = audits.get(db, bad["id"], manager)
    assert stored["excluded"] and stored["excluded_by"] == "north@example.com"
    assert stored["excluded_reason"] == "the shopper visited the wrong store"
    with pytest.raises(Conflict):
        audits.set_excluded(db, manager, bad["id"], True, "again")
    audits.set_excluded(db, manager, bad["id"], False, "it was the right store after all")
    again = {r.code: r for r in comparison.branch_comparison(db, manager, "NTH", NOVEMBER).rows}["NTH-001"]
    assert again.score.count == 2


def test_only_staff_of_the_region_may_exclude_and_must_say_why(db, org):
    audit = put(db, org, "NTH-001", datetime(2026, 11, 5, 12, tzinfo=UTC))
    with pytest.raises(NotFound):
        audits.set_excluded(db, viewer(db, "south@example.com"), audit["id"], True, "not mine")
    with pytest.raises(NotFound):
        audits.set_excluded(db, viewer(db, "shopper@example.com"), audit["id"], True, "my own")
    with pytest.raises(Invalid):
        audits.set_excluded(db, viewer(db, "north@example.com"), audit["id"], True, "")
    assert audits.get(db, audit["id"])["excluded"] is False


def test_a_manager_cannot_compare_another_region(db, org):
    with pytest.raises(NotFound):
        comparison.branch_comparison(db, viewer(db, "north@example.com"), "STH", NOVEMBER)


def test_sorting_keeps_stores_without_a_value_last():
    a = comparison.BranchRow("A", "Alpha", None, None, {})
    b = comparison.BranchRow("B", "Beta", comparison.Aggregate(80.0, 2), None, {}, 1)
    c = comparison.BranchRow("C", "Gamma", comparison.Aggregate(60.0, 1), None, {}, 2)
    assert [r.code for r in comparison.sorted_rows([a, b, c], "score", True)] == ["B", "C", "A"]
    assert [r.code for r in comparison.sorted_rows([a, b, c], "score", False)] == ["C", "B", "A"]
    assert [r.code for r in comparison.sorted_rows([c, a, b], "name", False)] == ["A", "B", "C"]


def test_bands_use_words_and_icons_not_only_colour():
    assert comparison.band(91.0) == ("good", "✓ Good")
    assert comparison.band(72.5)[1] == "~ Fair"
    assert comparison.band(10.0)[1] == "✗ Poor"
    assert comparison.band(None)[1] == "no audits"


def test_a_custom_period_from_the_page(db):
    assert resolve(date(2026, 11, 23), "UTC", first="2026-11-01", last="2026-11-30").days == 30


def test_the_comparison_equals_a_recomputation_from_raw_answers(db):
    import sqlalchemy as sa

    from audit.domain import scoring
    from audit.domain.answers import Answer
    from audit.services import checklists, demo
    from audit.storage import models

    demo.load(db, seed=5, stores=6, months=2, today=date(2026, 11, 20))
    period = Period(date(2026, 10, 1), date(2026, 11, 20), "UTC")
    _, owner = accounts.sign_in(db, "owner@example.com", demo.PASSWORDS["owner"], "test")
    result = comparison.branch_comparison(db, owner, "NTH", period)
    with db.session() as session:
        rows = session.execute(
            sa.select(models.Audit.id, models.Audit.checklist_version_id, models.Store.code)
            .join(models.Store, models.Store.id == models.Audit.store_id)
            .join(models.Region, models.Region.id == models.Store.region_id)
            .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
            .where(
                models.Region.code == "NTH",
                models.ChecklistVersion.checklist_key == "customer-service",
                models.Audit.finished_at >= period.start,
                models.Audit.finished_at < period.end,
            )
        ).all()
        answers = session.execute(sa.select(models.Answer.audit_id, models.Answer.item_key, models.Answer.value)).all()
    given: dict[str, dict[str, Answer]] = {}
    for audit_id, key, value in answers:
        given.setdefault(audit_id, {})[key] = Answer(value)
    per_store: dict[str, list[float | None]] = {}
    sections: dict[str, dict[str, list[float]]] = {}
    for audit_id, version, store in rows:
        scored = scoring.score(checklists.version(db, version), given[audit_id])
        per_store.setdefault(store, []).append(scored.percent)
        for s in scored.sections:
            if s.percent is not None:
                sections.setdefault(store, {}).setdefault(s.key, []).append(s.percent)
    assert len(rows) > 5
    for row in result.rows:
        expected = scoring.store_score(per_store.get(row.code, []))
        assert (row.score is None) == (expected is None)
        if expected:
            assert row.score.count == expected.count and abs(row.score.mean - expected.mean) < 1e-9
            for key, values in sections[row.code].items():
                # shown to one decimal: the database and Python may sum in another order, so a mean
                # that lies on .x5 may round either way; within half a tenth is exact enough
                assert abs(row.sections[key] - sum(values) / len(values)) <= 0.05 + 1e-9
    expected_region = scoring.region_score(scoring.store_score(v) for v in per_store.values())
    assert abs(result.score.mean - expected_region.mean) < 1e-9
