"""Shared fixtures: a fresh database per test, on SQLite and on PostgreSQL.

Tests that take `db` (or anything built on it) run once per backend. The SQLite
database is a fresh file per test, copied from one migrated template; the
PostgreSQL one is a database made for this test run, migrated once and emptied
before each test. Set AUDIT_TEST_POSTGRES_URL to point at another server, or
AUDIT_TEST_SKIP_POSTGRES=1 to run SQLite only (CI never does).
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from audit.app import create_app
from audit.services.people import accounts
from audit.settings import ROOT, Settings
from audit.storage import migrate
from audit.storage.db import Database
from tests import actors

POSTGRES_URL = os.environ.get("AUDIT_TEST_POSTGRES_URL", "postgresql+psycopg://audit:audit@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite"] if os.environ.get("AUDIT_TEST_SKIP_POSTGRES") == "1" else ["sqlite", "postgresql"]


# Tests hash passwords with argon2id at the lowest cost: production parameters (argon2-cffi's
# recommended ones, about 0.25 s a hash here) would spend most of the suite in make_org.
# `production_hashing` gives a test the real ones back.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PRODUCTION_HASHER = accounts._hasher


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    dummy = accounts._DUMMY_HASH
    accounts._hasher, accounts._DUMMY_HASH = CHEAP_HASHER, CHEAP_HASHER.hash("dummy")
    yield
    accounts._hasher, accounts._DUMMY_HASH = PRODUCTION_HASHER, dummy


@pytest.fixture
def production_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", PRODUCTION_HASHER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`postgres` marks every test that runs on the PostgreSQL server, so that
    `-m "not postgres"` runs SQLite only."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in callspec.id.split("-"):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(Settings(sqlite_path=path))
    migrate.upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of our own on the test server, migrated once; dropped at the end."""
    admin = make_url(POSTGRES_URL)
    name = f"audit_test_{uuid.uuid4().hex[:10]}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    db = Database(Settings(database_url=url))
    migrate.upgrade(db)
    db.dispose()
    yield url
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    base = Settings(checklists_dir=ROOT / "checklists", sqlite_path=tmp_path / "audit.db")
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), base.sqlite_path)
        return base
    url = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return base.with_(database_url=url)


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    database.dispose()


@pytest.fixture
def org(db: Database) -> actors.Org:
    return actors.make_org(db)


@pytest.fixture
def put_audit(db: Database, org: actors.Org):
    """`put_audit(store, finished, **answers)`: an audit of the main checklist stored as the
    shopper made it (`actors.submitted`), through one submitter for the test; its id."""
    from audit.services import audits

    submitter = audits.Submitter(db)
    yield functools.partial(actors.submitted, db, submitter, org)
    submitter.close()


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def anonymous(app, org: actors.Org) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def client_for(app, org: actors.Org):
    """A signed-in client per actor email, made on demand."""
    clients: list[TestClient] = []

    def make(email: str) -> TestClient:
        test_client = TestClient(app, follow_redirects=False)
        test_client.__enter__()
        clients.append(test_client)
        return actors.sign_in(test_client, email)

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


@pytest.fixture
def client(client_for) -> TestClient:
    """The owner, who may do everything."""
    return client_for("owner@example.com")


@pytest.fixture
def shopper_client(client_for) -> TestClient:
    return client_for("shopper@example.com")


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """For the tests of SQLite's own settings, which have no PostgreSQL twin."""
    settings = Settings(checklists_dir=ROOT / "checklists", sqlite_path=tmp_path / "audit.db")
    shutil.copy(sqlite_template, settings.sqlite_path)
    database = Database(settings)
    yield database
    database.dispose()
