"""Fast multi-row INSERT: one statement with many VALUES rows.

A Core `insert()` with many parameter sets spends most of its time in
SQLAlchemy's per-row parameter handling, and the driver's executemany runs one
SQLite step per row, releasing and re-taking the GIL each time; next to a busy
event loop every re-take waits (a GIL convoy). So for the hot path (an audit is
about 45 rows) we build `INSERT ... VALUES (...), (...), ...` with the columns'
own bind processors applied (values are stored exactly as the ORM would store
them) and run it as one statement per chunk: the database does the work in one
go, outside the GIL. SQLite and PostgreSQL both accept this form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

import sqlalchemy as sa

from audit.storage.db import driver_rows, json_text

MAX_PARAMS = 30_000  # below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters


class _Plan(NamedTuple):
    head: str  # INSERT INTO table (columns) VALUES
    row_marks: str  # (?, ?, ...)
    width: int
    values_of: Callable[[dict[str, Any]], tuple[Any, ...]]  # a row's values in column order
    processors: list[tuple[int, Callable[[Any], Any]]]  # the few columns to convert (dates, JSON)


_plans: dict[tuple[str, str], _Plan] = {}


def _plan(dialect: sa.Dialect, table: sa.Table) -> _Plan:
    key = (dialect.name, table.name)
    if key not in _plans:
        names = [c.name for c in table.columns]
        processors = [(n, process) for n, c in enumerate(table.columns) if (process := _processor(c, dialect))]
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        quote = dialect.identifier_preparer.quote
        head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) VALUES "
        # itemgetter takes every value of a row in one C call (it gives a bare value for one name)
        values_of = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        _plans[key] = _Plan(head, "(" + ", ".join([mark] * len(names)) + ")", len(names), values_of, processors)
    return _plans[key]


def _processor(column: sa.Column, dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    if isinstance(column.type, sa.Boolean):
        return None  # both drivers take Python's bool as it is
    if isinstance(column.type, sa.JSON):
        return json_text  # what the JSON type stores (None becomes JSON null), without its per-value wrapping
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def row_values(dialect: sa.Dialect, table: sa.Table, rows: Sequence[dict[str, Any]]) -> list[Any]:
    """The rows' values, converted for the database and flattened in column order.

    A caller may make these before it hands rows to a writer thread: the writer then holds
    the GIL only to join them, not to convert every value, so the event loop's own short
    database reads are not kept waiting for it.
    """
    plan = _plan(dialect, table)
    values: list[Any] = []
    for row in rows:
        if plan.processors:
            converted = list(plan.values_of(row))
            for n, process in plan.processors:
                converted[n] = process(converted[n])
            values += converted
        else:
            values += plan.values_of(row)
    return values


def insert_values(connection: sa.Connection, table: sa.Table, values: Sequence[Any]) -> None:
    """INSERT rows given as `row_values` made them, in as few statements as the limits allow."""
    plan = _plan(connection.dialect, table)
    count = len(values) // plan.width
    most = max(1, MAX_PARAMS // plan.width)
    start = 0
    while start < count:
        # Power-of-two chunks: only a handful of distinct statements, which the driver's
        # statement cache keeps compiled (parsing a statement with thousands of
        # placeholders costs more than running it).
        size = 1 << (min(most, count - start).bit_length() - 1)
        chunk = tuple(values[start * plan.width : (start + size) * plan.width])
        execute(connection, plan.head + ", ".join([plan.row_marks] * size), chunk)
        start += size


def select_in(
    connection: sa.Connection, table: sa.Table, columns: Sequence[str], key: str, keys: Iterable[Any]
) -> list[tuple[Any, ...]]:
    """`SELECT columns FROM table WHERE key IN keys`, for plain columns (text, numbers)."""
    wanted = list(keys)
    if not wanted:
        return []
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)}"
        f" WHERE {quote(key)} IN ({', '.join([mark] * len(wanted))})"
    )
    return execute(connection, sql, tuple(wanted), rows=True)


def execute(connection: sa.Connection, sql: str, params: tuple[Any, ...], rows: bool = False) -> list[tuple[Any, ...]]:
    """One statement on the driver's connection, inside the Core connection's transaction:
    SQLAlchemy's execution path (context, events, result metadata) costs more than these
    statements themselves, all while holding the GIL."""
    driver = connection.connection.driver_connection
    return driver_rows(connection.dialect, driver, sql, params, "all" if rows else "none", lost=connection.invalidate)


def insert_rows(connection: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (each a dict holding every column)."""
    if rows:
        insert_values(connection, table, row_values(connection.dialect, table, rows))
