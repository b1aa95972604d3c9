"""Regions and stores: the company the audits are about (people are in `people.accounts`).

A store is never deleted: archiving takes it off the dashboards and out of planning
while its audits stay, so old reports and totals of the past keep their meaning. A
region is archived once it has no open store (its stores moved or archived first):
it is then offered nowhere (store forms, imports, managers' regions) until brought back.
Every change made here is written to the activity trail in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from audit.domain.imports import store_problems
from audit.errors import Conflict, Invalid, NotFound, Problem
from audit.services.access import Viewer
from audit.services.company import activity
from audit.storage import models
from audit.storage.db import Database

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name: str
    stores: int
    archived_stores: int
    archived: bool = False


@dataclass(frozen=True)
class StoreInfo:
    code: str
    name: str
    region: str
    region_name: str
    address: str
    timezone: str
    archived: bool
    audits: int


def add_region(db: Database, code: str, name: str, actor_id: int | None = None) -> int:
    code = _code(code, "region")
    name = name.strip()
    if len(name) > 200:
        raise Invalid(problems=[Problem("name", "the name is longer than 200 characters")])
    with db.write_session() as session:
        if session.scalar(sa.select(models.Region.id).where(models.Region.code == code)):
            raise Conflict(f"region {code} exists already")
        region = models.Region(code=code, name=name or code)
        session.add(region)
        session.flush()
        assert region.id is not None
        activity.record(session, actor_id, "region_created", f"region {code}", region.name)
        return region.id


def rename_region(db: Database, code: str, name: str, actor_id: int | None = None) -> str:
    """Gives a region a new name; returns its code."""
    name = name.strip()
    if not name or len(name) > 200:
        raise Invalid(problems=[Problem("name", "give a name of 1 to 200 characters")])
    with db.write_session() as session:
        region = session.scalar(sa.select(models.Region).where(models.Region.code == code.upper()))
        if region is None:
            raise NotFound(f"no region {code!r}")
        if region.name != name:
            activity.record(session, actor_id, "region_changed", f"region {region.code}", f"{region.name} → {name}")
            region.name = name
        return region.code


def add_store(
    db: Database,
    code: str,
    name: str,
    region_code: str,
    address: str = "",
    timezone: str = "",
    actor_id: int | None = None,
) -> int:
    code, region_code = code.strip().upper(), region_code.strip().upper()
    name, address, timezone = name.strip() or code, address.strip(), timezone.strip()
    _check_store(code, name, region_code, address, timezone)
    with db.write_session() as session:
        region_id = _region_id(session, region_code)
        if session.scalar(sa.select(models.Store.id).where(models.Store.code == code)):
            raise Conflict(f"store {code} exists already")
        store = models.Store(code=code, name=name, region_id=region_id, address=address, timezone=timezone)
        session.add(store)
        session.flush()
        assert store.id is not None
        activity.record(session, actor_id, "store_created", f"store {code}", f"{name}, region {region_code}")
        return store.id


def edit_store(
    db: Database, code: str, name: str, region_code: str, address: str, timezone: str, actor_id: int | None = None
) -> str:
    """Changes a store's name, region, address and time zone; its code is its identity and stays
    (and is returned)."""
    code, region_code = code.strip().upper(), region_code.strip().upper()
    name, address, timezone = name.strip(), address.strip(), timezone.strip()
    _check_store(code, name, region_code, address, timezone)
    with db.write_session() as session:
        store = _store(session, code)
        region_id = _region_id(session, region_code, current=store.region_id)
        changed = update_store(store, name, region_id, address, timezone)
        if changed:
            activity.record(session, actor_id, "store_changed", f"store {code}", "; ".join(changed))
        return store.code


def update_store(store: models.Store, name: str, region_id: int, address: str, timezone: str) -> list[str]:
    """Sets the fields that differ and says which (empty: nothing changed)."""
    changed = []
    for field, value in (("name", name), ("region_id", region_id), ("address", address), ("timezone", timezone)):
        if getattr(store, field) != value:
            changed.append(f"{field.removesuffix('_id')}: {getattr(store, field)!s} → {value!s}")
            setattr(store, field, value)
    return changed


def set_archived(db: Database, code: str, archived: bool, actor_id: int | None = None) -> str:
    """Archive (off dashboards and planning, audits kept) or bring a store back; returns its code."""
    with db.write_session() as session:
        store = _store(session, code)
        if store.archived == archived:
            return store.code
        region = session.get(models.Region, store.region_id)
        if not archived and region is not None and region.archived:
            message = f"its region {region.code} is archived: bring the region back first"
            raise Invalid(problems=[Problem("region", message)])
        store.archived = archived
        kind = "store_archived" if archived else "store_restored"
        activity.record(session, actor_id, kind, f"store {store.code}", store.name)
        return store.code


def set_region_archived(db: Database, code: str, archived: bool, actor_id: int | None = None) -> str:
    """Archive a region that has no open store left, or bring it back; returns its code."""
    with db.write_session() as session:
        region = session.scalar(sa.select(models.Region).where(models.Region.code == code.strip().upper()))
        if region is None:
            raise NotFound(f"no region {code!r}")
        if region.archived == archived:
            return region.code
        if archived:
            refusal = _open_stores_refusal(session, region.code)
            if refusal is not None:
                raise refusal
        region.archived = archived
        kind = "region_archived" if archived else "region_restored"
        activity.record(session, actor_id, kind, f"region {region.code}", region.name)
        return region.code


def region_to_archive(db: Database, code: str) -> RegionInfo:
    """What the confirmation of archiving a region shows; Conflict, as `set_region_archived`
    gives, while the region still has an open store (there is nothing to confirm then)."""
    found = region(db, code)
    if found.stores:
        with db.session() as session:
            refusal = _open_stores_refusal(session, found.code)
        if refusal is not None:
            raise refusal
    return found


def _open_stores_refusal(session: sa.orm.Session, code: str) -> Conflict | None:
    """Why region `code` cannot be archived yet: its open stores, the first five named."""
    open_stores = session.scalars(
        sa.select(models.Store.code)
        .join(models.Region, models.Region.id == models.Store.region_id)
        .where(models.Region.code == code, models.Store.archived.is_(False))
        .order_by(models.Store.code)
    ).all()
    if not open_stores:
        return None
    listed = ", ".join(open_stores[:5]) + (" ..." if len(open_stores) > 5 else "")
    message = (
        f"region {code} still has {len(open_stores)} open store(s) ({listed}): "
        "move them to another region or archive them first"
    )
    return Conflict(message, problems=[Problem("region", message)])


def regions(db: Database, archived: bool | None = None) -> list[RegionInfo]:
    """Every region (or only the open or archived ones), with its open and archived stores counted."""
    query = (
        sa.select(
            models.Region.code,
            models.Region.name,
            sa.func.count(models.Store.id).filter(models.Store.archived.is_(False)),
            sa.func.count(models.Store.id).filter(models.Store.archived.is_(True)),
            models.Region.archived,
        )
        .outerjoin(models.Store, models.Store.region_id == models.Region.id)
        .group_by(models.Region.id, models.Region.code, models.Region.name, models.Region.archived)
        .order_by(models.Region.code)
    )
    if archived is not None:
        query = query.where(models.Region.archived.is_(archived))
    with db.session() as session:
        return [RegionInfo(*row) for row in session.execute(query).all()]


def region(db: Database, code: str) -> RegionInfo:
    found = next((r for r in regions(db) if r.code == code.upper()), None)
    if found is None:
        raise NotFound(f"no region {code!r}")
    return found


def stores(
    db: Database, region_code: str = "", archived: bool | None = None, code: str = "", ids: frozenset[int] = frozenset()
) -> list[StoreInfo]:
    """Stores by region and code, with how many audits each has (archived ones keep theirs)."""
    counts = sa.select(models.Audit.store_id, sa.func.count().label("n")).group_by(models.Audit.store_id).subquery()
    query = (
        sa.select(
            models.Store.code,
            models.Store.name,
            models.Region.code,
            models.Region.name,
            models.Store.address,
            models.Store.timezone,
            models.Store.archived,
            sa.func.coalesce(counts.c.n, 0),
        )
        .join(models.Region, models.Region.id == models.Store.region_id)
        .outerjoin(counts, counts.c.store_id == models.Store.id)
        .order_by(models.Region.code, models.Store.code)
    )
    if region_code:
        query = query.where(models.Region.code == region_code.upper())
    if archived is not None:
        query = query.where(models.Store.archived.is_(archived))
    if code:
        query = query.where(models.Store.code == code.strip().upper())
    if ids:
        query = query.where(models.Store.id.in_(ids))
    with db.session() as session:
        return [StoreInfo(*row) for row in session.execute(query).all()]


def stores_of(db: Database, viewer: Viewer) -> list[StoreInfo]:
    """A store manager's open stores (their home page); nobody else has stores of their own."""
    return stores(db, archived=False, ids=viewer.store_ids) if viewer.store_ids else []


def store(db: Database, code: str) -> StoreInfo:
    found = stores(db, code=code)
    if not found:
        raise NotFound(f"no store {code!r}")
    return found[0]


@dataclass(frozen=True)
class StoresPage:
    """The regions and stores page: every region, and the stores asked for."""

    regions: list[RegionInfo]
    stores: list[StoreInfo]


def stores_page(db: Database, region_code: str = "", archived: bool | None = None) -> StoresPage:
    """Every region, and the stores of one region (or all), open, archived or both."""
    return StoresPage(regions(db), stores(db, region_code, archived))


@dataclass(frozen=True)
class StoreForm:
    """What the store form offers: the store edited (None for a new one) and the regions."""

    store: StoreInfo | None
    regions: list[RegionInfo]


def store_form(db: Database, code: str = "") -> StoreForm:
    """The store form for store `code` (NotFound when there is none), or for a new store."""
    return StoreForm(store(db, code) if code else None, regions(db))


def _check_store(code: str, name: str, region_code: str, address: str, timezone: str) -> None:
    problems = store_problems(code, name, region_code, address, timezone)
    if problems:
        raise Invalid(problems=[Problem(field, message) for field, message in problems])


def _store(session: sa.orm.Session, code: str) -> models.Store:
    store = session.scalar(sa.select(models.Store).where(models.Store.code == code.strip().upper()))
    if store is None:
        raise NotFound(f"no store {code!r}")
    return store


def _region_id(session: sa.orm.Session, code: str, current: int | None = None) -> int:
    """The region a store goes to: an archived one only when the store is in it already."""
    found = session.execute(
        sa.select(models.Region.id, models.Region.archived).where(models.Region.code == code)
    ).first()
    if found is None:
        raise Invalid(problems=[Problem("region", f"there is no region {code}")])
    if found.archived and found.id != current:
        raise Invalid(problems=[Problem("region", f"region {code} is archived: bring it back first")])
    return found.id


def _code(code: str, what: str) -> str:
    code = code.strip().upper()
    if not CODE.match(code):
        raise Invalid(problems=[Problem("code", f"{what} code {code!r} must be capital letters, digits and hyphens")])
    return code
