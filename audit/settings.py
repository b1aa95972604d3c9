"""All configuration, read from the environment once, with safe defaults.

Every variable here is listed in README.md (a test checks that).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    sqlite_path: Path = field(default_factory=lambda: ROOT / "var" / "audit.db")
    max_body_bytes: int = 1_048_576
    timezone: str = "UTC"
    checklists_dir: Path = field(default_factory=lambda: ROOT / "checklists")
    sqlite_busy_timeout_ms: int = 30_000

    @property
    def url(self) -> str:
        """The SQLAlchemy URL in force: DATABASE_URL when given, else the SQLite file."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    defaults = Settings()
    database_url = env.get("DATABASE_URL", "").strip()
    if database_url.startswith("postgres://") or database_url.startswith("postgresql://"):
        # Hosting platforms hand out postgres:// URLs; we always talk through psycopg 3.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    if database_url and not database_url.startswith(("sqlite", "postgresql+psycopg")):
        raise SettingsError("DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL")
    timezone = env.get("AUDIT_TIMEZONE", defaults.timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"AUDIT_TIMEZONE {timezone!r} is not a known time zone (e.g. Europe/London)") from None
    return Settings(
        database_url=database_url,
        sqlite_path=Path(env.get("AUDIT_SQLITE_PATH", str(defaults.sqlite_path))),
        max_body_bytes=_int(env, "AUDIT_MAX_BODY_BYTES", defaults.max_body_bytes, minimum=1024),
        timezone=timezone,
        checklists_dir=Path(env.get("AUDIT_CHECKLISTS_DIR", str(defaults.checklists_dir))),
        sqlite_busy_timeout_ms=_int(env, "AUDIT_SQLITE_BUSY_TIMEOUT_MS", defaults.sqlite_busy_timeout_ms, minimum=0),
    )


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    return value
