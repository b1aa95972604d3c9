"""All configuration, read from the environment once, with safe defaults.

Every variable here is listed in README.md (a test checks that).
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZES = {"a4": "A4", "letter": "Letter"}
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Smtp:
    """Where invitation mails go out; absent when AUDIT_SMTP_HOST is empty (links are shown only)."""

    host: str
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    sqlite_path: Path = field(default_factory=lambda: ROOT / "var" / "audit.db")
    max_body_bytes: int = 1_048_576
    max_photo_bytes: int = 10_485_760
    release: str = ""
    review_required: bool = False
    timezone: str = "UTC"
    checklists_dir: Path = field(default_factory=lambda: ROOT / "checklists")
    sqlite_busy_timeout_ms: int = 30_000
    environment: str = "development"
    secret_key: str = ""
    https: bool = False
    shopper_session: timedelta = timedelta(days=30)
    staff_session: timedelta = timedelta(hours=12)
    report_page_size: str = "A4"
    report_timeout_seconds: float = 60.0
    report_memory_mb: int = 1024
    report_workers: int = 2
    report_keep_hours: int = 24
    brand_name: str = "Audit"
    brand_accent: str = "#0b5cad"
    brand_logo: Path | None = None
    rotation_days: int = 30
    smtp: Smtp | None = None
    # The proxies whose X-Forwarded-For names the client (uvicorn's forwarded_allow_ips).
    forwarded_allow_ips: tuple[str, ...] = ("127.0.0.1", "::1")
    default_checklist: str = "customer-service"
    # The app's address as people reach it (https://audit.example.com): links in notification mails.
    base_url: str = ""

    def now(self) -> datetime:
        """Now on the company's clock (`AUDIT_TIMEZONE`)."""
        return datetime.now(ZoneInfo(self.timezone))

    def today(self) -> date:
        """Today in the company's time zone: the one "today" of pages, planning and the
        command line, so a visit planned at 00:30 is on the same day everywhere."""
        return self.now().date()

    @property
    def signing_key(self) -> str:
        """SECRET_KEY, or in development a random key kept beside the database so every
        worker process (and every restart) signs cookies alike."""
        if self.secret_key:
            return self.secret_key
        path = self.sqlite_path.parent / "secret-key"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

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
    environment = env.get("AUDIT_ENV", "development").strip().lower()
    if environment not in ("development", "production"):
        raise SettingsError("AUDIT_ENV must be development or production")
    secret_key = env.get("SECRET_KEY", "").strip()
    if environment == "production" and (len(secret_key) < 32 or len(set(secret_key)) < 10):
        raise SettingsError(
            "SECRET_KEY must be set to a long random value in production (AUDIT_ENV=production): "
            'at least 32 characters, e.g. python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    return Settings(
        environment=environment,
        secret_key=secret_key,
        https=_bool(env, "AUDIT_HTTPS", environment == "production"),
        shopper_session=timedelta(days=_int(env, "AUDIT_SHOPPER_SESSION_DAYS", 30, minimum=1)),
        staff_session=timedelta(hours=_int(env, "AUDIT_STAFF_SESSION_HOURS", 12, minimum=1)),
        database_url=database_url,
        sqlite_path=Path(env.get("AUDIT_SQLITE_PATH", str(defaults.sqlite_path))),
        max_body_bytes=_int(env, "AUDIT_MAX_BODY_BYTES", defaults.max_body_bytes, minimum=1024),
        max_photo_bytes=_int(env, "AUDIT_MAX_PHOTO_BYTES", defaults.max_photo_bytes, minimum=1024),
        release=env.get("AUDIT_RELEASE", "").strip(),
        review_required=_bool(env, "AUDIT_REVIEW_REQUIRED", False),
        timezone=timezone,
        checklists_dir=Path(env.get("AUDIT_CHECKLISTS_DIR", str(defaults.checklists_dir))),
        default_checklist=_checklist_key(env, defaults.default_checklist),
        sqlite_busy_timeout_ms=_int(env, "AUDIT_SQLITE_BUSY_TIMEOUT_MS", defaults.sqlite_busy_timeout_ms, minimum=0),
        **_reports(env, defaults),
        rotation_days=_int(env, "AUDIT_ROTATION_DAYS", defaults.rotation_days, minimum=0),
        smtp=_smtp(env),
        forwarded_allow_ips=_forwarded_allow_ips(env, defaults.forwarded_allow_ips),
        base_url=_base_url(env),
    )


def _base_url(env: Mapping[str, str]) -> str:
    """The address mails link to, without a trailing slash; empty: mails give the path only."""
    raw = env.get("AUDIT_BASE_URL", "").strip().rstrip("/")
    if raw and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", raw):
        raise SettingsError(f"AUDIT_BASE_URL must be the app's address, like https://audit.example.com, not {raw!r}")
    return raw


def _forwarded_allow_ips(env: Mapping[str, str], default: tuple[str, ...]) -> tuple[str, ...]:
    """Addresses or networks (10.0.0.0/8) of the proxies in front of the app, or * for any."""
    raw = env.get("AUDIT_FORWARDED_ALLOW_IPS", "").strip()
    if not raw:
        return default
    items = tuple(item.strip() for item in raw.split(",") if item.strip())
    if "*" in items:
        if len(items) > 1:
            raise SettingsError("AUDIT_FORWARDED_ALLOW_IPS must be * alone, or a list of addresses and networks")
        return items
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(
                f"AUDIT_FORWARDED_ALLOW_IPS: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return items


def _smtp(env: Mapping[str, str]) -> Smtp | None:
    host = env.get("AUDIT_SMTP_HOST", "").strip()
    if not host:
        return None
    security = env.get("AUDIT_SMTP_SECURITY", "starttls").strip().lower()
    if security not in ("starttls", "ssl", "none"):
        raise SettingsError("AUDIT_SMTP_SECURITY must be starttls, ssl or none")
    sender = env.get("AUDIT_SMTP_FROM", "").strip()
    if "@" not in sender:
        raise SettingsError("AUDIT_SMTP_FROM must be the address invitations are sent from when AUDIT_SMTP_HOST is set")
    return Smtp(
        host=host,
        port=_int(env, "AUDIT_SMTP_PORT", 465 if security == "ssl" else 587, minimum=1),
        security=security,
        user=env.get("AUDIT_SMTP_USER", "").strip(),
        password=env.get("AUDIT_SMTP_PASSWORD", ""),
        sender=sender,
    )


def _reports(env: Mapping[str, str], defaults: Settings) -> dict[str, object]:
    """PDF reports: paper, the limits of a render, and the brand printed on every page."""
    size = env.get("AUDIT_REPORT_PAGE_SIZE", defaults.report_page_size).strip()
    if size.lower() not in PAGE_SIZES:
        raise SettingsError(f"AUDIT_REPORT_PAGE_SIZE must be A4 or Letter, not {size!r}")
    accent = env.get("AUDIT_BRAND_ACCENT", defaults.brand_accent).strip()
    if not HEX_COLOUR.fullmatch(accent):
        raise SettingsError(f"AUDIT_BRAND_ACCENT must be a colour like #0b5cad, not {accent!r}")
    logo = env.get("AUDIT_BRAND_LOGO", "").strip()
    if logo and (Path(logo).suffix.lower() not in LOGO_TYPES or not Path(logo).is_file()):
        raise SettingsError(f"AUDIT_BRAND_LOGO must be an existing .png, .jpg or .svg file, not {logo!r}")
    name = env.get("AUDIT_BRAND_NAME", defaults.brand_name).strip()
    if not name or len(name) > 80:
        raise SettingsError("AUDIT_BRAND_NAME must be 1 to 80 characters")
    return {
        "report_page_size": PAGE_SIZES[size.lower()],
        "report_timeout_seconds": float(_int(env, "AUDIT_REPORT_TIMEOUT_SECONDS", 60, minimum=1)),
        "report_memory_mb": _int(env, "AUDIT_REPORT_MEMORY_MB", defaults.report_memory_mb, minimum=256),
        "report_workers": _int(env, "AUDIT_REPORT_WORKERS", defaults.report_workers, minimum=1),
        "report_keep_hours": _int(env, "AUDIT_REPORT_KEEP_HOURS", defaults.report_keep_hours, minimum=1),
        "brand_name": name,
        "brand_accent": accent.lower(),
        "brand_logo": Path(logo) if logo else None,
    }


def _checklist_key(env: Mapping[str, str], default: str) -> str:
    key = env.get("AUDIT_DEFAULT_CHECKLIST", default).strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", key):
        raise SettingsError(
            f"AUDIT_DEFAULT_CHECKLIST: {key!r} is not a checklist key (lowercase letters, digits and -)"
        )
    return key


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


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
