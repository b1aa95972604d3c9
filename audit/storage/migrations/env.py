"""Alembic environment: the engine comes from the caller (`audit db upgrade`) or settings."""

from alembic import context
from sqlmodel import SQLModel

from audit.settings import from_env
from audit.storage import models  # noqa: F401  (registers the tables)
from audit.storage.db import Database

config = context.config
engine = config.attributes.get("engine") or Database(from_env()).write_engine

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
