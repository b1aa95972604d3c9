"""One-time links that let a person set their own password: an invitation or a reset.

The owner never sees or sets anyone's password: they get a link to pass on (or the app
mails it). The link holds a random token; only its hash is stored, it works once, and it
expires (an invitation after a week, a reset after a day: a reset link in a mailbox is a
standing way in). Making a new link voids the person's older ones, and using one ends
every session of that person, as any password change does.

The owners' pages call `invite` (a new person and their link), `give` (a new link for
someone) and `choose_password` (the link page); `create`, `pending` and `accept` are the
steps they are made of.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from audit.errors import Conflict, Invalid, NotFound, Problem
from audit.services import scoped
from audit.services.access import Viewer
from audit.services.people import accounts, mail
from audit.settings import Smtp
from audit.storage import models
from audit.storage.db import Database

LIFETIME = {"invite": timedelta(days=7), "reset": timedelta(days=1)}


class LinkGone(NotFound):
    """This link has expired or was used already. Ask the person who sent it for a new one."""


@dataclass(frozen=True)
class Link:
    token: str
    purpose: str
    email: str
    name: str
    expires_at: datetime

    def url(self, base: str) -> str:
        return f"{base.rstrip('/')}/invite/{self.token}"


@dataclass(frozen=True)
class Pending:
    """What the link page shows before the password is chosen."""

    email: str
    name: str
    purpose: str
    expires_at: datetime


@dataclass(frozen=True)
class Given:
    """A link given to a person: shown to the owner once, and mailed when SMTP is set up."""

    user_id: int
    link: Link
    url: str
    sent: bool  # mailed
    failure: str  # why the mail could not be sent, when it was tried


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(db: Database, user_id: int, actor_id: int | None = None) -> Link:
    """A new link for the person: an invitation while they have no password, else a reset."""
    token = secrets.token_urlsafe(32)
    now = models.now()
    with db.write_session() as session:
        user = session.get(models.User, user_id)
        if user is None:
            raise NotFound(f"no person {user_id}")
        if user.disabled:
            raise Invalid(problems=[Problem("person", f"{user.email} is disabled; enable them first")])
        purpose = "reset" if user.password_hash else "invite"
        _void_links(session, user_id, now)
        expires = now + LIFETIME[purpose]
        session.add(
            models.Invitation(
                token_hash=_hash(token),
                user_id=user_id,
                purpose=purpose,
                created_at=now,
                expires_at=expires,
                created_by_id=actor_id,
            )
        )
        accounts.record(session, "link_created", user.email, user_id, actor_id, detail=f"{purpose} link")
        return Link(token, purpose, user.email, user.name, expires)


def _void_links(session: sa.orm.Session, user_id: int, now: datetime) -> None:
    session.execute(
        sa.update(models.Invitation)
        .where(models.Invitation.user_id == user_id, models.Invitation.used_at.is_(None))
        .values(used_at=now)
    )


def _live(session: sa.orm.Session, token: str, lock: bool = False) -> tuple[models.Invitation, models.User]:
    query = (
        sa.select(models.Invitation, models.User)
        .join(models.User, models.User.id == models.Invitation.user_id)
        .where(models.Invitation.token_hash == _hash(token))
    )
    # FOR UPDATE on PostgreSQL (SQLite's write lock already serialises): two tabs, one use
    row = session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise LinkGone()
    link, user = row
    if link.used_at is not None or link.expires_at <= models.now() or user.disabled:
        raise LinkGone()
    return link, user


def pending(db: Database, token: str) -> Pending:
    with db.session() as session:
        link, user = _live(session, token)
        return Pending(user.email, user.name, link.purpose, link.expires_at)


def accept(db: Database, token: str, password: str, client: str = "") -> tuple[str, Viewer]:
    """Sets the person's password from the link, uses the link up, and signs them in."""
    with db.session() as session:
        _, user = _live(session, token)
        email = user.email
    problems = accounts.password_problems(password, email)
    if problems:
        raise Invalid(problems=[Problem("password", p) for p in problems])
    with db.write_session() as session:
        link, user = _live(session, token, lock=True)  # again, locked: a link works exactly once
        link.used_at = models.now()
        accounts.store_password(session, user, password)
        accounts.record(
            session, "link_used", user.email, user.id, user.id, client=client, detail=f"{link.purpose} link"
        )
    return accounts.open_session_for(db, email, client)


def give(db: Database, user_id: int, actor_id: int | None, base_url: str, smtp: Smtp | None) -> Given:
    """A new link for the person (see `create`), mailed to them when `smtp` is given. A mail
    that fails loses nothing: the owner is shown the link either way, and why it was not sent."""
    link = create(db, user_id, actor_id)
    url = link.url(base_url)
    sent, failure = False, ""
    if smtp is not None:
        try:
            mail.send(smtp, mail.link_message(smtp, link.email, link.name, link.purpose, link.expires_at, url))
            sent = True
        except mail.MailFailed as exc:
            failure = str(exc)
    return Given(user_id, link, url, sent, failure)


def invite(
    db: Database,
    email: str,
    name: str,
    role: str,
    regions: tuple[str, ...],
    actor_id: int | None,
    base_url: str,
    smtp: Smtp | None,
    stores: tuple[str, ...] = (),
) -> Given:
    """A new person without a password, and their invitation link given (see `give`).

    Invalid with every problem of their details at once, each by field; the regions of
    anyone but a manager, and the stores of anyone but a store manager, are left out."""
    regions = regions if role == models.Role.MANAGER else ()
    stores = stores if role == models.Role.STORE else ()
    problems = accounts.new_user_problems(email, role, regions, stores=stores)
    if not name.strip():
        problems.append(Problem("name", "give the person's name, as the shopper list and reports show it"))
    if problems:
        raise Invalid(problems=problems)
    user_id = accounts.create_user(db, email, role, name, regions, None, actor_id, stores)
    return give(db, user_id, actor_id, base_url, smtp)


@dataclass(frozen=True)
class StoreManagerAdded:
    """A store's new manager: invited (`given`, a link as for any new person), or an existing
    store manager who now looks after this store too (`given` None: they sign in as before)."""

    email: str
    given: Given | None


def invite_store_manager(
    db: Database, viewer: Viewer, code: str, email: str, name: str, base_url: str, smtp: Smtp | None
) -> StoreManagerAdded:
    """A manager for a store of the viewer's region (owners: any store). The email of a person
    with another role is a Conflict: one person, one role."""
    email = email.strip().lower()
    with db.session() as session:
        store, _ = scoped.store(session, viewer, code)
        if viewer.is_store_manager:
            raise NotFound(f"no store {code[:40]!r}")
        if store.archived:
            raise Conflict(f"{store.name} is archived: an owner restores it before it has managers again.")
        user = session.scalar(sa.select(models.User).where(models.User.email == email))
    if user is None:
        given = invite(db, email, name, models.Role.STORE, (), viewer.id, base_url, smtp, (store.code,))
        return StoreManagerAdded(email, given)
    if user.role != models.Role.STORE or user.id is None:  # one person, one role; theirs is not the manager's business
        message = f"{email} cannot manage a store: ask an owner about this address."
        raise Conflict(message, [Problem("email", message)])
    with db.write_session() as session:
        linked = session.get(models.UserStore, (user.id, store.id))
        if linked is None:
            session.add(models.UserStore(user_id=user.id, store_id=store.id))
            accounts.record(session, "user_changed", email, user.id, viewer.id, detail=f"store added: {store.code}")
    return StoreManagerAdded(email, None)


def remove_store_manager(db: Database, viewer: Viewer, code: str, user_id: int) -> str:
    """The person no longer looks after this store (their account stays, with any other stores)."""
    with db.write_session() as session:
        store, _ = scoped.store(session, viewer, code)
        if viewer.is_store_manager:
            raise NotFound(f"no store {code[:40]!r}")
        linked = session.get(models.UserStore, (user_id, store.id))
        user = session.get(models.User, user_id)
        if linked is None or user is None:
            raise NotFound(f"no manager {user_id} of store {store.code}")
        session.delete(linked)
        accounts.record(session, "user_changed", user.email, user.id, viewer.id, detail=f"store removed: {store.code}")
        return user.email


@dataclass(frozen=True)
class StoreManagerLine:
    id: int
    name: str
    email: str
    signed_up: bool  # has chosen a password
    disabled: bool


@dataclass(frozen=True)
class StoreManagers:
    code: str
    name: str  # the store's
    people: list[StoreManagerLine]


def store_managers(db: Database, viewer: Viewer, code: str) -> StoreManagers:
    """The store's managers, for the region's staff (a store manager sees no one: NotFound)."""
    with db.session() as session:
        store, _ = scoped.store(session, viewer, code)
        if viewer.is_store_manager:
            raise NotFound(f"no store {code[:40]!r}")
        query = (
            sa.select(models.User)
            .join(models.UserStore, models.UserStore.user_id == models.User.id)
            .where(models.UserStore.store_id == store.id)
            .order_by(models.User.name, models.User.email)
        )
        people = [
            StoreManagerLine(u.id or 0, u.name, u.email, u.password_hash is not None, u.disabled)
            for u in session.scalars(query)
        ]
        return StoreManagers(store.code, store.name, people)


def choose_password(db: Database, token: str, password: str, again: str, client: str = "") -> tuple[str, Viewer]:
    """The link page: the password typed twice alike, then `accept`. LinkGone for a link
    that no longer works, whatever was typed."""
    pending(db, token)
    if password != again:
        raise Invalid(problems=[Problem("password_again", "the two passwords differ")])
    return accept(db, token, password, client)
