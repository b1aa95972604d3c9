"""Importing checklist files as versions, and finding the spec an audit was filled in with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from audit import formats
from audit.domain import checklist as spec_module
from audit.domain import checklist_diff
from audit.domain.checklist import Checklist
from audit.domain.checklist_diff import Changes
from audit.errors import NotFound
from audit.services.company import activity
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
    version: str  # the content hash: the id the shopper's app sends back, shown only as a detail
    current: bool
    created_at: str
    audits: int
    number: int = 0  # 1 for the checklist's first version, in the order they were published
    published_at: datetime | None = None

    @property
    def name(self) -> str:
        """ "v3": what owners and managers call a version (with its date, see `label`)."""
        return f"v{self.number}"

    def label(self, zone: ZoneInfo | None = None) -> str:
        """ "v3 · 4 Dec 2026": the version's name and the day it was first published, in `zone`."""
        return version_label(self.number, self.published_at, zone)


def version_label(number: int, published_at: datetime | None, zone: ZoneInfo | None = None) -> str:
    return f"v{number} · {formats.day(published_at, zone)}" if published_at else f"v{number}"


@dataclass(frozen=True)
class VersionName:
    """The readable name of one version, for pages that show an audit's version."""

    key: str
    id: str
    number: int
    published_at: datetime

    @property
    def name(self) -> str:
        return f"v{self.number}"

    def label(self, zone: ZoneInfo | None = None) -> str:
        return version_label(self.number, self.published_at, zone)


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


def list_versions(db: Database, key: str = "") -> list[VersionInfo]:
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
        .order_by(models.ChecklistVersion.checklist_key, models.ChecklistVersion.created_at, models.ChecklistVersion.id)
    )
    if key:
        query = query.where(models.ChecklistVersion.checklist_key == key)
    with db.session() as session:
        rows = session.execute(query).all()
    numbers: dict[str, int] = {}
    found = []
    for key, title, vid, current_id, created, n in rows:
        numbers[key] = numbers.get(key, 0) + 1  # a version keeps its number: versions are never deleted
        found.append(
            VersionInfo(
                key=key,
                title=title,
                version=vid,
                current=vid == current_id,
                created_at=created.isoformat(timespec="seconds"),
                audits=n,
                number=numbers[key],
                published_at=created,
            )
        )
    return found


def version_name(db: Database, version_id: str) -> VersionName | None:
    """ "v3" and its publication day for the version `version_id` (None when there is none)."""
    with db.session() as session:
        row = session.get(models.ChecklistVersion, version_id)
        if row is None:
            return None
        key, created = row.checklist_key, row.created_at
        earlier = session.scalar(
            sa.select(sa.func.count())
            .select_from(models.ChecklistVersion)
            .where(
                models.ChecklistVersion.checklist_key == key,
                sa.or_(
                    models.ChecklistVersion.created_at < created,
                    sa.and_(models.ChecklistVersion.created_at == created, models.ChecklistVersion.id < version_id),
                ),
            )
        )
    return VersionName(key, version_id, (earlier or 0) + 1, created)


@dataclass(frozen=True)
class ChecklistInfo:
    key: str
    title: str
    current_version: str
    archived: bool
    versions: int
    audits: int
    current: VersionInfo | None = None  # the current version's name and date


def publish(db: Database, text: str, filename: str, actor_id: int | None = None) -> ImportResult:
    """Checks an uploaded file and makes it the current version (a new one unless the content is stored).

    Old audits keep the version they were filled in with; publishing to an archived
    checklist brings it back, since publishing says "use this"."""
    spec = spec_module.parse(text, source=filename)
    result = import_spec(db, spec, text)
    name = version_name(db, spec.version)
    with db.write_session() as session:
        record = session.get(models.Checklist, spec.key)
        assert record is not None
        was_archived, record.archived = record.archived, False
        if result.became_current or was_archived:
            shown = f"{name.name} ({spec.version})" if name else spec.version
            detail = f"version {shown}" + (" (new)" if result.created else " (an earlier version again)")
            activity.record(session, actor_id, "checklist_published", f"checklist {spec.key}", detail)
    return result


def set_archived(db: Database, key: str, archived: bool, actor_id: int | None = None) -> None:
    """An archived checklist takes no new visits; its audits stay and keep their version."""
    with db.write_session() as session:
        record = session.get(models.Checklist, key)
        if record is None:
            raise NotFound(f"no checklist {key!r}")
        if record.archived != archived:
            record.archived = archived
            kind = "checklist_archived" if archived else "checklist_restored"
            activity.record(session, actor_id, kind, f"checklist {key}", record.title)


def choices_in(session: sa.orm.Session) -> list[tuple[str, str]]:
    """(key, title) of every checklist, for the pages' checklist filter: scores of two
    checklists are never mixed, so a page shows one at a time."""
    return [(c.key, c.title) for c in session.scalars(sa.select(models.Checklist).order_by(models.Checklist.key))]


def choices(db: Database) -> list[tuple[str, str]]:
    with db.session() as session:
        return choices_in(session)


def overview(db: Database, include_archived: bool = True, key: str = "") -> list[ChecklistInfo]:
    """Every checklist (or the one of `key`) with its current version, how many versions and audits it has."""
    query = (
        sa.select(
            models.Checklist.key,
            models.Checklist.title,
            models.Checklist.current_version_id,
            models.Checklist.archived,
            sa.func.count(sa.distinct(models.ChecklistVersion.id)),
            sa.func.count(models.Audit.id),
        )
        .join(models.ChecklistVersion, models.ChecklistVersion.checklist_key == models.Checklist.key)
        .outerjoin(models.Audit, models.Audit.checklist_version_id == models.ChecklistVersion.id)
        .group_by(
            models.Checklist.key, models.Checklist.title, models.Checklist.current_version_id, models.Checklist.archived
        )
        .order_by(models.Checklist.archived, models.Checklist.key)
    )
    if not include_archived:
        query = query.where(models.Checklist.archived.is_(False))
    if key:
        query = query.where(models.Checklist.key == key)
    with db.session() as session:
        rows = session.execute(query).all()
    names = {v.version: v for v in list_versions(db, key)}
    return [ChecklistInfo(*row, current=names.get(row[2])) for row in rows]


def versions_of(db: Database, key: str) -> list[VersionInfo]:
    """The versions of one checklist, newest first."""
    found = [v for v in list_versions(db, key) if v.key == key]
    if not found:
        raise NotFound(f"no checklist {key!r}")
    # the query orders by the full timestamp; `created_at` here is cut to seconds for display
    return found[::-1]


@dataclass(frozen=True)
class ChecklistPage:
    """One checklist's page: what it is, and its versions newest first, each with what
    changed from the one before ("2 items added, 1 re-weighted")."""

    info: ChecklistInfo
    versions: list[VersionInfo]
    changes: dict[str, str]  # version id -> summary of its changes from the previous version


def page(db: Database, key: str) -> ChecklistPage:
    """The checklist of `key` with its versions; NotFound when there is none."""
    found = overview(db, key=key)
    if not found:
        raise NotFound(f"no checklist {key!r}")
    versions = versions_of(db, key)
    summaries = {}
    for newer, older in pairwise(versions):
        new_spec, old_spec = version(db, newer.version), version(db, older.version)
        if new_spec is not None and old_spec is not None:
            summaries[newer.version] = checklist_diff.changes(old_spec, new_spec).summary() or "no change in content"
    return ChecklistPage(found[0], versions, summaries)


@dataclass(frozen=True)
class VersionPage:
    """One version: its spec, its name, and what changed from the version published before it."""

    info: VersionInfo
    spec: Checklist
    previous: VersionInfo | None
    changes: Changes | None  # None for the first version


def version_page(db: Database, key: str, version_id: str) -> VersionPage:
    """The version `version_id` of checklist `key`; NotFound when it is not one of its versions."""
    versions = list_versions(db, key)
    at = next((n for n, v in enumerate(versions) if v.version == version_id), None)
    spec = version(db, version_id)
    if at is None or spec is None:
        raise NotFound(f"no version {version_id!r} of {key!r}")
    previous = versions[at - 1] if at > 0 else None
    before = version(db, previous.version) if previous else None
    found = checklist_diff.changes(before, spec) if before is not None else None
    return VersionPage(versions[at], spec, previous, found)


@dataclass(frozen=True)
class Preview:
    """An uploaded file, checked, beside what is stored; nothing is stored yet."""

    spec: Checklist
    existing: ChecklistInfo | None  # the checklist of the same key, when there is one
    stored: bool  # this exact version is stored already (publishing it changes nothing new)
    changes: Changes | None = None  # from the current version, when there is one
    stored_as: VersionInfo | None = None  # the stored version with this content


def preview(db: Database, text: str, filename: str) -> Preview:
    """The uploaded text as a checklist (ChecklistError with every problem, by item), and
    whether its checklist and this exact version are stored already."""
    spec = spec_module.parse(text, source=filename)
    existing = next(iter(overview(db, key=spec.key)), None)
    stored_as = next((v for v in list_versions(db, spec.key) if v.version == spec.version), None)
    current_spec = version(db, existing.current_version) if existing else None
    found = checklist_diff.changes(current_spec, spec) if current_spec is not None else None
    return Preview(spec, existing, stored_as is not None, found, stored_as)
