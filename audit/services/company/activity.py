"""The owners' activity trail: one list of everything people did, read from three records.

- administrative changes, written here with `record` inside the transaction of the
  change itself, so a change is never stored without its line (nor the other way);
- security events (sign-ins, accounts), written by `people.accounts`;
- what managers did to audits (excluded, restored, approved, sent back) and shoppers'
  resubmissions, written by `audits.review` into each audit's own history.

Each keeps the table that suits its readers; the page reads the three through one UNION
ALL, newest first, filtered in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from audit.storage import models
from audit.storage.db import Database
from audit.storage.models import Role

# What the filter offers: the security kinds of services.accounts, then the changes written here.
SECURITY_KINDS = (
    "signed_in",
    "sign_in_failed",
    "signed_out",
    "password_changed",
    "user_created",
    "user_changed",
    "user_disabled",
    "user_enabled",
    "link_created",
    "link_used",
)
CHANGE_KINDS = (
    "region_created",
    "region_changed",
    "region_archived",
    "region_restored",
    "store_created",
    "store_changed",
    "store_archived",
    "store_restored",
    "stores_imported",
    "checklist_published",
    "checklist_archived",
    "checklist_restored",
    "visits_planned",
    "visit_cancelled",
    "branding_changed",
    # action plans (services.plans): each step of a store's plan
    "plan_opened",
    "plan_failures_added",
    "plan_written",
    "plan_submitted",
    "plan_returned",
    "plan_accepted",
    "plan_verified",
    "plan_closed",
)
# What managers and shoppers did to audits, kept in each audit's history (audits.review).
AUDIT_KINDS = ("approved", "sent_back", "resubmitted", "excluded", "restored")
CATEGORIES = ("security", "change", "audit")
PAGE = 200


@dataclass(frozen=True)
class Entry:
    at: datetime
    category: str  # "security", "change" or "audit"
    kind: str
    subject: str
    actor: str
    client: str
    detail: str


@dataclass(frozen=True)
class Filters:
    category: str = ""
    kind: str = ""
    actor: str = ""
    text: str = ""
    start: datetime | None = None
    end: datetime | None = None


def record(session: sa.orm.Session, actor_id: int | None, kind: str, subject: str, detail: str = "") -> None:
    """Adds one change to the caller's transaction."""
    assert kind in CHANGE_KINDS, kind
    session.add(
        models.Change(at=models.now(), actor_id=actor_id, kind=kind, subject=subject[:200], detail=detail[:1000])
    )


def entries(db: Database, filters: Filters, limit: int = PAGE) -> list[Entry]:
    """Newest first, at most `limit`, filtered by category, kind, who did it, words and time."""
    actor = sa.orm.aliased(models.User)
    security = sa.select(
        models.SecurityEvent.at.label("at"),
        sa.literal("security").label("category"),
        models.SecurityEvent.kind.label("kind"),
        models.SecurityEvent.email.label("subject"),
        sa.func.coalesce(actor.email, "").label("actor"),
        models.SecurityEvent.client.label("client"),
        models.SecurityEvent.detail.label("detail"),
    ).outerjoin(actor, actor.id == models.SecurityEvent.actor_id)
    changer = sa.orm.aliased(models.User)
    changes = sa.select(
        models.Change.at.label("at"),
        sa.literal("change").label("category"),
        models.Change.kind.label("kind"),
        models.Change.subject.label("subject"),
        sa.func.coalesce(changer.email, "").label("actor"),
        sa.literal("").label("client"),
        models.Change.detail.label("detail"),
    ).outerjoin(changer, changer.id == models.Change.actor_id)
    reviewer = sa.orm.aliased(models.User)
    on_audits = (
        sa.select(
            models.AuditEvent.at.label("at"),
            sa.literal("audit").label("category"),
            models.AuditEvent.kind.label("kind"),
            (models.Store.code + " · audit " + sa.func.substr(models.AuditEvent.audit_id, 1, 8)).label("subject"),
            sa.func.coalesce(reviewer.email, "").label("actor"),
            sa.literal("").label("client"),
            models.AuditEvent.note.label("detail"),
        )
        .join(models.Audit, models.Audit.id == models.AuditEvent.audit_id)
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .outerjoin(reviewer, reviewer.id == models.AuditEvent.actor_id)
    )
    sources = ((security, "security"), (changes, "change"), (on_audits, "audit"))
    parts = [q for q, name in sources if filters.category in ("", name)]
    both = sa.union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    query = sa.select(both).order_by(both.c.at.desc()).limit(limit)
    if filters.kind:
        query = query.where(both.c.kind == filters.kind)
    if filters.actor:
        query = query.where(both.c.actor == filters.actor.strip().lower())
    if filters.text:
        pattern = f"%{_escape(filters.text.strip().lower())}%"
        query = query.where(
            sa.or_(
                sa.func.lower(both.c.subject).like(pattern, escape="\\"),
                sa.func.lower(both.c.detail).like(pattern, escape="\\"),
            )
        )
    if filters.start:
        query = query.where(both.c.at >= filters.start)
    if filters.end:
        query = query.where(both.c.at < filters.end)
    with db.session() as session:
        rows = session.execute(query).all()
    return [Entry(*row) for row in rows]


def actors(db: Database) -> list[str]:
    """Everyone who has made an administrative change or been an actor in a security event."""
    query = sa.union(
        sa.select(models.User.email).join(models.Change, models.Change.actor_id == models.User.id),
        sa.select(models.User.email).join(models.AuditEvent, models.AuditEvent.actor_id == models.User.id),
        sa.select(models.User.email).where(models.User.role == Role.OWNER),
    )
    with db.session() as session:
        return sorted(session.scalars(query).all())


@dataclass(frozen=True)
class Page:
    """The activity page: the entries that match, and everyone the actor filter offers."""

    entries: list[Entry]
    actors: list[str]


def page(db: Database, filters: Filters, limit: int = PAGE) -> Page:
    """The entries of `entries`, and the actors of `actors`, for one page."""
    return Page(entries(db, filters, limit), actors(db))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
