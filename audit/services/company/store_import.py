"""Importing a CSV of stores: all or nothing, idempotent, updating stores by their code.

Every bad line is reported with its number and reason, and nothing is written while any
line is bad, so an owner never has to work out which half of a file went in. A row for a
store that exists updates it (its code is its identity); a row equal to what is stored
changes nothing, so importing the same file twice is harmless. Archived stores stay
archived: the file says what a store is, archiving says whether it is still visited.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from audit.domain import imports
from audit.domain.imports import LineProblem
from audit.errors import Invalid, Problem
from audit.services.company import activity
from audit.services.company.organisation import update_store
from audit.storage import models
from audit.storage.db import Database


class ImportRefused(Invalid):
    """The file has mistakes; nothing was imported."""

    def __init__(self, problems: list[LineProblem]) -> None:
        self.lines = problems
        super().__init__(
            f"Nothing was imported: {len(problems)} problem(s) in the file.",
            [Problem(f"line {p.line}" if p.line else "file", p.message) for p in problems],
        )


@dataclass(frozen=True)
class ImportSummary:
    created: list[str]
    updated: list[str]
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def import_csv(db: Database, text: str, actor_id: int | None = None) -> ImportSummary:
    rows, problems = imports.store_rows(text)
    with db.write_session() as session:
        found = session.execute(sa.select(models.Region.code, models.Region.id, models.Region.archived)).all()
        region_ids = {code: region_id for code, region_id, archived in found if not archived}
        closed = {code for code, _, archived in found if archived}
        unknown = [
            LineProblem(
                r.line, f"region {r.region} is archived" if r.region in closed else f"there is no region {r.region}"
            )
            for r in rows
            if imports.CODE.match(r.region) and r.region not in region_ids  # a malformed code is said already
        ]
        if problems or unknown:  # every problem of every line, in line order
            raise ImportRefused(sorted(problems + unknown, key=lambda p: p.line))
        codes = [r.code for r in rows]
        existing = {s.code: s for s in session.scalars(sa.select(models.Store).where(models.Store.code.in_(codes)))}
        created, updated = [], []
        for row in rows:
            name, region_id = row.name, region_ids[row.region]
            store = existing.get(row.code)
            if store is None:
                session.add(
                    models.Store(
                        code=row.code, name=name, region_id=region_id, address=row.address, timezone=row.timezone
                    )
                )
                created.append(row.code)
            elif update_store(store, name, region_id, row.address, row.timezone):
                updated.append(row.code)
        summary = ImportSummary(created, updated, len(rows) - len(created) - len(updated))
        if summary.changed:
            detail = f"{len(created)} new: {' '.join(created)}; {len(updated)} updated: {' '.join(updated)}"
            activity.record(session, actor_id, "stores_imported", f"{len(rows)} rows", detail)
    return summary
