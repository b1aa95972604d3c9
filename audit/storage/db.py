"""Engines and sessions for SQLite (default) and PostgreSQL, one code path for both.

SQLite is tuned for a server that must never lose an acknowledged audit:
WAL so readers never wait for the writer, `synchronous=FULL` so a commit is on
disk before we answer 201, foreign keys on, and a busy timeout. Writes go
through their own engine whose transactions start with BEGIN IMMEDIATE: a
deferred transaction that reads and then writes fails with SQLITE_BUSY when
another worker process got the write lock first, instead of waiting for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from audit.settings import Settings


class Database:
    """A read engine and a write engine (the same one on PostgreSQL)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.url
        self.is_sqlite = settings.is_sqlite
        # Values that never change once stored (checklist versions), remembered per database.
        self.memo: dict[str, Any] = {}
        self._readers = threading.local()  # see reader()
        self._open_readers: weakref.WeakSet[_Reader] = weakref.WeakSet()
        if self.is_sqlite:
            Path(settings.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(self.url, settings.sqlite_busy_timeout_ms, "BEGIN")
            self.write_engine = _sqlite_engine(self.url, settings.sqlite_busy_timeout_ms, "BEGIN IMMEDIATE")
            self._writers: WriterLock | None = WriterLock(Path(f"{settings.sqlite_path}.write-lock"))
        else:
            self.engine = sa.create_engine(
                self.url,
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=10,
                json_serializer=json_text,
                hide_parameters=True,  # errors and logs never print values (token hashes, answers)
            )
            self.write_engine = self.engine
            self._writers = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading (and small writes on PostgreSQL)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session whose transaction holds the write lock from its first statement; commits on exit."""
        with self._turn(), Session(self.write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write_transaction(self) -> Iterator[sa.Connection]:
        """A Core connection in a write transaction; commits on exit."""
        with self._turn(), self.write_engine.begin() as connection:
            yield connection

    @contextmanager
    def _turn(self) -> Iterator[None]:
        if self._writers is None:
            yield
        else:
            with self._writers:
                yield

    def reader(self) -> Any:
        """This thread's own SQLite connection for `Lookup` reads, kept open.

        Checking a connection out of the pool and back (with its reset) costs several
        times the read itself, and each read is a single autocommit statement, so a
        connection per thread needs no reset at all. Set up as the pool's are
        (WAL, foreign keys, busy timeout): it is made by the same engine, then taken out of
        the pool for good. It is closed when its thread ends (the thread pool's workers
        come and go) or when the database is disposed.
        """
        reader = getattr(self._readers, "reader", None)
        if reader is None or reader.connection is None:
            fairy = self.engine.raw_connection()
            fairy.detach()
            reader = self._readers.reader = _Reader(fairy.dbapi_connection)
            self._open_readers.add(reader)
        return reader.connection

    def drop_reader(self) -> None:
        """Close this thread's reader after an error: the next read opens a fresh one."""
        reader = getattr(self._readers, "reader", None)
        if reader is not None:
            reader.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    def dispose(self) -> None:
        for reader in list(self._open_readers):
            reader.close()
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


class _Reader:
    """A thread's kept SQLite connection. It lives in the thread's local storage, so when
    the thread ends the reader goes with it and closes its connection."""

    def __init__(self, connection: Any) -> None:
        self.connection: Any = connection

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()

    __del__ = close


_Bind = tuple[str, Any, Callable[[Any], Any] | None]  # name, value when not given, bind processor


class Lookup:
    """A small SELECT that runs on every request, sent straight to the driver.

    SQLAlchemy's execution path (statement cache, execution context, result
    metadata) costs about 70 us per query on SQLite, where the query itself takes a
    few. A `Lookup` compiles its statement once per dialect, sends each parameter
    through its type's own bind processor (so values reach the database exactly as
    SQLAlchemy would send them) and hands back the driver's rows as tuples: use it
    only for columns whose values need no result processing (integers, text).
    """

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement
        self._plans: dict[str, tuple[str, list[_Bind], bool]] = {}  # by dialect: SQL, binds, positional

    def first(self, db: Database, **params: Any) -> tuple[Any, ...] | None:
        rows = self._run(db, params, many=False)
        return rows[0] if rows else None

    def all(self, db: Database, **params: Any) -> list[tuple[Any, ...]]:
        return self._run(db, params, many=True)

    def _run(self, db: Database, params: dict[str, Any], many: bool) -> list[tuple[Any, ...]]:
        dialect = db.engine.dialect
        sql, binds, positional = self._plan(dialect)
        values = [params.get(name, default) for name, default, _ in binds]
        values = [process(v) if process else v for v, (_, _, process) in zip(values, binds, strict=True)]
        arguments = tuple(values) if positional else {name: v for (name, _, _), v in zip(binds, values, strict=True)}
        fetch = "all" if many else "first"
        if db.is_sqlite:
            try:
                return driver_rows(dialect, db.reader(), sql, arguments, fetch)
            except sa.exc.DBAPIError:
                db.drop_reader()
                raise
        error = dialect.loaded_dbapi.Error
        try:
            connection = db.engine.raw_connection()
        except error as exc:  # as SQLAlchemy would raise it: OperationalError means "unavailable"
            raise sa.exc.DBAPIError.instance(sql, arguments, exc, error, hide_parameters=True) from exc
        try:
            return driver_rows(dialect, connection.dbapi_connection, sql, arguments, fetch, lost=connection.invalidate)
        finally:
            connection.close()

    def _plan(self, dialect: sa.Dialect) -> tuple[str, list[_Bind], bool]:
        plan = self._plans.get(dialect.name)
        if plan is None:
            compiled = self.statement.compile(dialect=dialect)
            names = compiled.positiontup if compiled.positional else list(compiled.binds)
            assert names is not None and not any(compiled.binds[n].expanding for n in names), "IN lists not supported"
            binds: list[_Bind] = []
            for name in names:
                bind = compiled.binds[name]
                binds.append((name, bind.effective_value, bind.type.dialect_impl(dialect).bind_processor(dialect)))
            plan = self._plans[dialect.name] = (compiled.string, binds, compiled.positional)
        return plan


def driver_rows(
    dialect: sa.Dialect,
    driver: Any,
    sql: str,
    params: Any,
    fetch: str = "none",
    lost: Callable[[BaseException], None] | None = None,
) -> list[tuple[Any, ...]]:
    """One statement on a driver (DBAPI) connection: its rows ("all", the "first", or "none").

    The cursor is closed whatever happens, which ends the statement (no read snapshot
    outlives the call). Errors come out as SQLAlchemy's own (an IntegrityError stays an
    IntegrityError, OperationalError means "unavailable"); when the database dropped the
    connection, `lost` is told, so the pool never hands that connection out again.
    """
    error = dialect.loaded_dbapi.Error
    cursor = None
    try:
        cursor = driver.cursor()
        cursor.execute(sql, params)
        found = cursor.fetchall() if fetch == "all" else cursor.fetchmany(1) if fetch == "first" else []
        return [tuple(row) for row in found]
    except error as exc:
        gone = dialect.is_disconnect(exc, driver, cursor)
        if gone and lost is not None:
            lost(exc)
        raise sa.exc.DBAPIError.instance(
            sql, params, exc, error, hide_parameters=True, connection_invalidated=gone
        ) from exc
    finally:
        if cursor is not None:
            with contextlib.suppress(error):  # its connection may be gone already
                cursor.close()


class WriterLock:
    """Queues SQLite writers of every process on one lock file, in order.

    SQLite's own busy handler polls with sleeps of up to 100 ms, so a writer
    that finds the lock taken waits far longer than the transaction it waits
    for. A blocking flock() wakes the next writer the moment the lock is
    released; the thread lock orders the threads of this process (flock is held
    per open file, not per thread).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._threads = threading.Lock()
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


def json_text(value: Any) -> str:
    """How JSON columns are written (orjson: fast, and the same bytes on every path)."""
    return orjson.dumps(value).decode()


def _sqlite_engine(url: str, busy_timeout_ms: int, begin: str) -> Engine:
    engine = sa.create_engine(
        url,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        json_serializer=json_text,
        hide_parameters=True,
        # As many pooled connections as the server's thread pool has threads: a connection
        # opened and closed per request would pay for its PRAGMAs every time.
        pool_size=40,
        max_overflow=10,
    )

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(begin)

    return engine
