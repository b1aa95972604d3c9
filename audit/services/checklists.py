"""Importing checklist files as versions, and finding the spec an audit was filled in with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from audit.domain import checklist as spec_module
from audit.domain.checklist import Checklist
from audit.errors import NotFound
from audit.storage import models
from audit.storage.db import Database


@dataclass(frozen=True)
class ImportResult:
    key: str
    version: str
    created: bool
    became_current: bool


@dataclass(frozen=True)
class VersionInfo:
    key: str
    title: str
    version: str
    current: bool
    created_at: str
    audits: int


def import_file(db: Database, path: str | Path) -> ImportResult:
    spec = spec_module.load(path)
    return import_spec(db, spec, Path(path).read_text(encoding="utf-8"))


def import_spec(db: Database, spec: Checklist, source: str) -> ImportResult:
    """Store `spec` as a version unless that exact content is stored, and make it current."""
    with db.write_session() as session:
        created = session.get(models.ChecklistVersion, spec.version) is None
        record = session.get(models.Checklist, spec.key)
        if record is None:
            record = models.Checklist(key=spec.key, title=spec.title, current_version_id=spec.version)
            session.add(record)
            session.flush()
            became_current = True
        else:
            became_current = record.current_version_id != spec.version
            record.current_version_id = spec.version
            record.title = spec.title
        if created:
            session.add(
                models.ChecklistVersion(
                    id=spec.version,
                    checklist_key=spec.key,
                    title=spec.title,
                    spec=spec.to_data(),
                    source=source,
                    created_at=models.now(),
                )
            )
    return ImportResult(key=spec.key, version=spec.version, created=created, became_current=became_current)


def import_directory(db: Database, directory: Path) -> list[ImportResult]:
    return [import_file(db, path) for path in sorted(directory.glob("*.toml"))]


def current(db: Database, key: str) -> Checklist:
    with db.session() as session:
        record = session.get(models.Checklist, key)
        if record is None:
            raise NotFound(f"no checklist {key!r}")
        version_id = record.current_version_id
    found = version(db, version_id)
    assert found is not None
    return found


def version(db: Database, version_id: str) -> Checklist | None:
    """The exact spec of a version; versions never change, so they are cached for good."""
    return _cached_version(db, version_id)


def _cached_version(db: Database, version_id: str) -> Checklist | None:
    cache = db.memo.setdefault("checklist_versions", {})
    if version_id in cache:
        return cache[version_id]
    with db.session() as session:
        row = session.get(models.ChecklistVersion, version_id)
    if row is None:
        return None  # not cached: the version may be imported later
    spec = spec_module.from_data(row.spec, row.id)
    cache[version_id] = spec
    return spec


def list_versions(db: Database) -> list[VersionInfo]:
    counts = (
        sa.select(models.Audit.checklist_version_id, sa.func.count().label("n"))
        .group_by(models.Audit.checklist_version_id)
        .subquery()
    )
    query = (
        sa.select(
            models.ChecklistVersion.checklist_key,
            models.ChecklistVersion.title,
            models.ChecklistVersion.id,
            models.Checklist.current_version_id,
            models.ChecklistVersion.created_at,
            sa.func.coalesce(counts.c.n, 0),
        )
        .join(models.Checklist, models.Checklist.key == models.ChecklistVersion.checklist_key)
        .outerjoin(counts, counts.c.checklist_version_id == models.ChecklistVersion.id)
        .order_by(models.ChecklistVersion.checklist_key, models.ChecklistVersion.created_at)
    )
    with db.session() as session:
        rows = session.execute(query).all()
    return [
        VersionInfo(
            key=key,
            title=title,
            version=vid,
            current=vid == current_id,
            created_at=created.isoformat(timespec="seconds"),
            audits=n,
        )
        for key, title, vid, current_id, created, n in rows
    ]
