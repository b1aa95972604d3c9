"""The mail of pending notifications, through the AUDIT_SMTP_* settings.

A sender first claims the rows it will send (in one short transaction: `sending`, with
`next_attempt_at` pushed to the end of the claim), then sends each, then marks it sent. So
two senders never send the same row, and a sender that dies between sending and marking
loses nothing: when its claim runs out the row is taken again and sent once more. That
rare second mail is the price of never losing one (at least once, never at most once).

A failure puts the row back as pending with a growing wait (`WAITS`); after the last one
it is failed for good, and stays in the app's list like every notification. Without
AUDIT_SMTP_HOST nothing is mailed: pending rows are marked `none` (in-app only).

Logs name the notification and the mail server, never a person's address.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa

from audit.services.people import mail
from audit.settings import Settings, Smtp
from audit.storage import models
from audit.storage.db import Database

log = logging.getLogger(__name__)

# the wait after the 1st, 2nd, ... failure: about a day in all, then failed for good
WAITS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360, 720))
CLAIM = timedelta(minutes=10)  # a claimed row not marked by then is taken again: its sender died
BATCH = 50
ADDRESS = re.compile(r"[^\s<>()\[\]'\",;:]+@[^\s<>()\[\]'\",;:]+")
LIVE = ("pending", "sending")


class NotMailed(Exception):
    """This notification is not to be mailed after all; the message says why (no address)."""


@dataclass(frozen=True)
class Outgoing:
    """A claimed notification with what its mail needs."""

    id: int
    user_id: int
    email: str
    name: str
    role: str
    disabled: bool
    kind: str
    line: str
    link: str
    key: str
    attempts: int  # including this one


@dataclass
class Delivered:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    not_mailed: int = 0


Compose = Callable[[Outgoing], EmailMessage]


def scrub(text: str) -> str:
    """An error as it may be logged and stored: without mail addresses (personal data)."""
    return ADDRESS.sub("(address)", text)[:500]


def _due(now: datetime, kind: str | None) -> sa.ColumnElement[bool]:
    n = models.Notification
    condition = sa.and_(n.mail_state.in_(LIVE), n.next_attempt_at <= now)
    return sa.and_(condition, n.kind == kind) if kind else condition


def not_mailed(db: Database, now: datetime, kind: str | None = None) -> int:
    """No mail server: every due notification stays in the app only."""
    with db.write_session() as session:
        result = session.execute(
            sa.update(models.Notification)
            .where(_due(now, kind))
            .values(mail_state="none", next_attempt_at=None, last_error="no mail server (AUDIT_SMTP_HOST empty)")
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def claim(db: Database, now: datetime, kind: str | None = None, limit: int = BATCH) -> list[Outgoing]:
    """Takes up to `limit` due rows for this sender until `now + CLAIM` (SKIP LOCKED on
    PostgreSQL, the write lock on SQLite: no two senders take the same row)."""
    n, u = models.Notification, models.User
    with db.write_session() as session:
        ids = list(
            session.scalars(
                sa.select(n.id)
                .where(_due(now, kind))
                .order_by(n.next_attempt_at, n.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        session.execute(
            sa.update(n)
            .where(n.id.in_(ids))
            .values(mail_state="sending", next_attempt_at=now + CLAIM, attempts=n.attempts + 1)
        )
        rows = session.execute(
            sa.select(
                n.id, n.user_id, u.email, u.name, u.role, u.disabled, n.kind, n.line, n.link, n.dedupe_key, n.attempts
            )
            .join(u, u.id == n.user_id)
            .where(n.id.in_(ids))
            .order_by(n.next_attempt_at, n.id)
        ).all()
    return [Outgoing(*row) for row in rows]


def _mark(db: Database, notice: Outgoing, **values: Any) -> None:
    """Marks a row this sender still holds (a row whose claim ran out and was taken again
    belongs to its new sender, who marks it)."""
    with db.write_session() as session:
        session.execute(
            sa.update(models.Notification)
            .where(
                models.Notification.id == notice.id,
                models.Notification.mail_state == "sending",
                models.Notification.attempts == notice.attempts,
            )
            .values(**values)
        )


def _failed(db: Database, notice: Outgoing, error: str, now: datetime, result: Delivered) -> None:
    error = scrub(error)
    if notice.attempts > len(WAITS):
        log.error("notification %s (%s): mail failed for good after %d attempts: %s", notice.id, notice.kind,
                  notice.attempts, error)  # fmt: skip
        _mark(db, notice, mail_state="failed", next_attempt_at=None, last_error=error)
        result.failed += 1
        return
    wait = WAITS[notice.attempts - 1]
    log.warning("notification %s (%s): mail attempt %d failed, next in %s: %s", notice.id, notice.kind,
                notice.attempts, wait, error)  # fmt: skip
    _mark(db, notice, mail_state="pending", next_attempt_at=now + wait, last_error=error)
    result.retrying += 1


def message(settings: Settings, smtp: Smtp, notice: Outgoing) -> EmailMessage:
    """The mail of a plain notification: its line, and the link to it."""
    out = EmailMessage()
    out["From"], out["To"] = smtp.sender, notice.email
    out["Subject"] = notice.line if len(notice.line) <= 150 else notice.line[:149] + "…"
    url = f"{settings.base_url}{notice.link}" if settings.base_url else f"{notice.link} (in {settings.brand_name})"
    listing = f"{settings.base_url}/notifications" if settings.base_url else "/notifications"
    greeting = f"Hello {notice.name}," if notice.name else "Hello,"
    out.set_content(f"{greeting}\n\n{notice.line}\n\n{url}\n\nEverything you were told is listed at {listing}.\n")
    return out


def deliver(
    db: Database,
    now: datetime | None = None,
    kind: str | None = None,
    compose: Callable[[Outgoing], EmailMessage] | None = None,
) -> Delivered:
    """Sends every due notification (of `kind`, if given), a batch at a time, until none is due."""
    now = now or models.now()
    result = Delivered()
    smtp = db.settings.smtp
    if smtp is None:
        result.not_mailed = not_mailed(db, now, kind)
        return result
    compose = compose or (lambda notice: message(db.settings, smtp, notice))
    while batch := claim(db, now, kind):
        for notice in batch:
            _send(db, smtp, notice, compose, now, result)
        if len(batch) < BATCH:
            break
    return result


def _send(db: Database, smtp: Smtp, notice: Outgoing, compose: Compose, now: datetime, result: Delivered) -> None:
    if notice.disabled:  # cannot sign in any more: not mailed
        _mark(db, notice, mail_state="none", next_attempt_at=None, last_error="the person is disabled")
        result.not_mailed += 1
        return
    try:
        out = compose(notice)
        mail.send(smtp, out)
    except NotMailed as exc:
        _mark(db, notice, mail_state="none", next_attempt_at=None, last_error=scrub(str(exc)))
        result.not_mailed += 1
        return
    except mail.MailFailed as exc:
        _failed(db, notice, str(exc), now, result)
        return
    except Exception as exc:  # a mail that cannot be made (a report that failed): retried like a refusal
        log.exception("notification %s (%s): its mail could not be made", notice.id, notice.kind)
        _failed(db, notice, f"the mail could not be made: {type(exc).__name__}", now, result)
        return
    _mark(db, notice, mail_state="sent", next_attempt_at=None, last_error="")
    result.sent += 1
