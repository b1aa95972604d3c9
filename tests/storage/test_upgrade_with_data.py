"""Upgrading a SQLite database that already holds data: batch migrations rebuild tables
that other tables point at, which SQLite refuses while foreign keys are enforced."""

from __future__ import annotations

import sqlalchemy as sa

from audit.settings import ROOT, Settings
from audit.storage import migrate
from audit.storage.db import Database


def test_a_sqlite_database_with_data_upgrades_from_the_first_revisions_to_the_newest(tmp_path):
    db = Database(Settings(checklists_dir=ROOT / "checklists", sqlite_path=tmp_path / "old.db"))
    try:
        migrate.upgrade(db, "0002")
        with db.write_engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO checklists (key, title, current_version_id) VALUES ('c', 'C', 'v1')")
            )
            connection.execute(
                sa.text(
                    "INSERT INTO checklist_versions (id, checklist_key, title, spec, source, created_at)"
                    " VALUES ('v1', 'c', 'C', '{}', '', '2026-01-01 00:00:00.000000')"
                )
            )
        migrate.upgrade(db)
        assert migrate.is_current(db)
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT key FROM checklists")).scalars().all() == ["c"]
            assert connection.execute(sa.text("SELECT id FROM checklist_versions")).scalars().all() == ["v1"]
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1  # enforced again afterwards
    finally:
        db.dispose()
