from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from audit.domain import scoring
from audit.domain.answers import Answer
from audit.services import audits
from audit.services.access import Viewer
from audit.services.audits import photos
from audit.storage import bulk, models
from audit.storage.db import Database
from tests import actors


def count(db: Database, table: type) -> int:
    with db.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(table))


@pytest.fixture
def submitter(db: Database):
    s = audits.Submitter(db)
    yield s
    s.close()


def submission(spec, **overrides) -> audits.Submission:
    return audits.Submission.model_validate(actors.body(spec, **overrides))


def test_it_stores_the_audit_with_its_scores_answers_and_sections(db, org, submitter):
    sub = submission(org.main, answers=actors.answers_for(org.main, wait_seconds=45))
    outcome = audits.submit(db, submitter, sub, shopper_id=org.shopper)
    assert outcome.status == "created"
    stored = audits.get(db, str(sub.id))
    assert stored == outcome.audit
    expected = scoring.score(org.main, {k: Answer(v.value) for k, v in sub.answers.items()})
    assert stored["score"] == expected.percent < 100
    assert stored["shopper_id"] == org.shopper
    assert stored["answers"]["wait_seconds"]["earned"] == 1.5
    assert [s["key"] for s in stored["sections"]] == [s.key for s in org.main.sections]
    audits.AuditOut.model_validate(stored)  # the documented shape
    assert count(db, models.Answer) == len(sub.answers)
    assert count(db, models.AuditSection) == len(org.main.sections)


def test_it_gives_back_the_same_audit_for_the_same_uuid_and_content(db, org, submitter):
    sub = submission(org.main)
    first = audits.submit(db, submitter, sub)
    again = audits.submit(db, submitter, submission(org.main, id=str(sub.id), answers=actors.answers_for(org.main)))
    assert (first.status, again.status) == ("created", "exists")
    assert again.audit == first.audit
    assert count(db, models.Audit) == 1


def test_it_refuses_a_second_audit_with_the_same_id_and_other_content(db, org, submitter):
    sub = submission(org.main)
    audits.submit(db, submitter, sub)
    other = submission(org.main, id=str(sub.id), notes="changed my mind")
    outcome = audits.submit(db, submitter, other)
    assert outcome.status == "conflict"
    assert audits.get(db, str(sub.id))["notes"] == "Quiet Monday morning."


def test_a_batch_holding_the_same_id_twice_stores_it_once(db, org, submitter):
    sub = submission(org.main)
    prepared = [audits.prepare(db, sub), audits.prepare(db, sub)]
    outcomes = submitter.store_batch(prepared)
    assert [o.status for o in outcomes] == ["created", "exists"]
    assert count(db, models.Audit) == 1


def test_two_audits_of_one_planned_visit_in_one_batch_store_only_the_first(db, org, submitter):
    one, two = (submission(org.main, assignment=org.visits[0]) for _ in range(2))
    outcomes = submitter.store_batch([audits.prepare(db, one, org.shopper), audits.prepare(db, two, org.shopper)])
    assert [o.status for o in outcomes] == ["created", "conflict"]
    assert outcomes[1].problems[0].field == "assignment"
    assert count(db, models.Audit) == 1


def test_two_new_audits_of_one_batch_pointing_at_one_photo_leave_it_to_the_first(db, org, submitter):
    shopper = Viewer(org.shopper, "shopper@example.com", "Sam", "shopper")
    photo_id = str(photos.store(db, shopper, uuid4(), actors.picture()).id)
    answers = actors.answers_for(org.main)
    answers["warm_greeting"] = {"value": "yes", "photos": [photo_id]}
    one = submission(org.main, answers=answers, assignment=org.visits[0])
    two = submission(org.main, answers=answers, store="NTH-002", assignment=org.visits[1])
    outcomes = submitter.store_batch([audits.prepare(db, one, org.shopper), audits.prepare(db, two, org.shopper)])
    assert [o.status for o in outcomes] == ["created", "invalid"]
    assert [(p.field, p.message) for p in outcomes[1].problems] == [
        ("warm_greeting", f"photo {photo_id} belongs to another audit")
    ]
    with db.session() as session:
        assert (session.get(models.Photo, photo_id).audit_id, count(db, models.Audit)) == (str(one.id), 1)


def test_an_unknown_store_is_refused_and_the_rest_of_the_batch_is_stored(db, org, submitter):
    good, bad = submission(org.main), submission(org.main, store="XXX-999")
    outcomes = submitter.store_batch([audits.prepare(db, good), audits.prepare(db, bad)])
    assert [o.status for o in outcomes] == ["created", "invalid"]
    assert outcomes[1].problems[0].field == "store"
    assert count(db, models.Audit) == 1


def test_audit_answers_and_scores_are_written_in_one_transaction(db, org, submitter, monkeypatch):
    real_insert = bulk.insert_values

    def failing_insert(connection, table, values):
        if table is models.Answer.__table__:
            raise RuntimeError("disk gone")
        real_insert(connection, table, values)

    monkeypatch.setattr(bulk, "insert_values", failing_insert)
    with pytest.raises(RuntimeError):
        audits.submit(db, submitter, submission(org.main))
    monkeypatch.undo()
    assert (count(db, models.Audit), count(db, models.AuditSection), count(db, models.Answer)) == (0, 0, 0)


def test_it_scores_against_the_version_the_audit_was_filled_in_with(db, org, submitter):
    sub = submission(org.quick)
    assert audits.submit(db, submitter, sub).audit["checklist_version"] == org.quick.version


def test_the_checklist_key_must_match_the_version(db, org, submitter):
    outcome = audits.submit(db, submitter, submission(org.main, checklist="quick-visit"))
    assert outcome.status == "invalid" and outcome.problems[0].field == "checklist"


def test_visit_times_must_make_sense(db, org, submitter):
    sub = submission(org.main)
    backwards = sub.model_copy(update={"started_at": sub.finished_at, "finished_at": sub.started_at})
    outcome = audits.submit(db, submitter, backwards)
    assert outcome.status == "invalid" and outcome.problems[0].field == "finished_at"


def test_the_id_is_the_phone_made_uuid(db, org, submitter):
    sub = submission(org.main, id="2f1b6a4e-8d3c-4a8e-9b1f-0c2d3e4f5a6b")
    assert audits.submit(db, submitter, sub).audit["id"] == str(UUID("2f1b6a4e-8d3c-4a8e-9b1f-0c2d3e4f5a6b"))
