import sqlite3
import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import SQLModel

from audit.storage import migrate, models
from audit.storage.db import Database, Lookup


def test_migrations_build_exactly_the_tables_the_models_declare(db):
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    assert migrate.is_current(db)


def test_upgrading_an_up_to_date_database_changes_nothing(db):
    migrate.upgrade(db)
    assert migrate.is_current(db)


def test_foreign_keys_are_enforced(db):
    with pytest.raises(IntegrityError), db.write_session() as session:
        session.add(models.Store(code="X-1", name="Orphan", region_id=999))


def test_store_codes_are_unique(db):
    with db.write_session() as session:
        session.add(models.Region(code="R", name="R"))
    with db.write_session() as session:
        region_id = session.scalar(sa.select(models.Region.id))
        session.add(models.Store(code="LDN-001", name="A", region_id=region_id))
    with pytest.raises(IntegrityError), db.write_session() as session:
        session.add(models.Store(code="LDN-001", name="B", region_id=region_id))


def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(sqlite_db):
    with sqlite_db.write_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_a_write_transaction_takes_the_write_lock_at_its_start(sqlite_db):
    db = sqlite_db
    impatient = Database(db.settings.with_(sqlite_busy_timeout_ms=50))
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with db.write_session() as session:
            session.execute(sa.select(1))  # a read only: BEGIN IMMEDIATE has already locked
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    assert holding.wait(5)
    try:
        # straight to the engine, past the writer queue: BEGIN IMMEDIATE itself meets the lock
        with pytest.raises(OperationalError, match="locked"), impatient.write_engine.begin() as conn:
            conn.execute(sa.select(1))
        with impatient.session() as session:  # readers are never blocked (WAL)
            assert session.execute(sa.select(1)).scalar() == 1
    finally:
        release.set()
        thread.join()
        impatient.dispose()


def test_writers_of_other_connections_wait_their_turn_instead_of_failing(sqlite_db):
    """Two Database objects stand for two worker processes: the second waits, then writes."""
    db = sqlite_db
    other = Database(db.settings.with_(sqlite_busy_timeout_ms=50))
    order: list[str] = []
    holding = threading.Event()

    def first():
        with db.write_session() as session:
            session.add(models.Region(code="A", name="A"))
            holding.set()
            threading.Event().wait(0.3)  # longer than the other's busy timeout
            order.append("first")

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(5)
    with other.write_session() as session:
        session.add(models.Region(code="B", name="B"))
    order.append("second")
    thread.join()
    other.dispose()
    assert order == ["first", "second"]
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(models.Region)) == 2


def test_a_lookup_sends_values_as_sqlalchemy_would_and_reads_them_back(db):
    from datetime import UTC, datetime

    later = datetime(2030, 1, 1, tzinfo=UTC)
    with db.write_session() as session:
        user = models.User(email="a@example.com", name="A", role="shopper", created_at=later)
        session.add_all([models.Region(code="R", name="Region"), user])
        session.flush()
        session.add(models.UserSession(token_hash="h", user_id=user.id, expires_at=later, created_at=later))
    live = Lookup(
        sa.select(models.User.email, models.UserSession.token_hash)
        .join(models.UserSession, models.UserSession.user_id == models.User.id)
        .where(models.UserSession.expires_at > sa.bindparam("now", type_=models.UTCDateTime()))
        .limit(1)
    )
    assert live.first(db, now=datetime(2029, 12, 31, 23, 0, tzinfo=UTC)) == ("a@example.com", "h")
    assert live.first(db, now=later) is None  # the aware datetime went through UTCDateTime
    assert Lookup(sa.select(models.Region.code)).all(db) == [("R",)]


def test_a_lookup_sees_every_write_committed_since_its_last_read(db):
    """SQLite lookups keep one connection per thread: no read may leave a snapshot behind."""
    codes = Lookup(sa.select(models.Region.code).order_by(models.Region.code))
    for code in ("A", "B"):
        with db.write_session() as session:
            session.add(models.Region(code=code, name=code))
    assert codes.first(db) == ("A",)  # one row of two taken: the statement must still end
    with db.write_session() as session:
        session.add(models.Region(code="0", name="zero"))
    assert codes.first(db) == ("0",)
    assert codes.all(db) == [("0",), ("A",), ("B",)]


def test_a_thread_s_kept_reader_closes_when_the_thread_ends_or_the_database_is_disposed(sqlite_db):
    with sqlite_db.write_session() as session:
        session.add(models.Region(code="R", name="Region"))
    codes = Lookup(sa.select(models.Region.code))
    found, connections = [], []

    def read() -> None:
        found.append(codes.all(sqlite_db))
        connections.append(sqlite_db.reader())

    for _ in range(5):  # as the thread pool's workers come and go
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert found == [[("R",)]] * 5
    assert len(sqlite_db._open_readers) == 0
    for connection in connections:
        with pytest.raises(sqlite3.ProgrammingError):  # closed
            connection.execute("SELECT 1")
    assert codes.all(sqlite_db) == [("R",)]
    mine = sqlite_db.reader()
    sqlite_db.dispose()
    with pytest.raises(sqlite3.ProgrammingError):
        mine.execute("SELECT 1")
    assert codes.all(sqlite_db) == [("R",)]  # opens a fresh one
