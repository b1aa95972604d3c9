"""Planned visits: which shopper goes to which store, with which checklist, when.

Owners plan many visits at once (`plan`): all or none, each checked against the
rotation rule (AUDIT_ROTATION_DAYS between two visits of one shopper to one store,
planned or made), so a store does not get to know its mystery shopper. A cancelled
visit stays stored for the trail but leaves every list and may no longer be audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from audit.errors import Conflict, Invalid, NotFound, Problem
from audit.services import checklists
from audit.services.company import activity, organisation
from audit.storage import models
from audit.storage.db import Database, Lookup
from audit.storage.models import Role


@dataclass(frozen=True)
class AssignmentInfo:
    id: int
    shopper: str
    store: str
    store_name: str
    checklist: str
    starts_on: date
    ends_on: date


def add(
    db: Database, shopper_email: str, store_code: str, checklist_key: str, starts_on: date, ends_on: date
) -> AssignmentInfo:
    """Plans a visit; refuses one that repeats a planned visit of the same shopper, store and checklist."""
    if ends_on < starts_on:
        raise Invalid(problems=[Problem("ends_on", "the window ends before it starts")])
    email, code = shopper_email.strip().lower(), store_code.strip().upper()
    with db.write_session() as session:
        shopper = session.scalar(sa.select(models.User).where(models.User.email == email))
        if shopper is None:
            raise NotFound(f"no user {email!r}")
        if shopper.role != Role.SHOPPER:
            raise Invalid(problems=[Problem("shopper", f"{shopper.email} is a {shopper.role}, not a shopper")])
        store = session.scalar(sa.select(models.Store).where(models.Store.code == code))
        if store is None:
            raise NotFound(f"no store {code!r}")
        if session.get(models.Checklist, checklist_key) is None:
            raise NotFound(f"no checklist {checklist_key!r}")
        clash = session.scalar(
            sa.select(models.Assignment).where(
                models.Assignment.shopper_id == shopper.id,
                models.Assignment.store_id == store.id,
                models.Assignment.checklist_key == checklist_key,
                models.Assignment.cancelled.is_(False),
                models.Assignment.starts_on <= ends_on,
                models.Assignment.ends_on >= starts_on,
            )
        )
        if clash is not None:
            raise Conflict(
                f"{email} already has this visit planned: assignment {clash.id}, {clash.starts_on} to {clash.ends_on}"
            )
        assignment = models.Assignment(
            shopper_id=shopper.id,
            store_id=store.id,
            checklist_key=checklist_key,
            starts_on=starts_on,
            ends_on=ends_on,
            created_at=models.now(),
        )
        session.add(assignment)
        session.flush()
        assert assignment.id is not None
        return AssignmentInfo(assignment.id, email, code, store.name, checklist_key, starts_on, ends_on)


def listing(db: Database, shopper_email: str | None = None, from_day: date | None = None) -> list[AssignmentInfo]:
    """Assignments (not cancelled) whose window has not ended before `from_day`, soonest first."""
    query = (
        sa.select(
            models.Assignment.id,
            models.User.email,
            models.Store.code,
            models.Store.name,
            models.Assignment.checklist_key,
            models.Assignment.starts_on,
            models.Assignment.ends_on,
        )
        .join(models.User, models.User.id == models.Assignment.shopper_id)
        .join(models.Store, models.Store.id == models.Assignment.store_id)
        .where(models.Assignment.cancelled.is_(False))
        .order_by(models.Assignment.starts_on, models.Store.code)
    )
    if shopper_email:
        query = query.where(models.User.email == shopper_email.strip().lower())
    if from_day:
        query = query.where(models.Assignment.ends_on >= from_day)
    with db.session() as session:
        return [AssignmentInfo(*row) for row in session.execute(query).all()]


_MAY_VISIT = Lookup(
    sa.select(models.Assignment.id)
    .join(models.Store, models.Store.id == models.Assignment.store_id)
    .where(
        models.Assignment.shopper_id == sa.bindparam("shopper_id"),
        models.Store.code == sa.bindparam("store_code"),
        models.Assignment.cancelled.is_(False),
    )
    .limit(1)
)


_ROLE = Lookup(sa.select(models.User.role).where(models.User.id == sa.bindparam("user_id")))


def may_submit(db: Database, user_id: int, store_code: str) -> bool:
    """A shopper submits audits only for stores they were sent to (any planned visit,
    whatever its dates: an audit made offline may arrive after its window); an owner
    for any store."""
    if _MAY_VISIT.first(db, shopper_id=user_id, store_code=store_code) is not None:
        return True
    role = _ROLE.first(db, user_id=user_id)
    return role is not None and role[0] != Role.SHOPPER


@dataclass(frozen=True)
class Planned:
    """One visit to plan: which shopper, store and checklist, when; `line` when it came from a file."""

    shopper: str
    store: str
    checklist: str
    starts_on: date
    ends_on: date
    line: int = 0


@dataclass(frozen=True)
class PlannedVisit:
    """A visit on the owners' board: planned, overdue or done (the shopper's own list is `visits.Visit`)."""

    id: int
    shopper: str
    shopper_name: str
    store: str
    store_name: str
    region: str
    checklist: str
    starts_on: date
    ends_on: date
    audit_id: str | None

    def status(self, today: date) -> str:
        if self.audit_id:
            return "done"
        return "overdue" if self.ends_on < today else "upcoming"


STATUSES = ("upcoming", "overdue", "done")


def plan(
    db: Database, visits: list[Planned], rotation_days: int, actor_id: int | None = None, today: date | None = None
) -> list[int]:
    """Plans every visit or none: any refused visit (unknown shopper, archived store, the
    rotation rule, a window already over by `today`...) is reported, keyed by its store code
    or file line, and nothing is stored."""
    if not visits:
        raise Invalid(problems=[Problem("stores", "choose at least one store")])
    with db.write_session() as session:
        shoppers = _by_key(session, models.User, models.User.email, {v.shopper for v in visits})
        stores = _by_key(session, models.Store, models.Store.code, {v.store for v in visits})
        lists = _by_key(session, models.Checklist, models.Checklist.key, {v.checklist for v in visits})
        problems: list[Problem] = []
        rows: list[models.Assignment] = []
        for visit in visits:
            where = f"line {visit.line}" if visit.line else f"store {visit.store}"
            found = _visit_problems(
                visit, shoppers.get(visit.shopper), stores.get(visit.store), lists.get(visit.checklist)
            )
            if today is not None and visit.ends_on < today:
                found.append(f"the last day ({visit.ends_on}) has passed: plan visits from today ({today}) on")
            if not found:
                shopper, store = shoppers[visit.shopper], stores[visit.store]
                found = _rotation_problems(session, visit, shopper, store, rotation_days)
            if found:
                problems += [Problem(where, message) for message in found]
                continue
            row = models.Assignment(
                shopper_id=shoppers[visit.shopper].id,
                store_id=stores[visit.store].id,
                checklist_key=visit.checklist,
                starts_on=visit.starts_on,
                ends_on=visit.ends_on,
                created_at=models.now(),
            )
            session.add(row)
            session.flush()  # the rotation check of the next visit sees this one
            rows.append(row)
        if problems:
            raise Invalid(f"Nothing was planned: {len(problems)} visit(s) cannot be planned.", problems)
        codes = " ".join(v.store for v in visits)
        who = ", ".join(sorted({v.shopper for v in visits}))
        subject = f"{len(rows)} visit{'s' if len(rows) != 1 else ''}"
        activity.record(session, actor_id, "visits_planned", subject, f"{who}: {codes}")
        return [r.id for r in rows if r.id is not None]


def _by_key(session: sa.orm.Session, table: type, column: sa.Column, keys: set[str]) -> dict:
    return {getattr(row, column.key): row for row in session.scalars(sa.select(table).where(column.in_(keys)))}


def _visit_problems(
    visit: Planned, shopper: models.User | None, store: models.Store | None, checklist: models.Checklist | None
) -> list[str]:
    problems = []
    if shopper is None:
        problems.append(f"there is no person {visit.shopper}")
    elif shopper.role != Role.SHOPPER:
        problems.append(f"{visit.shopper} is a {shopper.role}, not a shopper")
    elif shopper.disabled:
        problems.append(f"{visit.shopper} is disabled")
    if store is None:
        problems.append(f"there is no store {visit.store}")
    elif store.archived:
        problems.append(f"store {visit.store} is archived")
    if checklist is None:
        problems.append(f"there is no checklist {visit.checklist}")
    elif checklist.archived:
        problems.append(f"checklist {visit.checklist} is archived")
    if visit.ends_on < visit.starts_on:
        problems.append("the last day is before the first")
    return problems


def _rotation_problems(
    session: sa.orm.Session, visit: Planned, shopper: models.User, store: models.Store, days: int
) -> list[str]:
    """The rotation rule: `days` between two visits of one shopper to one store, planned or made."""
    gap = timedelta(days=days)
    low, high = visit.starts_on - gap, visit.ends_on + gap
    clash = session.execute(
        sa.select(models.Assignment.starts_on, models.Assignment.ends_on)
        .where(
            models.Assignment.shopper_id == shopper.id,
            models.Assignment.store_id == store.id,
            models.Assignment.cancelled.is_(False),
            models.Assignment.ends_on > low if days else models.Assignment.ends_on >= visit.starts_on,
            models.Assignment.starts_on < high if days else models.Assignment.starts_on <= visit.ends_on,
        )
        .order_by(models.Assignment.starts_on)
        .limit(1)
    ).first()
    name = shopper.name or shopper.email
    if clash is not None:
        when = (
            f"on {clash.starts_on}"
            if clash.ends_on == clash.starts_on
            else f"from {clash.starts_on} to {clash.ends_on}"
        )
        return [_rotation_message(name, store, f"is already sent there {when}", clash.ends_on, days)]
    if not days:
        return []
    made = session.scalar(
        sa.select(sa.func.max(models.Audit.finished_at)).where(
            models.Audit.shopper_id == shopper.id,
            models.Audit.store_id == store.id,
            models.Audit.finished_at > datetime.combine(low, time(), UTC),
            models.Audit.finished_at < datetime.combine(high, time(), UTC),
        )
    )
    if made is not None:
        return [_rotation_message(name, store, f"visited it on {made.date()}", made.date(), days)]
    return []


def _rotation_message(name: str, store: models.Store, what: str, last: date, days: int) -> str:
    return (
        f"{name} {what}; the rotation rule keeps {days} days between two visits of the same shopper "
        f"to {store.name} ({store.code}). Choose another shopper, or a first day from {last + timedelta(days=days)}."
    )


def cancel(db: Database, assignment_id: int, actor_id: int | None = None) -> None:
    """The visit leaves the shopper's list and no audit can be made for it any more."""
    with db.write_session() as session:
        row = session.execute(
            sa.select(models.Assignment, models.Store.code, models.User.email)
            .join(models.Store, models.Store.id == models.Assignment.store_id)
            .join(models.User, models.User.id == models.Assignment.shopper_id)
            .where(models.Assignment.id == assignment_id)
        ).first()
        if row is None:
            raise NotFound(f"no visit {assignment_id}")
        assignment, code, email = row
        if assignment.cancelled:
            return
        assignment.cancelled = True
        detail = f"{email} at {code}, {assignment.starts_on} to {assignment.ends_on}"
        activity.record(session, actor_id, "visit_cancelled", f"visit {assignment_id}", detail)


def board(
    db: Database, status: str, today: date, region: str = "", shopper: str = "", limit: int = 500
) -> list[PlannedVisit]:
    """Planned visits that are upcoming (window not over), overdue (over, no audit) or done.

    A visit is done when an audit names it (the phone sends the visit it was made for);
    an audit that names no visit (an integration, an older phone) counts for the shopper's
    visit to that store when it finished on or after the visit's first day.
    """
    reported = (
        sa.select(sa.func.min(models.Audit.id))
        .where(models.Audit.assignment_id == models.Assignment.id)
        .correlate(models.Assignment)
        .scalar_subquery()
    )
    unnamed = (
        sa.select(sa.func.min(models.Audit.id))
        .where(
            models.Audit.assignment_id.is_(None),
            models.Audit.shopper_id == models.Assignment.shopper_id,
            models.Audit.store_id == models.Assignment.store_id,
            # a timestamp against a date: PostgreSQL casts, SQLite compares the ISO texts
            models.Audit.finished_at >= models.Assignment.starts_on,
        )
        .correlate(models.Assignment)
        .scalar_subquery()
    )
    audit_of = sa.func.coalesce(reported, unnamed)
    query = (
        sa.select(
            models.Assignment.id,
            models.User.email,
            models.User.name,
            models.Store.code,
            models.Store.name,
            models.Region.code,
            models.Assignment.checklist_key,
            models.Assignment.starts_on,
            models.Assignment.ends_on,
            audit_of,
        )
        .join(models.User, models.User.id == models.Assignment.shopper_id)
        .join(models.Store, models.Store.id == models.Assignment.store_id)
        .join(models.Region, models.Region.id == models.Store.region_id)
        .where(models.Assignment.cancelled.is_(False))
    )
    if status == "done":
        query = query.where(audit_of.is_not(None)).order_by(models.Assignment.ends_on.desc())
    elif status == "overdue":
        query = query.where(audit_of.is_(None), models.Assignment.ends_on < today)
        query = query.order_by(models.Assignment.ends_on)
    else:
        query = query.where(audit_of.is_(None), models.Assignment.ends_on >= today)
        query = query.order_by(models.Assignment.starts_on)
    if region:
        query = query.where(models.Region.code == region.upper())
    if shopper:
        query = query.where(models.User.email == shopper.strip().lower())
    with db.session() as session:
        return [PlannedVisit(*row) for row in session.execute(query.order_by(models.Store.code).limit(limit)).all()]


def shoppers(db: Database) -> list[tuple[str, str]]:
    """(email, name) of every enabled shopper, for choosing whom to send."""
    query = (
        sa.select(models.User.email, models.User.name)
        .where(models.User.role == Role.SHOPPER, models.User.disabled.is_(False))
        .order_by(models.User.name, models.User.email)
    )
    with db.session() as session:
        return [(email, name) for email, name in session.execute(query).all()]


@dataclass(frozen=True)
class BoardPage:
    """The visits page: the visits asked for, and what its filters offer."""

    visits: list[PlannedVisit]
    regions: list[organisation.RegionInfo]
    shoppers: list[tuple[str, str]]


def board_page(db: Database, status: str, today: date, region: str = "", shopper: str = "") -> BoardPage:
    """The `board` of visits by status, region and shopper, with every region and shopper to filter by."""
    return BoardPage(board(db, status, today, region, shopper), organisation.regions(db), shoppers(db))


@dataclass(frozen=True)
class PlanForm:
    """What the planning form offers: enabled shoppers, open stores, checklists not archived."""

    shoppers: list[tuple[str, str]]
    stores: list[organisation.StoreInfo]
    checklists: list[checklists.ChecklistInfo]


def plan_form(db: Database) -> PlanForm:
    """The choices of the planning form."""
    return PlanForm(shoppers(db), organisation.stores(db, "", False), checklists.overview(db, False))


_VISIT_OF = Lookup(
    sa.select(models.Assignment.shopper_id, models.Store.code, models.Assignment.starts_on)
    .join(models.Store, models.Store.id == models.Assignment.store_id)
    .where(models.Assignment.id == sa.bindparam("assignment_id"))
)


def submission_problems(
    db: Database, assignment_id: int, shopper_id: int | None, store_code: str, finished_at: datetime
) -> list[Problem]:
    """Why an audit cannot be the report of this planned visit (none when it can).

    A visit may be made late (an overdue visit stays on the shopper's list), but not
    before its first day: a day of grace either side of UTC covers every time zone.
    """
    row = _VISIT_OF.first(db, assignment_id=assignment_id)
    if row is None or (shopper_id is not None and row[0] != shopper_id):
        return [Problem("assignment", f"no planned visit {assignment_id} for you")]
    if row[1] != store_code:
        return [Problem("assignment", f"planned visit {assignment_id} is to store {row[1]}, not {store_code}")]
    first_day = date.fromisoformat(str(row[2]))  # the driver's own value: text on SQLite
    if finished_at.astimezone(UTC).date() < first_day - timedelta(days=1):
        message = (
            f"the visit finished on {finished_at.date()}, before planned visit {assignment_id} starts ({first_day})"
        )
        return [Problem("finished_at", message)]
    return []
