"""Apply the Alembic migrations (batch mode, so they also run on SQLite)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from audit.storage.db import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = database.write_engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    command.upgrade(alembic_config(database), revision)


def current(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(database: Database) -> bool:
    """Whether the schema is at the newest migration (commands refuse to run otherwise)."""
    from alembic.script import ScriptDirectory

    return current(database) == ScriptDirectory.from_config(alembic_config(database)).get_current_head()
