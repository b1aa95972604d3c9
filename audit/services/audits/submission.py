"""Submitting an audit: validate against its exact checklist version, score, store once.

Submission is idempotent on the UUID the phone made: the same UUID with the same
content gives back the stored audit; with other content it is a conflict. The
audit row, its section scores and its answers are written in one transaction.
Writes from concurrent requests are grouped (see `audit.storage.writer`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from typing import Any, Literal
from uuid import UUID

import anyio
import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, field_validator
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlalchemy.orm import Session

from audit.domain import answers as answers_module
from audit.domain import scoring
from audit.domain.answers import Answer
from audit.domain.checklist import Checklist
from audit.errors import Conflict, Invalid, Problem
from audit.services import checklists, plans
from audit.services.audits import photos, reading
from audit.services.planning import assignments
from audit.storage import bulk, models
from audit.storage.db import Database
from audit.storage.models import ReviewState
from audit.storage.writer import GroupWriter

log = logging.getLogger(__name__)
MAX_FUTURE = timedelta(hours=1)
MAX_VISIT = timedelta(hours=24)
MAX_AUDIT_PHOTOS = 20
MAX_ANSWER_PHOTOS = 5  # photos beside one answer (a photo item takes its one photo as its value)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: StrictStr | StrictInt | StrictFloat | None = Field(
        description='"yes" | "no" | "na", a number, an option key, or text, by item type'
    )
    comment: str = Field(default="", max_length=answers_module.MAX_TEXT)
    photos: list[UUID] = Field(
        default=[],
        max_length=MAX_ANSWER_PHOTOS,
        description="photos beside this answer, each uploaded first (PUT /api/photos/{photo_id}); "
        "not on a photo item, whose photo is its value",
    )


class Submission(BaseModel):
    """An audit as the phone sends it (`POST /api/audits`)."""

    model_config = ConfigDict(extra="forbid")
    id: UUID = Field(description="UUID made on the phone when the form was first opened")
    store: str = Field(min_length=1, max_length=32, description="store code, e.g. LDN-001")
    checklist: str = Field(min_length=1, max_length=64, description="checklist key")
    checklist_version: str = Field(min_length=1, max_length=16, description="version id the form was filled in with")
    started_at: AwareDatetime
    finished_at: AwareDatetime
    answers: dict[str, AnswerIn]
    notes: str = Field(default="", max_length=answers_module.MAX_TEXT)
    assignment: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="the planned visit this audit was made for"
    )
    photos: list[UUID] = Field(
        default=[], max_length=MAX_AUDIT_PHOTOS, description="photos of the whole visit, uploaded first"
    )
    revision: int = Field(
        default=1, ge=1, le=1000, description="1, or the next revision of an audit a manager sent back"
    )

    @field_validator("answers")
    @classmethod
    def _in_key_order(cls, answers: dict[str, AnswerIn]) -> dict[str, AnswerIn]:
        # one canonical order, so the content hash does not depend on how a client orders keys
        return dict(sorted(answers.items()))


@dataclass
class Prepared:
    """A checked and scored submission, as rows ready to insert."""

    id: str
    store_code: str
    content_hash: str
    spec: Checklist
    audit: dict[str, Any]
    sections: list[dict[str, Any]]
    answers: list[dict[str, Any]]
    photos: list[tuple[str, str]] = field(default_factory=list)  # (photo id, item key or "")
    # sections and answers as the database takes them (bulk.row_values), made before the
    # rows reach the writer thread
    section_values: list[Any] = field(default_factory=list)
    answer_values: list[Any] = field(default_factory=list)


@dataclass
class Outcome:
    status: Literal["created", "exists", "conflict", "invalid", "failed"]
    audit_id: str
    audit: dict[str, Any] | None = None  # shaped as AuditOut (see `complete`)
    problems: list[Problem] = field(default_factory=list)
    error: Exception | None = field(default=None, repr=False)  # why it "failed" (nothing stored)
    prepared: Prepared | None = field(default=None, repr=False)  # what was created


def prepare(
    db: Database, submission: Submission, shopper_id: int | None = None, *, planned_only: bool = True
) -> Prepared:
    """Check `submission` against its checklist version and score it; raises Invalid.

    A shopper's audit is taken only for a store they were sent to, whatever path it
    comes by (the API, a saved file); only the demo's made-up history (`planned_only=False`)
    has no planned visits behind it.
    """
    if planned_only and shopper_id is not None and not assignments.may_submit(db, shopper_id, submission.store):
        raise Invalid(problems=[Problem("store", f"you have no visit planned at store {submission.store!r}")])
    spec = checklists.version(db, submission.checklist_version)
    if spec is None:
        raise Invalid(
            problems=[Problem("checklist_version", f"unknown checklist version {submission.checklist_version!r}")]
        )
    if spec.key != submission.checklist:
        raise Invalid(
            problems=[
                Problem(
                    "checklist",
                    f"version {spec.version} belongs to checklist {spec.key!r}, not {submission.checklist!r}",
                )
            ]
        )
    problems = _time_problems(submission)
    given = {key: Answer(a.value, a.comment) for key, a in submission.answers.items()}
    problems += [Problem(e.item, e.message) for e in answers_module.check(spec, given)]
    problems += _answer_photo_problems(spec, submission)
    if submission.assignment is not None:
        problems += assignments.submission_problems(
            db, submission.assignment, shopper_id, submission.store, submission.finished_at
        )
    if problems:
        raise Invalid(problems=problems)
    result = scoring.score(spec, given)
    audit_id = str(submission.id)
    submitted = models.now()
    audit_row = {
        "id": audit_id,
        "checklist_version_id": spec.version,
        "shopper_id": shopper_id,
        "started_at": submission.started_at,
        "finished_at": submission.finished_at,
        "submitted_at": submitted,
        "notes": submission.notes,
        "earned": result.earned,
        "possible": result.possible,
        "score": result.percent,
        "critical_failed": result.critical_failed,
        "content_hash": content_hash(submission),
        "assignment_id": submission.assignment,
        "excluded": False,
        "excluded_reason": "",
        "excluded_by_id": None,
        "excluded_at": None,
        "needs_review": db.settings.review_required,
        "review_state": ReviewState.SUBMITTED.value,
        "review_note": "",
        "reviewed_by_id": None,
        "reviewed_at": None,
        "revision": submission.revision,
    }
    section_rows = [
        {"audit_id": audit_id, "section_key": s.key, "earned": s.earned, "possible": s.possible, "score": s.percent}
        for s in result.sections
    ]
    answer_rows = [
        {
            "audit_id": audit_id,
            "item_key": i.key,
            "section_key": i.section,
            "value": given[i.key].value,
            "comment": given[i.key].comment,
            "na": i.na,
            "earned": i.earned,
            "possible": i.possible,
            "failed": i.failed,
        }
        for i in result.items
        if i.key in given
    ]
    photo_refs = [
        (str(UUID(str(given[i.key].value))), i.key) for i in spec.items if i.type == "photo" and _filled(given, i.key)
    ]
    photo_refs += [(str(photo_id), key) for key, a in submission.answers.items() for photo_id in a.photos]
    photo_refs += [(str(photo_id), "") for photo_id in submission.photos]
    if twice := _given_twice(photo_refs):
        raise Invalid(problems=twice)
    dialect = db.write_engine.dialect
    return Prepared(
        audit_id,
        submission.store,
        audit_row["content_hash"],
        spec,
        audit_row,
        section_rows,
        answer_rows,
        photo_refs,
        bulk.row_values(dialect, models.AuditSection.__table__, section_rows),
        bulk.row_values(dialect, models.Answer.__table__, answer_rows),
    )


def _filled(given: dict[str, Answer], key: str) -> bool:
    answer = given.get(key)
    return answer is not None and not answer.is_blank and not answer.is_na


def _answer_photo_problems(spec: Checklist, submission: Submission) -> list[Problem]:
    """A photo item's photo is its value: photos beside the answer are for the other types."""
    return [
        Problem(key, "a photo item takes its photo as its value, not as photos beside the answer")
        for key, a in submission.answers.items()
        if a.photos and (item := spec.item(key)) is not None and item.type == "photo"
    ]


def _given_twice(refs: list[tuple[str, str]]) -> list[Problem]:
    """A photo belongs to one place of the audit: one answer, or the visit as a whole."""
    seen: set[str] = set()
    problems = []
    for photo_id, where in refs:
        if photo_id in seen:
            problems.append(Problem(where or "photos", f"photo {photo_id} is given twice in this audit"))
        seen.add(photo_id)
    return problems


def content_hash(submission: Submission) -> str:
    """What "the same content" means for a resubmission: every field the phone sent, normalised.
    An answer without photos hashes as it did before answers could carry them, so an audit
    stored then and sent again by its phone is still "the same"."""
    bare = {key: {"photos"} for key, a in submission.answers.items() if not a.photos}
    return hashlib.sha256(submission.model_dump_json(exclude={"answers": bare}).encode()).hexdigest()


def _time_problems(submission: Submission) -> list[Problem]:
    problems = []
    if submission.finished_at < submission.started_at:
        problems.append(Problem("finished_at", "the visit cannot finish before it started"))
    elif submission.finished_at - submission.started_at > MAX_VISIT:
        problems.append(Problem("finished_at", "a visit cannot last more than 24 hours"))
    if submission.finished_at > models.now() + MAX_FUTURE:
        problems.append(Problem("finished_at", "the visit finishes in the future; check the phone's clock"))
    if submission.started_at < EARLIEST:  # a phone whose clock was reset says 1970
        problems.append(Problem("started_at", "the visit starts before 2000; check the phone's clock"))
    return problems


class Submitter:
    """Stores prepared audits, grouping concurrent requests into one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.writer: GroupWriter[Prepared, Outcome] = GroupWriter(self.store_batch)

    def close(self) -> None:
        self.writer.close()

    def store_batch(self, batch: Sequence[Prepared]) -> list[Outcome]:
        try:
            with self.db.write_transaction() as connection:
                return _store(connection, batch, self.db.settings.today())
        except OperationalError:
            raise  # the database is away: every audit of the batch hears 503, none is stored
        except Exception:
            # One audit the database or its driver refused (a constraint, a value it would
            # not take) or another process inserting one of these ids between our check and our
            # insert (PostgreSQL writers take no common lock): store them one by one, so
            # only the audit at fault gets the error.
            log.warning("a batch of %d audit(s) failed; storing them one by one", len(batch))
            return [self._store_alone(prepared) for prepared in batch]

    def _store_alone(self, prepared: Prepared) -> Outcome:
        for attempt in (1, 2):
            try:
                with self.db.write_transaction() as connection:
                    return _store(connection, [prepared], self.db.settings.today())[0]
            except OperationalError:
                raise
            except IntegrityError as exc:
                if attempt == 2:  # not a race lost: this audit breaks a rule of the database
                    return _refused(prepared, exc)
            except StatementError as exc:  # the database or its driver would not take a value
                return _refused(prepared, exc)
            except Exception as exc:  # not the audit's fault: this request alone fails, to retry
                return Outcome("failed", prepared.id, error=exc)
        raise AssertionError("unreachable")


def _refused(prepared: Prepared, exc: StatementError) -> Outcome:
    reason = type(exc.orig or exc).__name__  # no values in the log
    log.error("audit %s refused by the database: %s", prepared.id, reason)
    problem = Problem("body", "the database refused this audit's data; nothing of it was stored")
    return Outcome("invalid", prepared.id, problems=[problem])


def _store(connection: sa.Connection, batch: Sequence[Prepared], today: date | None = None) -> list[Outcome]:
    audits_table, stores_table = models.Audit.__table__, models.Store.__table__
    found = bulk.select_in(
        connection, audits_table, ("id", "content_hash", "revision", "review_state"), "id", {p.id for p in batch}
    )
    stored = {audit_id: content for audit_id, content, _, _ in found}
    revisable = {audit_id: revision + 1 for audit_id, _, revision, state in found if state == ReviewState.SENT_BACK}
    stores = dict(bulk.select_in(connection, stores_table, ("code", "id"), "code", {p.store_code for p in batch}))
    planned = {p.audit["assignment_id"] for p in batch} - {None}
    # one audit per planned visit: checked here, in the write transaction, so two phones
    # reporting the same visit cannot both be stored
    reported = dict(bulk.select_in(connection, audits_table, ("assignment_id", "id"), "assignment_id", planned))
    outcomes: list[Outcome] = []
    new: list[Prepared] = []
    claimed: dict[str, str] = {}  # photo id -> the new audit of this batch that takes it
    for prepared in batch:
        next_revision = revisable.get(prepared.id)
        if prepared.id in stored and stored[prepared.id] != prepared.content_hash and next_revision:
            if prepared.audit["revision"] != next_revision:
                message = f"audit {prepared.id} was sent back: send it as revision {next_revision}"
                outcomes.append(Outcome("conflict", prepared.id, problems=[Problem("revision", message)]))
            elif problems := photos.attachable_problems(
                connection, prepared.photos, prepared.id, prepared.audit["shopper_id"]
            ):
                outcomes.append(Outcome("invalid", prepared.id, problems=problems))
            else:
                _revise(connection, prepared)
                outcomes.append(Outcome("created", prepared.id))  # read back: it keeps some of the old columns
                stored[prepared.id] = prepared.content_hash
                del revisable[prepared.id]
        elif prepared.id in stored:
            same = stored[prepared.id] == prepared.content_hash
            outcomes.append(Outcome("exists", prepared.id) if same else _conflict(prepared))
        elif prepared.audit["revision"] != 1:
            problem = Problem("revision", f"there is no audit {prepared.id} to revise; send revision 1")
            outcomes.append(Outcome("invalid", prepared.id, problems=[problem]))
        elif (visit := prepared.audit["assignment_id"]) is not None and reported.get(visit, prepared.id) != prepared.id:
            message = (
                f"this visit to {prepared.store_code} was already reported, by audit {reported[visit][:8]}: "
                "a planned visit is reported once"
            )
            outcomes.append(Outcome("conflict", prepared.id, problems=[Problem("assignment", message)]))
        elif prepared.store_code not in stores:
            problem = Problem("store", f"unknown store {prepared.store_code!r}")
            outcomes.append(Outcome("invalid", prepared.id, problems=[problem]))
        elif problems := photos.attachable_problems(
            connection, prepared.photos, prepared.id, prepared.audit["shopper_id"]
        ) or _claimed_in_batch(prepared, claimed):
            outcomes.append(Outcome("invalid", prepared.id, problems=problems))
        else:
            claimed.update((photo_id, prepared.id) for photo_id, _ in prepared.photos)
            prepared.audit["store_id"] = stores[prepared.store_code]
            stored[prepared.id] = prepared.content_hash
            if prepared.audit["assignment_id"] is not None:
                reported[prepared.audit["assignment_id"]] = prepared.id
            new.append(prepared)
            outcomes.append(Outcome("created", prepared.id, prepared=prepared))
    if new:
        bulk.insert_rows(connection, models.Audit.__table__, [p.audit for p in new])
        # joined in C: a Python loop over thousands of values would hold the GIL all along
        bulk.insert_values(connection, models.AuditSection.__table__, _joined(p.section_values for p in new))
        bulk.insert_values(connection, models.Answer.__table__, _joined(p.answer_values for p in new))
        for p in new:
            photos.attach(connection, p.id, p.photos)
        _count_in_plans(connection, [p for p in new if not p.audit["needs_review"]], today or models.now().date())
    return outcomes


def _claimed_in_batch(prepared: Prepared, claimed: dict[str, str]) -> list[Problem]:
    """Photos an earlier new audit of the same batch takes: they are attached after the loop,
    so the database cannot say so yet."""
    return [
        Problem(where, f"photo {photo_id} belongs to another audit")
        for photo_id, where in prepared.photos
        if claimed.get(photo_id, prepared.id) != prepared.id
    ]


def _count_in_plans(connection: sa.Connection, counted: list[Prepared], today: date) -> None:
    """Audits that count from now on (no review) open, add to or verify their stores' action
    plans, in this transaction: one SELECT for the batch when none is weak and no store has a
    plan (see `services.plans`)."""
    if not counted:
        return
    audits = [
        plans.Counted(
            p.id, p.audit["store_id"], p.store_code, p.audit["finished_at"], p.audit["score"],
            p.audit["critical_failed"], p.spec,
            lambda p=p: [(a["item_key"], a["na"], a["possible"], a["failed"]) for a in p.answers],
        )
        for p in counted
    ]  # fmt: skip
    with Session(bind=connection, join_transaction_mode="rollback_only") as session:
        plans.counted(session, audits, None, today)
        session.flush()


def _joined(parts: Iterable[list[Any]]) -> list[Any]:
    return list(chain.from_iterable(parts))


def _revise(connection: sa.Connection, prepared: Prepared) -> None:
    """The sent-back audit takes the new revision's content; the revision it replaces is
    kept whole in the audit's history."""
    audit_id = prepared.id
    old = connection.execute(sa.select(models.Audit).where(models.Audit.id == audit_id)).mappings().one()
    answers = connection.execute(
        sa.select(models.Answer.item_key, models.Answer.value, models.Answer.comment, models.Answer.earned)
        .where(models.Answer.audit_id == audit_id)
        .order_by(models.Answer.item_key)
    ).all()
    kept_photos = connection.execute(
        sa.select(models.Photo.item_key, models.Photo.id)
        .where(models.Photo.audit_id == audit_id)
        .order_by(models.Photo.item_key, models.Photo.created_at)
    ).all()
    snapshot = {
        "revision": old["revision"],
        "submitted_at": old["submitted_at"].isoformat(),
        "started_at": old["started_at"].isoformat(),
        "finished_at": old["finished_at"].isoformat(),
        "score": old["score"],
        "notes": old["notes"],
        "review_note": old["review_note"],
        "answers": {
            key: {"value": value, "comment": comment, "earned": earned} for key, value, comment, earned in answers
        },
        "photos": [[key, photo_id] for key, photo_id in kept_photos],
    }
    connection.execute(
        sa.insert(models.AuditEvent).values(
            audit_id=audit_id, at=models.now(), actor_id=prepared.audit["shopper_id"], kind="resubmitted",
            revision=prepared.audit["revision"], note="", snapshot=snapshot,
        )
    )  # fmt: skip
    connection.execute(sa.delete(models.Answer).where(models.Answer.audit_id == audit_id))
    connection.execute(sa.delete(models.AuditSection).where(models.AuditSection.audit_id == audit_id))
    kept = ("id", "needs_review", "excluded", "excluded_reason", "excluded_by_id", "excluded_at", "shopper_id")
    changes = {k: v for k, v in prepared.audit.items() if k not in kept}
    connection.execute(sa.update(models.Audit).where(models.Audit.id == audit_id).values(**changes))
    bulk.insert_values(connection, models.AuditSection.__table__, prepared.section_values)
    bulk.insert_values(connection, models.Answer.__table__, prepared.answer_values)
    photos.reattach(connection, audit_id, prepared.photos)


def _conflict(prepared: Prepared) -> Outcome:
    message = f"audit {prepared.id} was already submitted with different content, and was not sent back for changes"
    return Outcome("conflict", prepared.id, problems=[Problem("id", message)])


async def submit_waiting(db: Database, submitter: Submitter, submission: Submission, shopper_id: int | None) -> Outcome:
    """The whole use case on an event loop: "created" or "exists" with the audit as stored
    (shaped as `AuditOut`); raises Invalid or Conflict. Checking and scoring run on the
    loop where reads are local (SQLite) and in a thread over the network, as
    `audit.web.auth.quick_read` does; the write joins the process's group commit."""
    if db.is_sqlite:
        prepared = prepare(db, submission, shopper_id)
    else:
        prepared = await anyio.to_thread.run_sync(prepare, db, submission, shopper_id)
    outcome = await submitter.writer.run(prepared)
    if reads_back(outcome):
        outcome = await anyio.to_thread.run_sync(complete, db, outcome)
    else:
        complete(db, outcome)
    raise_for(outcome)
    return outcome


def submit(db: Database, submitter: Submitter, submission: Submission, shopper_id: int | None = None) -> Outcome:
    """The whole use case for callers that may block (CLI, imports, tests)."""
    try:
        prepared = prepare(db, submission, shopper_id)
    except Invalid as exc:
        return Outcome("invalid", str(submission.id), problems=exc.problems)
    outcome = submitter.writer.submit(prepared).result()
    if outcome.error is not None:
        raise outcome.error
    return complete(db, outcome)


def complete(db: Database, outcome: Outcome) -> Outcome:
    """The outcome with the audit as stored: a new one is shaped from what was written
    (here, not on the writer thread, which is kept to the database's work); a revision
    or an "exists" one is read back (see `reads_back`)."""
    if reads_back(outcome):
        return Outcome(outcome.status, outcome.audit_id, audit=reading.get(db, outcome.audit_id))
    if outcome.audit is None and outcome.prepared is not None:
        outcome.audit = _view(outcome.prepared)
    return outcome


def reads_back(outcome: Outcome) -> bool:
    """Whether `complete` reads the audit from the database (off the event loop, then)."""
    return outcome.status == "exists" or (
        outcome.status == "created" and outcome.audit is None and outcome.prepared is None
    )


def _view(prepared: Prepared) -> dict[str, Any]:
    return reading.shaped(prepared.audit, prepared.store_code, prepared.spec, prepared.sections, prepared.answers)


def raise_for(outcome: Outcome) -> None:
    if outcome.error is not None:
        raise outcome.error
    if outcome.status == "invalid":
        raise Invalid(problems=outcome.problems)
    if outcome.status == "conflict":
        raise Conflict(outcome.problems[0].message, problems=outcome.problems)
