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


def test_audits_with_answers_keep_every_row_through_the_answer_table_rebuild(tmp_path):
    """0007 rebuilds answers and section scores WITHOUT ROWID; 0008 and 0009 add an index and
    a column: stored audits must come through whole, and their references still hold."""
    db = Database(Settings(checklists_dir=ROOT / "checklists", sqlite_path=tmp_path / "old.db"))
    when = "2026-11-02 11:30:00.000000"
    statements = [
        "INSERT INTO checklists (key, title, current_version_id) VALUES ('c', 'C', 'v1')",
        "INSERT INTO checklist_versions (id, checklist_key, title, spec, source, created_at)"
        f" VALUES ('v1', 'c', 'C', '{{}}', '', '{when}')",
        "INSERT INTO regions (id, code, name) VALUES (1, 'NTH', 'North')",
        "INSERT INTO stores (id, code, name, region_id, address, timezone, archived)"
        " VALUES (1, 'NTH-001', 'Leeds', 1, '', '', 0)",
        "INSERT INTO audits (id, store_id, checklist_version_id, started_at, finished_at, submitted_at, notes,"
        " earned, possible, score, critical_failed, excluded, excluded_reason, content_hash)"
        f" VALUES ('a1', 1, 'v1', '{when}', '{when}', '{when}', '', 3, 4, 75.0, 0, 0, '', 'h')",
        "INSERT INTO audit_sections (audit_id, section_key, earned, possible, score) VALUES ('a1', 's', 3, 4, 75.0)",
        "INSERT INTO answers (audit_id, item_key, section_key, value, comment, na, earned, possible, failed)"
        " VALUES ('a1', 'greet', 's', '\"yes\"', 'warm', 0, 3, 3, 0), ('a1', 'name', 's', '\"no\"', '', 0, 0, 1, 1)",
    ]
    try:
        migrate.upgrade(db, "0006")
        with db.write_engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
        migrate.upgrade(db)
        with db.engine.connect() as connection:
            answers = connection.execute(sa.text("SELECT item_key, value, comment FROM answers ORDER BY item_key"))
            assert answers.all() == [("greet", '"yes"', "warm"), ("name", '"no"', "")]
            assert connection.execute(sa.text("SELECT score FROM audit_sections")).scalar() == 75.0
            assert connection.execute(sa.text("SELECT archived FROM regions")).scalar() == 0
            tables = dict(connection.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
            assert "WITHOUT ROWID" in tables["answers"] and "WITHOUT ROWID" in tables["audit_sections"]
            assert connection.execute(sa.text("PRAGMA foreign_key_check")).all() == []
    finally:
        db.dispose()
