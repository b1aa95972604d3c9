"""People and sign-in: users, passwords, sessions, throttling and the security trail.

Passwords are hashed with argon2id at argon2-cffi's current recommended
parameters and rehashed at sign-in when those change. A session is a random
token held by the browser; only its SHA-256 is stored, so signing out (or
disabling the user) deletes the row and any copy of the cookie stops working.

Sign-in throttling follows OWASP's device cookies: failures are counted per email and
per client address, and per known device for a browser that signed in to that account
before (a signed, long-lived cookie). A browser with its device cookie is counted on
its own, so nobody else's failures (one address shared by a whole office, or an
attacker guessing the account's password) stand in its way. Over the limit the wait
is short and grows with each failure; it is never a long lockout.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql, sqlite

from audit.errors import AppError, Conflict, Invalid, NotFound, Problem
from audit.services.access import ROLES, Viewer
from audit.services.company import organisation
from audit.storage import models
from audit.storage.db import Database, Lookup
from audit.storage.models import Role

# Each email, client address and known device may fail THROTTLE_FAILURES times; one failure
# is forgiven every THROTTLE_FORGIVE (so 5 every 15 minutes go on for ever without a wait).
# Beyond that each attempt waits THROTTLE_FIRST_WAIT after the last one, twice as long
# with every further failure, never more than THROTTLE_MAX_WAIT.
THROTTLE_FAILURES = 5
THROTTLE_FORGIVE = timedelta(minutes=3)
THROTTLE_FIRST_WAIT = timedelta(seconds=2)
THROTTLE_MAX_WAIT = timedelta(minutes=5)
DEVICE_LIFETIME = timedelta(days=365)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; this only bounds the work a request can ask for

_hasher = PasswordHasher()
# Verified when the email is unknown, so a failed sign-in takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class SignInFailed(AppError):
    """The email or password is not right."""

    status = 401


class Throttled(AppError):
    """Too many failed sign-ins: the next attempt may come at `until` (a short wait)."""

    status = 429

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__("Too many failed sign-ins.")


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    name: str
    role: str
    disabled: bool
    regions: tuple[str, ...]
    has_password: bool
    stores: tuple[str, ...] = ()  # a store manager's stores, by code


@dataclass(frozen=True)
class EventInfo:
    at: datetime
    kind: str
    email: str
    actor: str
    client: str
    detail: str


@functools.cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).resolve().parents[2] / "data" / "common-passwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: str, email: str = "") -> list[str]:
    if len(password) < MIN_PASSWORD:
        return [f"use at least {MIN_PASSWORD} characters"]
    if len(password) > MAX_PASSWORD:
        return [f"use at most {MAX_PASSWORD} characters"]
    lowered = password.strip().lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        return ["this password is among the most common ones; choose another"]
    if email and lowered in (email.lower(), email.split("@")[0].lower()):
        return ["do not use your email address as your password"]
    return []


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def record(
    session: sa.orm.Session,
    kind: str,
    email: str = "",
    user_id: int | None = None,
    actor_id: int | None = None,
    client: str = "",
    detail: str = "",
) -> None:
    session.add(
        models.SecurityEvent(
            at=models.now(),
            kind=kind,
            email=email,
            user_id=user_id,
            actor_id=actor_id,
            client=client[:64],
            detail=detail[:500],
        )
    )


def new_user_problems(
    email: str, role: str, regions: tuple[str, ...], password: str | None = None, stores: tuple[str, ...] = ()
) -> list[Problem]:
    """Everything wrong with a new person's details, all at once (none when they are fine)."""
    email = email.strip().lower()
    problems = []
    if not email:
        problems.append(Problem("email", "give the person's email address: their link goes there"))
    elif not organisation.EMAIL.match(email):
        problems.append(Problem("email", f"{email!r} is not an email address"))
    if role not in ROLES:
        problems.append(Problem("role", f"role must be one of {', '.join(ROLES)}"))
    if role == Role.MANAGER and not regions:
        problems.append(Problem("region", "a manager needs at least one region to look after"))
    if role != Role.MANAGER and regions:
        problems.append(Problem("region", "only managers have regions"))
    if role == Role.STORE and not stores:
        problems.append(Problem("store", "a store manager needs at least one store to look after"))
    if role != Role.STORE and stores:
        problems.append(Problem("store", "only store managers have stores"))
    if password is not None:
        problems += [Problem("password", p) for p in password_problems(password, email)]
    return problems


def create_user(
    db: Database,
    email: str,
    role: str,
    name: str = "",
    regions: tuple[str, ...] = (),
    password: str | None = None,
    actor_id: int | None = None,
    stores: tuple[str, ...] = (),
) -> int:
    """A new person; managers need at least one region, store managers at least one store."""
    email = email.strip().lower()
    problems = new_user_problems(email, role, regions, password, stores)
    if problems:
        raise Invalid(problems=problems)
    with db.write_session() as session:
        if session.scalar(sa.select(models.User.id).where(models.User.email == email)):
            raise Conflict(f"user {email} exists already")
        region_ids = _region_ids(session, regions)
        store_ids = store_ids_of(session, stores)
        user = models.User(
            email=email,
            role=role,
            name=name.strip(),
            created_at=models.now(),
            password_hash=_hasher.hash(password) if password is not None else None,
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add_all(models.UserRegion(user_id=user.id, region_id=rid) for rid in region_ids)
        session.add_all(models.UserStore(user_id=user.id, store_id=sid) for sid in store_ids)
        record(session, "user_created", email, user.id, actor_id, detail=f"role {role}")
        return user.id


def _region_ids(session: sa.orm.Session, codes: tuple[str, ...]) -> list[int]:
    wanted = {c.strip().upper() for c in codes}
    query = sa.select(models.Region.code, models.Region.id).where(models.Region.code.in_(wanted))
    found = {code: region_id for code, region_id in session.execute(query).all()}
    missing = sorted(wanted - set(found))
    if missing:
        raise NotFound(f"no region {', '.join(missing)}")
    return list(found.values())


def store_ids_of(session: sa.orm.Session, codes: tuple[str, ...]) -> list[int]:
    """The ids of open stores by code; NotFound naming every code that is not one."""
    wanted = {c.strip().upper() for c in codes if c.strip()}
    query = sa.select(models.Store.code, models.Store.id).where(
        models.Store.code.in_(wanted), models.Store.archived.is_(False)
    )
    found = {code: store_id for code, store_id in session.execute(query).all()}
    missing = sorted(wanted - set(found))
    if missing:
        raise NotFound(f"no store {', '.join(missing)}")
    return list(found.values())


def store_password(session: sa.orm.Session, user: models.User, password: str, actor_id: int | None = None) -> None:
    """Hashes and stores a checked password in the caller's transaction; ends the person's sessions."""
    user.password_hash = _hasher.hash(password)
    session.execute(sa.delete(models.UserSession).where(models.UserSession.user_id == user.id))
    record(session, "password_changed", user.email, user.id, actor_id if actor_id is not None else user.id)


def open_session_for(db: Database, email: str, client: str = "") -> tuple[str, Viewer]:
    """Signs a person in who proved who they are another way (a one-time link)."""
    with db.session() as session:
        user = session.scalar(sa.select(models.User).where(models.User.email == email))
    if user is None or user.id is None or user.disabled:
        raise SignInFailed("This account cannot sign in.")
    with db.write_session() as session:
        record(session, "signed_in", email, user.id, user.id, client=client, detail="through a one-time link")
    token = _open_session(db, user.id, user.role)
    viewer = session_viewer(db, token)
    assert viewer is not None
    return token, viewer


@dataclass(frozen=True)
class PersonForm:
    """What the person form offers: the person edited (None for a new one) and the regions."""

    person: UserInfo | None
    regions: list[organisation.RegionInfo]


def person_form(db: Database, user_id: int | None = None) -> PersonForm:
    """The form of person `user_id` (NotFound when there is none), or of a new person."""
    return PersonForm(person(db, user_id) if user_id is not None else None, organisation.regions(db))


def person(db: Database, user_id: int) -> UserInfo:
    found = [u for u in list_users(db, user_id) if u.id == user_id]
    if not found:
        raise NotFound(f"no person {user_id}")
    return found[0]


def update_person(db: Database, user_id: int, name: str, regions: tuple[str, ...], actor_id: int | None = None) -> str:
    """Changes a person's name and (managers only) regions; role and email stay what they were
    (the email is returned)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise Invalid(problems=[Problem("name", "give a name of 1 to 200 characters")])
    with db.write_session() as session:
        user = session.get(models.User, user_id)
        if user is None:
            raise NotFound(f"no person {user_id}")
        if user.role == Role.MANAGER and not regions:
            raise Invalid(problems=[Problem("region", "a manager needs at least one region")])
        if user.role != Role.MANAGER and regions:
            raise Invalid(problems=[Problem("region", "only managers have regions")])
        changed = [f"name: {user.name} → {name}"] if user.name != name else []
        user.name = name
        if user.role == Role.MANAGER:
            new_ids = set(_region_ids(session, regions))
            old_ids = set(
                session.scalars(sa.select(models.UserRegion.region_id).where(models.UserRegion.user_id == user_id))
            )
            if new_ids != old_ids:
                session.execute(sa.delete(models.UserRegion).where(models.UserRegion.user_id == user_id))
                session.add_all(models.UserRegion(user_id=user_id, region_id=rid) for rid in new_ids)
                changed.append(f"regions: {', '.join(sorted(c.strip().upper() for c in regions))}")
        if changed:
            record(session, "user_changed", user.email, user.id, actor_id, detail="; ".join(changed))
        return user.email


def enable(db: Database, email: str, actor_id: int | None = None) -> None:
    """Lets a disabled person sign in again (with their old password, or a new link)."""
    email = email.strip().lower()
    with db.write_session() as session:
        user = session.scalar(sa.select(models.User).where(models.User.email == email))
        if user is None:
            raise NotFound(f"no user {email!r}")
        if user.disabled:
            user.disabled = False
            record(session, "user_enabled", email, user.id, actor_id)


def user_id(db: Database, email: str) -> int:
    with db.session() as session:
        found = session.scalar(sa.select(models.User.id).where(models.User.email == email.strip().lower()))
    if found is None:
        raise NotFound(f"no user {email.strip().lower()!r}")
    return found


def set_password(db: Database, email: str, password: str, actor_id: int | None = None) -> None:
    """Sets a password and signs the person out everywhere (their old sessions end)."""
    email = email.strip().lower()
    problems = password_problems(password, email)
    if problems:
        raise Invalid(problems=[Problem("password", p) for p in problems])
    with db.write_session() as session:
        user = session.scalar(sa.select(models.User).where(models.User.email == email))
        if user is None:
            raise NotFound(f"no user {email!r}")
        store_password(session, user, password, actor_id)


def change_password(db: Database, viewer: Viewer, current: str, new: str, client: str = "") -> str:
    """The signed-in person changes their own password; returns a fresh session token.

    The current password is guessed as at sign-in (a session left open on a shared phone),
    so each try is counted against the person's email as a sign-in is, and Throttled alike."""
    reserved = _reserve(db, [("email", viewer.email)])
    with db.session() as session:
        stored = session.scalar(sa.select(models.User.password_hash).where(models.User.id == viewer.id))
    if not _verify(stored or _DUMMY_HASH, current[:MAX_PASSWORD]) or stored is None:
        with db.write_session() as session:
            record(session, "password_change_failed", viewer.email, viewer.id, viewer.id, client=client)
        raise Invalid(problems=[Problem("current_password", "the current password is not right")])
    with db.write_session() as session:
        _release(db, session, reserved)
    if new == current:
        raise Invalid(problems=[Problem("new_password", "choose a password different from the current one")])
    set_password(db, viewer.email, new, actor_id=viewer.id)
    return _open_session(db, viewer.id, viewer.role)


def disable(db: Database, email: str, actor_id: int | None = None) -> None:
    """The person can no longer sign in and their sessions end now; their audits stay."""
    email = email.strip().lower()
    with db.write_session() as session:
        user = session.scalar(sa.select(models.User).where(models.User.email == email))
        if user is None:
            raise NotFound(f"no user {email!r}")
        user.disabled = True
        session.execute(sa.delete(models.UserSession).where(models.UserSession.user_id == user.id))
        # pending invitation and reset links stop working too
        session.execute(
            sa.update(models.Invitation)
            .where(models.Invitation.user_id == user.id, models.Invitation.used_at.is_(None))
            .values(used_at=models.now())
        )
        record(session, "user_disabled", email, user.id, actor_id)


def person_to_disable(db: Database, user_id: int, actor_id: int | None = None) -> UserInfo:
    """The person the confirmation of disabling names; Invalid when it is the owner asking
    (an owner cannot disable themselves: another owner does)."""
    found = person(db, user_id)
    if found.id == actor_id:
        raise Invalid("You cannot disable yourself; ask another owner.")
    return found


def disable_person(db: Database, user_id: int, actor_id: int | None = None) -> str:
    """`disable` for the person `user_id`, never the owner asking; returns their email."""
    email = person_to_disable(db, user_id, actor_id).email
    disable(db, email, actor_id)
    return email


def enable_person(db: Database, user_id: int, actor_id: int | None = None) -> str:
    """`enable` for the person `user_id`; returns their email."""
    email = person(db, user_id).email
    enable(db, email, actor_id)
    return email


def list_users(db: Database, only_id: int | None = None) -> list[UserInfo]:
    query = (
        sa.select(models.User, sa.func.group_concat(models.Region.code) if db.is_sqlite else _pg_codes())
        .outerjoin(models.UserRegion, models.UserRegion.user_id == models.User.id)
        .outerjoin(models.Region, models.Region.id == models.UserRegion.region_id)
        .group_by(models.User.id)
        .order_by(models.User.role, models.User.email)
    )
    if only_id is not None:
        query = query.where(models.User.id == only_id)
    stores_query = sa.select(models.UserStore.user_id, models.Store.code).join(
        models.Store, models.Store.id == models.UserStore.store_id
    )
    if only_id is not None:
        stores_query = stores_query.where(models.UserStore.user_id == only_id)
    with db.session() as session:
        rows = session.execute(query).all()
        stores: dict[int, list[str]] = {}
        for user_id, code in session.execute(stores_query.order_by(models.Store.code)):
            stores.setdefault(user_id, []).append(code)
    return [
        UserInfo(
            u.id,
            u.email,
            u.name,
            u.role,
            u.disabled,
            tuple(sorted((codes or "").split(",") if codes else ())),
            bool(u.password_hash),
            tuple(stores.get(u.id, ())),
        )
        for u, codes in rows
    ]


def _pg_codes() -> sa.ColumnElement[str]:
    return sa.func.string_agg(models.Region.code, sa.literal_column("','"))


def sign_in(db: Database, email: str, password: str, client: str, device: str = "") -> tuple[str, Viewer]:
    """A new session for the right email and password; raises SignInFailed or Throttled.

    The message is the same whether the email is unknown, the password wrong or the
    user disabled, so nobody learns who has an account. `device` is the browser's device
    cookie (see `device_cookie`): when it was given to this account, the attempt is
    counted for that device alone; otherwise for the email and the client address. The
    attempt is counted before the password is checked, so of many sent at once only
    those within the limit are checked; a successful one takes its count back (and
    nothing else: earlier failures stay counted).
    """
    email = email.strip().lower()[:320]
    with db.session() as session:
        user = session.scalar(sa.select(models.User).where(models.User.email == email))
    known = _device_of(db, device, user.id if user is not None else None)
    reserved = _reserve(db, _counted(email, client, known))
    stored = user.password_hash if user is not None else None
    good = _verify(stored or _DUMMY_HASH, password[:MAX_PASSWORD]) and stored is not None
    if user is None or not good or user.disabled:
        with db.write_session() as session:
            reason = "unknown email" if user is None else "disabled" if user.disabled and good else "wrong password"
            record(session, "sign_in_failed", email, user.id if user else None, client=client, detail=reason)
            _forget_cleared(session)
        raise SignInFailed("The email or password is not right.")
    assert user.id is not None and stored is not None
    with db.write_session() as session:
        _release(db, session, reserved)
        if _hasher.check_needs_rehash(stored):
            session.execute(
                sa.update(models.User).where(models.User.id == user.id).values(password_hash=_hasher.hash(password))
            )
        record(session, "signed_in", email, user.id, user.id, client=client)
        _forget_cleared(session)
    token = _open_session(db, user.id, user.role)
    viewer = session_viewer(db, token)
    assert viewer is not None
    return token, viewer


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _devices(db: Database) -> URLSafeTimedSerializer:
    serializer = db.memo.get("device-cookies")
    if serializer is None:
        serializer = db.memo["device-cookies"] = URLSafeTimedSerializer(db.settings.signing_key, salt="audit.device")
    return serializer


def device_cookie(db: Database, user_id: int) -> str:
    """A new device cookie for the browser a person just signed in on (OWASP "device
    cookies"): signed, bound to that person, with a random id of its own."""
    return _devices(db).dumps({"u": user_id, "d": secrets.token_urlsafe(16)})


def _device_of(db: Database, cookie: str, user_id: int | None) -> str:
    """The device's id when `cookie` is a device cookie of this person, not older than a
    year; else ''. Anyone else's cookie (the attacker's own account's) counts for nothing."""
    if not cookie or user_id is None:
        return ""
    try:
        data = _devices(db).loads(cookie, max_age=int(DEVICE_LIFETIME.total_seconds()))
    except BadData:
        return ""
    if not isinstance(data, dict) or data.get("u") != user_id or not isinstance(data.get("d"), str):
        return ""
    return data["d"][:64]


def _counted(email: str, client: str, device: str) -> list[tuple[str, str]]:
    """What an attempt counts against: a known device alone, else the email and the address."""
    if device:
        return [("device", device)]
    return [("email", email)] + ([("client", _client_key(client))] if client else [])


def _client_key(client: str) -> str:
    """The address counted: an IPv6 address by its /64, which one machine usually holds whole."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client[:320]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(frozen=True)
class _Reservation:
    scope: str
    subject: str
    at: datetime  # when it was counted: the row's last_at unless another attempt came since
    previous_last: datetime


def _level(clear_at: datetime, now: datetime) -> int:
    """How many failures are still counted: one is forgiven every THROTTLE_FORGIVE."""
    if clear_at <= now:
        return 0
    return math.ceil((clear_at - now) / THROTTLE_FORGIVE)


def _wait(level: int) -> timedelta:
    if level < THROTTLE_FAILURES:
        return timedelta(0)
    return min(THROTTLE_FIRST_WAIT * 2 ** min(level - THROTTLE_FAILURES, 30), THROTTLE_MAX_WAIT)


def _ready_at(clear_at: datetime, last_at: datetime, now: datetime) -> datetime:
    """The first moment from `now` on when another attempt may come: the wait after the
    last attempt shrinks as failures are forgiven meanwhile."""
    moment = now
    while True:
        level = _level(clear_at, moment)
        if level < THROTTLE_FAILURES:
            return moment
        ready = last_at + _wait(level)
        if ready <= moment:
            return moment
        one_less = clear_at - (level - 1) * THROTTLE_FORGIVE  # when the level drops by one
        if ready <= one_less:
            return ready
        moment = one_less


def _lock(db: Database, session: sa.orm.Session, scope: str, subject: str, now: datetime) -> tuple[datetime, datetime]:
    """The counter's (clear_at, last_at), its row made if missing and locked until commit:
    on PostgreSQL the upsert holds the row lock, on SQLite the write transaction holds the
    database's write lock."""
    table = models.SignInThrottle.__table__
    insert = sqlite.insert if db.is_sqlite else postgresql.insert
    statement = (
        insert(table)
        .values(scope=scope, subject=subject, clear_at=now, last_at=now)
        .on_conflict_do_update(index_elements=["scope", "subject"], set_={"clear_at": table.c.clear_at})
        .returning(table.c.clear_at, table.c.last_at)
    )
    clear_at, last_at = session.execute(statement).one()
    return clear_at, last_at


def _store(session: sa.orm.Session, scope: str, subject: str, clear_at: datetime, last_at: datetime) -> None:
    table = models.SignInThrottle.__table__
    session.execute(
        sa.update(table)
        .where(table.c.scope == scope, table.c.subject == subject)
        .values(clear_at=clear_at, last_at=last_at)
    )


def _reserve(db: Database, keys: list[tuple[str, str]]) -> list[_Reservation]:
    """Counts this attempt as a failure for every key, before the password is checked;
    raises Throttled (counting nothing) when any key must still wait. Rows are locked in
    one order, so two attempts never wait for each other's locks."""
    now = models.now()
    with db.write_session() as session:
        counters = [(scope, subject, *_lock(db, session, scope, subject, now)) for scope, subject in sorted(keys)]
        ready = max(_ready_at(clear_at, last_at, now) for _, _, clear_at, last_at in counters)
        if ready > now:
            raise Throttled(ready)  # leaves the write session: rolled back, nothing counted
        reserved = []
        for scope, subject, clear_at, last_at in counters:
            _store(session, scope, subject, max(clear_at, now) + THROTTLE_FORGIVE, now)
            reserved.append(_Reservation(scope, subject, now, last_at))
        return reserved


def _release(db: Database, session: sa.orm.Session, reserved: list[_Reservation]) -> None:
    """A successful attempt takes back its own count, and only that."""
    now = models.now()
    for r in reserved:
        clear_at, last_at = _lock(db, session, r.scope, r.subject, now)
        last = r.previous_last if last_at == r.at else last_at  # no attempt since: as if this one never came
        _store(session, r.scope, r.subject, clear_at - THROTTLE_FORGIVE, last)


def _forget_cleared(session: sa.orm.Session) -> None:
    """Deletes counters with nothing left counted; rows another attempt holds are left alone."""
    table = models.SignInThrottle.__table__
    cleared = (
        sa.select(table.c.scope, table.c.subject)
        .where(table.c.clear_at <= models.now())
        .limit(100)
        .with_for_update(skip_locked=True)
    )
    session.execute(sa.delete(table).where(sa.tuple_(table.c.scope, table.c.subject).in_(cleared)))


def session_lifetime(db: Database, role: str) -> timedelta:
    settings = db.settings
    return settings.shopper_session if role == Role.SHOPPER else settings.staff_session


def _open_session(db: Database, user_id: int, role: str) -> str:
    token = secrets.token_urlsafe(32)
    now = models.now()
    with db.write_session() as session:
        session.add(
            models.UserSession(
                token_hash=_hash_token(token),
                user_id=user_id,
                created_at=now,
                expires_at=now + session_lifetime(db, role),
            )
        )
    return token


_SESSION_USER = Lookup(
    sa.select(models.User.id, models.User.email, models.User.name, models.User.role)
    .join(models.UserSession, models.UserSession.user_id == models.User.id)
    .where(
        models.UserSession.token_hash == sa.bindparam("token_hash"),
        models.UserSession.expires_at > sa.bindparam("now", type_=models.UTCDateTime()),
        models.User.disabled.is_(False),
    )
)
_USER_REGIONS = Lookup(
    sa.select(models.UserRegion.region_id).where(models.UserRegion.user_id == sa.bindparam("user_id"))
)
# a store manager's open stores: an archived store is closed to its managers (its history stays with the region)
_USER_STORES = Lookup(
    sa.select(models.UserStore.store_id)
    .join(models.Store, models.Store.id == models.UserStore.store_id)
    .where(models.UserStore.user_id == sa.bindparam("user_id"), models.Store.archived.is_(False))
)


def session_viewer(db: Database, token: str) -> Viewer | None:
    """The person behind a session token, if the session is live and the user enabled.

    Runs on every request, so it is one `Lookup` (two for managers), checked in the
    database every time: a session ended or a user disabled is refused at once.
    """
    if not token:
        return None
    row = _SESSION_USER.first(db, token_hash=_hash_token(token), now=models.now())
    if row is None:
        return None
    user_id, email, name, role = row
    # only managers have regions, only store managers stores: spare everyone else a query
    regions = frozenset(r for (r,) in _USER_REGIONS.all(db, user_id=user_id)) if role == Role.MANAGER else frozenset()
    stores = frozenset(s for (s,) in _USER_STORES.all(db, user_id=user_id)) if role == Role.STORE else frozenset()
    return Viewer(user_id, email, name, role, regions, stores, token)


def sign_out(db: Database, token: str, client: str = "") -> None:
    with db.write_session() as session:
        owner = session.scalar(
            sa.select(models.UserSession.user_id).where(models.UserSession.token_hash == _hash_token(token))
        )
        session.execute(sa.delete(models.UserSession).where(models.UserSession.token_hash == _hash_token(token)))
        if owner is not None:
            record(session, "signed_out", user_id=owner, actor_id=owner, client=client)


def events(db: Database, kind: str = "", limit: int = 200) -> list[EventInfo]:
    actor = sa.orm.aliased(models.User)
    query = (
        sa.select(models.SecurityEvent, actor.email)
        .outerjoin(actor, actor.id == models.SecurityEvent.actor_id)
        .order_by(models.SecurityEvent.at.desc(), models.SecurityEvent.id.desc())
        .limit(limit)
    )
    if kind:
        query = query.where(models.SecurityEvent.kind == kind)
    with db.session() as session:
        rows = session.execute(query).all()
    return [EventInfo(e.at, e.kind, e.email, actor_email or "", e.client, e.detail) for e, actor_email in rows]
