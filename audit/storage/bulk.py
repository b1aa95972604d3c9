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

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from audit.storage.db import json_text

MAX_PARAMS = 30_000  # below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters

_Columns = list[tuple[str, Callable[[Any], Any] | None]]
_plans: dict[tuple[str, str], tuple[str, str, _Columns]] = {}


def _plan(dialect: sa.Dialect, table: sa.Table) -> tuple[str, str, _Columns]:
    key = (dialect.name, table.name)
    if key not in _plans:
        columns = [(c.name, _processor(c, dialect)) for c in table.columns]
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        quote = dialect.identifier_preparer.quote
        head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name, _ in columns)}) VALUES "
        _plans[key] = (head, "(" + ", ".join([mark] * len(columns)) + ")", columns)
    return _plans[key]


def _processor(column: sa.Column, dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    if isinstance(column.type, sa.Boolean):
        return None  # both drivers take Python's bool as it is
    if isinstance(column.type, sa.JSON):
        return json_text  # what the JSON type stores (None becomes JSON null), without its per-value wrapping
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def insert_rows(connection: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (each a dict holding every column) in as few statements as the limits allow."""
    if not rows:
        return
    head, row_marks, columns = _plan(connection.dialect, table)
    most = max(1, MAX_PARAMS // len(columns))
    start = 0
    while start < len(rows):
        # Power-of-two chunks: only a handful of distinct statements, which the driver's
        # statement cache keeps compiled (parsing a statement with thousands of
        # placeholders costs more than running it).
        size = 1 << (min(most, len(rows) - start).bit_length() - 1)
        chunk = rows[start : start + size]
        params = [process(row[name]) if process else row[name] for row in chunk for name, process in columns]
        connection.exec_driver_sql(head + ", ".join([row_marks] * size), tuple(params))
        start += size
