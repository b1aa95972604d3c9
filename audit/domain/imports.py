"""CSV files of stores and of planned visits, read into typed rows with every bad line named.

Pure: text in, rows and problems out. What only the database can tell (does the region
exist? is the shopper a shopper?) is checked by the services, with the same line numbers.
Spreadsheets save CSV with a byte-order mark, semicolons, odd header spelling or blank
lines; all of that is accepted, so the owner fixes content, never format.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ROWS = 5000

STORE_COLUMNS = ("code", "name", "region", "address", "timezone")
VISIT_COLUMNS = ("shopper", "store", "checklist", "from", "to")
# Header spellings people use, reduced to our column names.
STORE_ALIASES = {
    "store code": "code",
    "store name": "name",
    "region code": "region",
    "time zone": "timezone",
    "tz": "timezone",
}
VISIT_ALIASES = {
    "shopper email": "shopper",
    "email": "shopper",
    "store code": "store",
    "checklist key": "checklist",
    "starts on": "from",
    "start": "from",
    "ends on": "to",
    "end": "to",
}


@dataclass(frozen=True)
class LineProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class StoreRow:
    line: int
    code: str
    name: str
    region: str
    address: str
    timezone: str


@dataclass(frozen=True)
class VisitRow:
    line: int
    shopper: str
    store: str
    checklist: str
    starts_on: date
    ends_on: date


def _records(
    text: str, columns: tuple[str, ...], aliases: dict[str, str], required: int
) -> tuple[list[tuple[int, dict[str, str]]], list[LineProblem]]:
    """(line, {column: value}) for every non-blank record, and problems with the header."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    records: list[tuple[int, dict[str, str]]] = []
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [aliases.get(f.strip().lower(), f.strip().lower().replace(" ", "")) for f in fields]
            missing = [c for c in columns[:required] if c not in header]
            if missing:
                wanted = ", ".join(columns)
                return [], [
                    LineProblem(reader.line_num, f"the header needs the columns {wanted}; missing {', '.join(missing)}")
                ]
            continue
        if len(records) >= MAX_ROWS:
            return [], [LineProblem(reader.line_num, f"at most {MAX_ROWS} rows per file; split the file")]
        values = {name: (fields[i].strip() if i < len(fields) else "") for i, name in enumerate(header)}
        records.append((reader.line_num, values))
    if header is None:
        return [], [LineProblem(0, f"the file is empty; its first line must name the columns {', '.join(columns)}")]
    if not records:
        return [], [LineProblem(0, "the file has a header but no rows")]
    return records, []


def store_rows(text: str) -> tuple[list[StoreRow], list[LineProblem]]:
    """Rows of code, name, region code, address, time zone; every problem of every line."""
    records, problems = _records(text, STORE_COLUMNS, STORE_ALIASES, required=3)
    rows: list[StoreRow] = []
    seen: dict[str, int] = {}
    for line, values in records:
        row = StoreRow(
            line,
            values.get("code", "").upper(),
            values.get("name", ""),
            values.get("region", "").upper(),
            values.get("address", ""),
            values.get("timezone", ""),
        )
        found = [message for _, message in store_problems(row.code, row.name, row.region, row.address, row.timezone)]
        if row.code in seen:
            found.append(f"store {row.code} is already on line {seen[row.code]}")
        seen.setdefault(row.code, line)
        problems += [LineProblem(line, message) for message in found]
        rows.append(row)
    return rows, problems


def store_problems(code: str, name: str, region: str, address: str = "", timezone: str = "") -> list[tuple[str, str]]:
    """(field, message) for what is wrong with a store's fields; the store form uses it too."""
    problems = []
    if not CODE.match(code):
        problems.append(("code", f"store code {code!r} must be 1 to 32 capital letters, digits and hyphens"))
    if not name:
        problems.append(("name", "the name is empty"))
    elif len(name) > 200:
        problems.append(("name", "the name is longer than 200 characters"))
    if not region:
        problems.append(("region", "choose the store's region"))
    elif not CODE.match(region):
        problems.append(("region", f"region code {region!r} must be capital letters, digits and hyphens"))
    if len(address) > 500:
        problems.append(("address", "the address is longer than 500 characters"))
    if timezone and not valid_timezone(timezone):
        problems.append(("timezone", f"time zone {timezone!r} is not known (write it like Europe/London)"))
    return problems


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name == "UTC"


def visit_rows(text: str) -> tuple[list[VisitRow], list[LineProblem]]:
    """Rows of shopper email, store code, checklist key, first day, last day (ISO dates)."""
    records, problems = _records(text, VISIT_COLUMNS, VISIT_ALIASES, required=5)
    rows: list[VisitRow] = []
    for line, values in records:
        found: list[str] = []
        shopper = values.get("shopper", "").lower()
        if not EMAIL.match(shopper):
            found.append(f"{shopper!r} is not an email address")
        store = values.get("store", "").upper()
        if not CODE.match(store):
            found.append(f"store code {store!r} must be capital letters, digits and hyphens")
        checklist = values.get("checklist", "").lower()
        if not checklist:
            found.append("the checklist is empty")
        starts_on, ends_on = _day(values.get("from", ""), "from", found), _day(values.get("to", ""), "to", found)
        if starts_on and ends_on and ends_on < starts_on:
            found.append("the last day is before the first")
        problems += [LineProblem(line, message) for message in found]
        if not found and starts_on and ends_on:
            rows.append(VisitRow(line, shopper, store, checklist, starts_on, ends_on))
    return rows, problems


def _day(text: str, column: str, found: list[str]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        found.append(f"{column} {text!r} is not a date like 2026-11-30")
        return None
