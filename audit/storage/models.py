"""The tables. Knows columns and keys only; no rules live here.

Times are stored as naive UTC (`UTCDateTime`) so SQLite and PostgreSQL hold the
same values and comparisons in SQL mean the same on both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class Role(StrEnum):
    """Who a person is in the company; each role sees what `services.access` lets it."""

    OWNER = "owner"
    MANAGER = "manager"
    SHOPPER = "shopper"
    STORE = "store"  # a store's manager: their stores only, the store's copy of audits


class ReviewState(StrEnum):
    """Where an audit stands in review (`AUDIT_REVIEW_REQUIRED`); it counts once approved."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    SENT_BACK = "sent_back"


class UTCDateTime(sa.types.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; naive UTC in the column."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


def _utc(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


class Region(SQLModel, table=True):
    __tablename__ = "regions"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    archived: bool = False


class Store(SQLModel, table=True):
    __tablename__ = "stores"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    region_id: int = Field(foreign_key="regions.id", index=True)
    address: str = Field(default="", max_length=500)
    timezone: str = Field(default="", max_length=64)
    archived: bool = False


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("role IN ('owner', 'manager', 'shopper', 'store')", name="ck_users_role"),)
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(default="", max_length=200)
    role: str = Field(max_length=16)
    created_at: datetime = _utc()
    password_hash: str | None = Field(default=None, max_length=255)
    disabled: bool = False


class UserRegion(SQLModel, table=True):
    """The regions a manager looks after."""

    __tablename__ = "user_regions"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    region_id: int = Field(foreign_key="regions.id", primary_key=True)


class UserStore(SQLModel, table=True):
    """The stores a store manager looks after."""

    __tablename__ = "user_stores"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    store_id: int = Field(foreign_key="stores.id", primary_key=True, index=True)


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random token; only its hash is stored,
    so a copy of the database cannot be used to sign in, and deleting the row signs out."""

    __tablename__ = "sessions"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()


class SecurityEvent(SQLModel, table=True):
    """Sign-ins, failures, password and role changes: who, what, when, from where."""

    __tablename__ = "security_events"
    __table_args__ = (sa.Index("ix_security_events_kind_at", "kind", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc()
    kind: str = Field(max_length=32)
    email: str = Field(default="", max_length=320)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    client: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=500)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins counted per email, client address or known device (see accounts.sign_in).

    `clear_at` is when every failure counted so far is forgiven (one every few minutes),
    so the count now is how many forgiving periods lie between now and then; `last_at`
    is the latest attempt, from which a growing wait is measured. A row whose `clear_at`
    has passed means nothing and is deleted.
    """

    __tablename__ = "sign_in_throttles"
    scope: str = Field(primary_key=True, max_length=8)  # email, client or device
    subject: str = Field(primary_key=True, max_length=320)
    clear_at: datetime = _utc(index=True)
    last_at: datetime = _utc()


class Invitation(SQLModel, table=True):
    """A one-time link that lets a person set their own password (first time or reset).
    Only the token's hash is stored, like sessions: a copy of the database opens nothing."""

    __tablename__ = "invitations"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    purpose: str = Field(max_length=16)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")


class Change(SQLModel, table=True):
    """An administrative change (store, checklist, assignment...): who, what, when."""

    __tablename__ = "changes"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    kind: str = Field(max_length=32)
    subject: str = Field(default="", max_length=200)
    detail: str = Field(default="", max_length=1000)


class Branding(SQLModel, table=True):
    """The brand as owners set it in the browser: one row (id 1), absent until first saved.
    An empty name or accent, or no logo, falls back to the AUDIT_BRAND_* settings."""

    __tablename__ = "branding"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=80)
    accent: str = Field(default="", max_length=7)  # "#rrggbb"
    logo: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True))  # re-encoded
    logo_type: str = Field(default="", max_length=32)
    updated_at: datetime = _utc()
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")


class Checklist(SQLModel, table=True):
    """A checklist's stable identity; its content lives in versions."""

    __tablename__ = "checklists"
    key: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=200)
    current_version_id: str = Field(max_length=16)
    archived: bool = False


class ChecklistVersion(SQLModel, table=True):
    """One exact content of a checklist, named by its content hash; never changed once stored."""

    __tablename__ = "checklist_versions"
    id: str = Field(primary_key=True, max_length=16)
    checklist_key: str = Field(foreign_key="checklists.key", index=True, max_length=64)
    title: str = Field(max_length=200)
    spec: dict = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    source: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = _utc()


class Assignment(SQLModel, table=True):
    """A planned visit: this shopper, this store, this checklist, between these dates."""

    __tablename__ = "assignments"
    __table_args__ = (sa.Index("ix_assignments_shopper_window", "shopper_id", "ends_on"),)
    id: int | None = Field(default=None, primary_key=True)
    shopper_id: int = Field(foreign_key="users.id")
    store_id: int = Field(foreign_key="stores.id", index=True)
    checklist_key: str = Field(foreign_key="checklists.key", max_length=64)
    starts_on: date
    ends_on: date
    created_at: datetime = _utc()
    cancelled: bool = False


class Audit(SQLModel, table=True):
    """A submitted visit, keyed by the UUID the phone made, with its scores stored at submission."""

    __tablename__ = "audits"
    __table_args__ = (
        sa.Index("ix_audits_store_finished", "store_id", "finished_at"),
        # every store's counted audits of a period in one range of one index (migration 0015)
        sa.Index(
            "ix_audits_finished_covering", "finished_at", "checklist_version_id", "store_id", "score", "excluded",
            "needs_review", "review_state", "critical_failed",
        ),
    )  # fmt: skip
    id: str = Field(primary_key=True, max_length=36)
    store_id: int = Field(foreign_key="stores.id")
    checklist_version_id: str = Field(foreign_key="checklist_versions.id", index=True, max_length=16)
    shopper_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    assignment_id: int | None = Field(default=None, foreign_key="assignments.id", index=True)
    started_at: datetime = _utc()
    finished_at: datetime = _utc()
    submitted_at: datetime = _utc()
    notes: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    earned: float
    possible: float
    score: float | None = None
    critical_failed: bool = False
    excluded: bool = False
    excluded_reason: str = Field(default="", max_length=1000)
    excluded_by_id: int | None = Field(default=None, foreign_key="users.id")
    excluded_at: datetime | None = _utc(nullable=True)
    content_hash: str = Field(max_length=64)
    # Review: an audit made while review was required counts only once approved.
    needs_review: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    review_state: str = Field(
        default=ReviewState.SUBMITTED.value,
        sa_column=sa.Column(sa.String(16), nullable=False, server_default="submitted"),
    )
    review_note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    reviewed_by_id: int | None = Field(default=None, foreign_key="users.id")
    reviewed_at: datetime | None = _utc(nullable=True)
    revision: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))


def past_review() -> sa.ColumnElement[bool]:
    """Audits review is done with: made while review was off, or approved (not waiting, not
    sent back). The only ones a store's manager sees."""
    return sa.or_(Audit.needs_review.is_(False), Audit.review_state == ReviewState.APPROVED)


def counted_audits() -> sa.ColumnElement[bool]:
    """The audits that count in every score: not excluded, and approved when they needed review."""
    return sa.and_(Audit.excluded.is_(False), past_review())


class AuditEvent(SQLModel, table=True):
    """The history of an audit: submitted, sent back, resubmitted (with the revision it
    replaced, kept whole), approved, excluded, restored."""

    __tablename__ = "audit_events"
    id: int | None = Field(default=None, primary_key=True)
    audit_id: str = Field(foreign_key="audits.id", index=True, max_length=36)
    at: datetime = _utc()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    kind: str = Field(max_length=16)
    revision: int = 1
    note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    snapshot: dict | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))


class AuditSection(SQLModel, table=True):
    __tablename__ = "audit_sections"
    __table_args__ = {"sqlite_with_rowid": False}  # rows live in the primary key's B-tree (see 0007)
    audit_id: str = Field(foreign_key="audits.id", primary_key=True, max_length=36)
    section_key: str = Field(primary_key=True, max_length=64)
    earned: float
    possible: float
    score: float | None = None


class Answer(SQLModel, table=True):
    """One answer with what it earned, so failure rates are a GROUP BY away."""

    __tablename__ = "answers"
    __table_args__ = {"sqlite_with_rowid": False}  # one B-tree per row written (see migration 0007)
    audit_id: str = Field(foreign_key="audits.id", primary_key=True, max_length=36)
    item_key: str = Field(primary_key=True, max_length=64)
    section_key: str = Field(max_length=64)
    value: Any = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    comment: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    na: bool = False
    earned: float = 0.0
    possible: float = 0.0
    failed: bool = False


class Photo(SQLModel, table=True):
    __tablename__ = "photos"
    id: str = Field(primary_key=True, max_length=36)
    audit_id: str | None = Field(default=None, foreign_key="audits.id", index=True, max_length=36)
    item_key: str = Field(default="", max_length=64)
    # who uploaded it: a photo travels ahead of its audit, unattached until the audit arrives
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    content_type: str = Field(max_length=64)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_at: datetime = _utc()


class ReportJob(SQLModel, table=True):
    """A report or ZIP made in the background for one person (`services.reports.jobs`): what
    was asked, how far it got, and, once done, its file in `report_job_chunks` until
    `expires_at`. The row is the job's truth; the queue only carries its id."""

    __tablename__ = "report_jobs"
    id: str = Field(primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="users.id", index=True)
    kind: str = Field(max_length=16)  # zip, region, company
    scope: str = Field(default="", max_length=16)  # region or store (a ZIP's)
    code: str = Field(default="", max_length=32)
    first_day: date
    last_day: date
    preset: str = Field(default="", max_length=16)
    checklist: str = Field(default="", max_length=64)
    title: str = Field(max_length=300)
    filename: str = Field(default="", max_length=200)
    state: str = Field(default="queued", max_length=16, index=True)  # queued, running, done, failed
    total: int = 0
    done: int = 0
    size: int = 0
    message: str = Field(default="", max_length=1000)
    attempt: int = 0
    worker: str = Field(default="", max_length=200)
    created_at: datetime = _utc()
    started_at: datetime | None = _utc(nullable=True)
    heartbeat_at: datetime = _utc(index=True)
    finished_at: datetime | None = _utc(nullable=True)
    expires_at: datetime | None = _utc(nullable=True, index=True)


class ReportJobChunk(SQLModel, table=True):
    """A finished job's file, in pieces of about a megabyte, so any machine can serve it."""

    __tablename__ = "report_job_chunks"
    job_id: str = Field(foreign_key="report_jobs.id", primary_key=True, max_length=36)
    attempt: int = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


# The queue that carries report jobs' ids on PostgreSQL: huey's PostgresStorage with the table
# prefix "report_queue" reads and writes these tables as it declares them (the messages, and
# its key-value store, where it looks up revoked tasks); huey makes no tables here, the
# migration does. On SQLite the queue is a file of its own (services/reports/jobs.py).
report_queue_task = sa.Table(
    "report_queue_task",
    SQLModel.metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("queue", sa.Text, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("priority", sa.Double, nullable=False, server_default="0.0"),
    sa.Index("report_queue_task_queue_priority_id", "queue", "priority", "id"),
)

report_queue_kv = sa.Table(
    "report_queue_kv",
    SQLModel.metadata,
    sa.Column("queue", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.LargeBinary, nullable=False),
)


class ActionPlan(SQLModel, table=True):
    """A store's action plan after a weak audit (`services.plans`): open, submitted, accepted,
    closed. `open_store_id` is the store's id while the plan is not closed, else NULL: being
    unique, it lets a store have one plan not closed at a time."""

    __tablename__ = "action_plans"
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="stores.id", index=True)
    open_store_id: int | None = Field(default=None, foreign_key="stores.id", unique=True)
    state: str = Field(default="open", max_length=16)
    opened_at: datetime = _utc()
    respond_by: date
    submitted_at: datetime | None = _utc(nullable=True)
    decided_at: datetime | None = _utc(nullable=True)
    closed_at: datetime | None = _utc(nullable=True)
    return_note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))


class PlanItem(SQLModel, table=True):
    """One failed behaviour in a plan: the checklist's question and guidance as they were when
    it was found, what the store will change, who, by when, and what the next audit said."""

    __tablename__ = "plan_items"
    __table_args__ = (sa.UniqueConstraint("plan_id", "item_key", name="uq_plan_items_plan_item"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plans.id", index=True)
    item_key: str = Field(max_length=64)
    question: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    guidance: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    found_audit_id: str = Field(foreign_key="audits.id", max_length=36)
    found_at: datetime = _utc()  # the finished time of that audit: only a later visit verifies
    action: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    owner: str = Field(default="", max_length=200)
    due_on: date | None = None
    verification: str = Field(default="unverified", max_length=16)
    verified_audit_id: str | None = Field(default=None, foreign_key="audits.id", max_length=36)
    verified_at: datetime | None = _utc(nullable=True)


class PlanEvent(SQLModel, table=True):
    """A plan's history: opened, failures added, written, submitted, returned (with the note),
    accepted, verified, closed; who and when (no one: the system, on an audit)."""

    __tablename__ = "plan_events"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plans.id", index=True)
    at: datetime = _utc()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    kind: str = Field(max_length=32)
    audit_id: str | None = Field(default=None, foreign_key="audits.id", max_length=36)
    note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))


class Notification(SQLModel, table=True):
    """Something a person is told (`services.notifications`): the line the in-app list shows,
    where it leads, whether it was read, and its mail's state: pending (sending: claimed by
    a sender until `next_attempt_at`), sent, failed (for good) or none (not mailed).
    `dedupe_key` names the event: one person is never told of the same event twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("dedupe_key", "user_id", name="uq_notifications_event_user"),
        sa.Index("ix_notifications_user", "user_id", "id"),  # a person's list, newest first, and unread count
        sa.Index("ix_notifications_mail_due", "mail_state", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    created_at: datetime = _utc()
    kind: str = Field(max_length=32)
    line: str = Field(max_length=500)
    link: str = Field(default="", max_length=300)
    read_at: datetime | None = _utc(nullable=True)
    mail_state: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = _utc(nullable=True)
    last_error: str = Field(default="", max_length=500)
    dedupe_key: str = Field(max_length=200)
