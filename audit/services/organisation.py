"""Regions, stores and people: the company the audits are about."""

from __future__ import annotations

import re

import sqlalchemy as sa

from audit.errors import Conflict, Invalid, NotFound, Problem
from audit.storage import models
from audit.storage.db import Database

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def add_region(db: Database, code: str, name: str) -> int:
    code = _code(code, "region")
    with db.write_session() as session:
        if session.scalar(sa.select(models.Region.id).where(models.Region.code == code)):
            raise Conflict(f"region {code} exists already")
        region = models.Region(code=code, name=name.strip() or code)
        session.add(region)
        session.flush()
        assert region.id is not None
        return region.id


def add_store(db: Database, code: str, name: str, region_code: str, address: str = "") -> int:
    code = _code(code, "store")
    with db.write_session() as session:
        region_id = session.scalar(sa.select(models.Region.id).where(models.Region.code == region_code))
        if region_id is None:
            raise NotFound(f"no region {region_code!r}")
        if session.scalar(sa.select(models.Store.id).where(models.Store.code == code)):
            raise Conflict(f"store {code} exists already")
        store = models.Store(code=code, name=name.strip() or code, region_id=region_id, address=address)
        session.add(store)
        session.flush()
        assert store.id is not None
        return store.id


def _code(code: str, what: str) -> str:
    code = code.strip().upper()
    if not CODE.match(code):
        raise Invalid(problems=[Problem("code", f"{what} code {code!r} must be capital letters, digits and hyphens")])
    return code
