"""The one rule for text that enters: no NUL character, anywhere.

PostgreSQL cannot store a NUL in a text column and SQLite stores it silently, so
the same request would fail on one database and pass on the other. No person types
one: a NUL comes from a broken client or a probe. Every boundary (query strings,
forms, JSON bodies, uploaded files) refuses it with 422 naming the field, before
anything is stored, so both databases behave the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

NUL = "\x00"
MESSAGE = "contains a NUL character (\\u0000), which no text may hold"


def nul_fields(data: Any, where: str = "") -> Iterator[str]:
    """The dotted path of every string (or mapping key) in `data` that holds a NUL."""
    if isinstance(data, str):
        if NUL in data:
            yield where or "body"
    elif isinstance(data, dict):
        for key, value in data.items():
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and NUL in key:
                yield path
            else:
                yield from nul_fields(value, path)
    elif isinstance(data, list | tuple):
        for n, value in enumerate(data):
            yield from nul_fields(value, f"{where}.{n}" if where else str(n))
