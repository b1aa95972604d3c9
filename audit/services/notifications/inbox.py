"""A person's notifications: told inside the caller's transaction, each event once per
person; the in-app list, the unread count, and marking everything read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from audit.services.access import Viewer
from audit.storage import models
from audit.storage.db import Database, Lookup
from audit.storage.models import Role

SHOWN = 100  # the newest this many on the page
MAX_LINE = 500


@dataclass(frozen=True)
class News:
    """What to tell: `key` names the event, so that no one is told of it twice."""

    kind: str
    line: str
    link: str
    key: str


def tell(session: Session, user_ids: Iterable[int], news: News) -> list[int]:
    """Adds the notification for each person not yet told of this event, in the caller's
    transaction, and gives back who was told now. INSERT ... ON CONFLICT DO NOTHING on both
    databases: a second telling (a repeated run, a race between two) neither fails nor
    aborts the transaction it is in. The mail goes out later (`delivery`)."""
    table = models.Notification.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = models.now()
    told = []
    for user_id in sorted(set(user_ids)):
        row = {
            "user_id": user_id, "created_at": now, "kind": news.kind, "line": news.line[:MAX_LINE],
            "link": news.link, "mail_state": "pending", "attempts": 0, "next_attempt_at": now, "last_error": "",
            "dedupe_key": news.key,
        }  # fmt: skip
        result = session.execute(
            insert(table).values(row).on_conflict_do_nothing(index_elements=["dedupe_key", "user_id"])
        )
        if result.rowcount:  # type: ignore[attr-defined]
            told.append(user_id)
    return told


def told_already(session: Session, keys: Iterable[str]) -> set[str]:
    """The events among `keys` someone has been told of."""
    keys = list(keys)
    if not keys:
        return set()
    query = sa.select(models.Notification.dedupe_key).where(models.Notification.dedupe_key.in_(keys)).distinct()
    return set(session.scalars(query))


def region_managers(session: Session, region_id: int) -> list[int]:
    """The managers of a region who can sign in; its owners when it has none (they decide its
    plans then), so an event is never told to no one."""
    enabled = models.User.disabled.is_(False)
    managers = list(
        session.scalars(
            sa.select(models.User.id)
            .join(models.UserRegion, models.UserRegion.user_id == models.User.id)
            .where(models.UserRegion.region_id == region_id, models.User.role == Role.MANAGER, enabled)
            .order_by(models.User.id)
        )
    )
    if managers:
        return managers
    owners = sa.select(models.User.id).where(models.User.role == Role.OWNER, enabled).order_by(models.User.id)
    return list(session.scalars(owners))


@dataclass(frozen=True)
class Notice:
    """One notification as the page shows it."""

    id: int
    created_at: datetime
    kind: str
    line: str
    link: str
    read: bool


@dataclass(frozen=True)
class Inbox:
    notices: list[Notice]
    unread: int
    total: int


def inbox(db: Database, viewer: Viewer) -> Inbox:
    """The viewer's own notifications, newest first (the newest `SHOWN`)."""
    mine = models.Notification.user_id == viewer.id
    with db.session() as session:
        rows = session.execute(
            sa.select(
                models.Notification.id, models.Notification.created_at, models.Notification.kind,
                models.Notification.line, models.Notification.link, models.Notification.read_at,
            )
            .where(mine)
            .order_by(models.Notification.id.desc())
            .limit(SHOWN)
        ).all()  # fmt: skip
        total, unread = session.execute(
            sa.select(sa.func.count(), sa.func.count().filter(models.Notification.read_at.is_(None))).where(mine)
        ).one()
    notices = [Notice(i, at, kind, line, link, read_at is not None) for i, at, kind, line, link, read_at in rows]
    return Inbox(notices, int(unread), int(total))


_UNREAD = Lookup(
    sa.select(sa.func.count()).where(
        models.Notification.user_id == sa.bindparam("user_id"), models.Notification.read_at.is_(None)
    )
)


def unread(db: Database, user_id: int) -> int:
    """How many of the person's notifications are unread: the count beside the account menu
    of every page, so a `Lookup` (an indexed count sent straight to the driver)."""
    row = _UNREAD.first(db, user_id=user_id)
    return int(row[0]) if row else 0


def mark_all_read(db: Database, viewer: Viewer) -> int:
    """Marks every unread notification of the viewer read; how many were."""
    with db.write_session() as session:
        result = session.execute(
            sa.update(models.Notification)
            .where(models.Notification.user_id == viewer.id, models.Notification.read_at.is_(None))
            .values(read_at=models.now())
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
