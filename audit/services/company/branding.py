"""The brand on every page and every report: company name, accent colour and logo.

Owners set it at /admin/branding; it is kept in the database (one row) and read
through `current(db)` only, which falls back field by field to the AUDIT_BRAND_*
settings. A logo is never stored as sent: Pillow decodes it, anything but a real PNG
or JPEG is refused, and a fresh file of at most LOGO_BOX pixels with no metadata is
kept (a PNG keeps its transparency).
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import warnings
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from audit.errors import Invalid, Problem
from audit.services.company import activity
from audit.settings import HEX_COLOUR, LOGO_TYPES
from audit.storage import models
from audit.storage.db import Database

LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
LOGO_BOX = (600, 200)  # twice what the page header and the reports show, for sharp screens and print
MAX_LOGO_BYTES = 2_000_000
MAX_LOGO_PIXELS = 25_000_000
MAX_NAME = 80
MIN_CONTRAST = 4.5  # white text on the accent (header, buttons): WCAG AA for normal text


@dataclass(frozen=True)
class Brand:
    name: str
    accent: str  # "#rrggbb", validated where it is read
    logo: bytes | None = None
    logo_type: str = ""
    own_logo: bool = False  # uploaded by an owner (else the settings' file, or none)

    @cached_property
    def version(self) -> str:
        """Changes whenever anything shown changes: for URLs browsers may keep for good."""
        digest = hashlib.sha256(f"{self.name}\0{self.accent}\0{self.logo_type}\0".encode())
        digest.update(self.logo or b"")
        return digest.hexdigest()[:12]


def current(db: Database) -> Brand:
    """The brand in force now: what owners saved, else the settings."""
    settings = db.settings
    with db.session() as session:
        row = session.get(models.Branding, 1)
    name = (row and row.name) or settings.brand_name
    accent = (row and row.accent) or settings.brand_accent
    if row and row.logo:
        return Brand(name, accent, row.logo, row.logo_type, own_logo=True)
    if settings.brand_logo is not None:
        return Brand(name, accent, *_file(settings.brand_logo))
    return Brand(name, accent)


def _file(path: Path) -> tuple[bytes, str]:
    return _read(path, path.stat().st_mtime_ns)


@cache
def _read(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    return path.read_bytes(), LOGO_TYPES[path.suffix.lower()]


class BrandCache:
    """`current(db)` kept for a few seconds: every page's header shows the brand, and this
    spares each one a database read. A change made through this process shows at once
    (`forget`); other processes show it within `seconds`."""

    def __init__(self, db: Database, seconds: float = 5.0) -> None:
        self.db, self.seconds = db, seconds
        self._lock = threading.Lock()
        self._brand: Brand | None = None
        self._until = 0.0

    def get(self) -> Brand:
        with self._lock:
            if self._brand is None or time.monotonic() >= self._until:
                self._brand, self._until = current(self.db), time.monotonic() + self.seconds
            return self._brand

    def forget(self) -> None:
        with self._lock:
            self._brand = None


# Changing the brand --------------------------------------------------------------------------


def contrast_with_white(accent: str) -> float:
    """WCAG contrast ratio of white on `accent` ("#rrggbb")."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(accent[i : i + 2]) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def clean_logo(data: bytes) -> tuple[bytes, str]:
    """(bytes, content type) of a fresh PNG or JPEG of at most LOGO_BOX pixels, upright,
    with no metadata at all; Invalid naming the field "logo" for anything else."""
    if len(data) > MAX_LOGO_BYTES:
        raise _bad_logo(f"the file is larger than {MAX_LOGO_BYTES // 1_000_000} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format or ""
                if kind not in LOGO_FORMATS:
                    raise _bad_logo(f"a {kind or 'file of that kind'} is not accepted: upload a PNG or JPEG")
                if image.width * image.height > MAX_LOGO_PIXELS:
                    raise _bad_logo("the picture has too many pixels")
                image.load()
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail(LOGO_BOX)
                mode = "RGBA" if kind == "PNG" and _transparent(upright) else "RGB"
                pixels = upright.convert(mode)
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _bad_logo("the file is not a PNG or JPEG picture") from None
    except (OSError, SyntaxError, ValueError):
        raise _bad_logo("the picture is damaged or incomplete") from None
    fresh = Image.frombytes(mode, pixels.size, pixels.tobytes())  # pixels only: no profile, text or EXIF
    out = io.BytesIO()
    if kind == "PNG":
        fresh.save(out, "PNG", optimize=True)
    else:
        fresh.save(out, "JPEG", quality=90, optimize=True)
    return out.getvalue(), LOGO_FORMATS[kind]


def _transparent(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _bad_logo(message: str) -> Invalid:
    return Invalid(problems=[Problem("logo", message)])


def save(
    db: Database, actor_id: int | None, name: str, accent: str, logo: bytes | None = None, remove_logo: bool = False
) -> Brand:
    """Stores the brand with its line in the activity trail, in one transaction; Invalid with
    every problem by field ("name", "accent", "logo") and nothing stored."""
    name, accent = " ".join(name.split()), accent.strip().lower()
    problems = []
    if not name or len(name) > MAX_NAME:
        problems.append(Problem("name", f"give the company's name, at most {MAX_NAME} characters"))
    if not HEX_COLOUR.fullmatch(accent):
        problems.append(Problem("accent", "give a colour as # and six hexadecimal digits, like #0b5cad"))
    elif contrast_with_white(accent) < MIN_CONTRAST:
        problems.append(Problem("accent", "this colour is too light for the white text on it; choose a darker one"))
    cleaned = None
    if logo:
        try:
            cleaned = clean_logo(logo)
        except Invalid as exc:
            problems += exc.problems
    if problems:
        raise Invalid("The brand was not saved.", problems)
    with db.write_session() as session:
        row = session.get(models.Branding, 1) or models.Branding(id=1)
        changed = [f"name {name}"] if row.name != name else []
        changed += [f"accent {accent}"] if row.accent != accent else []
        row.name, row.accent = name, accent
        if cleaned:
            row.logo, row.logo_type = cleaned
            changed.append("new logo")
        elif remove_logo and row.logo:
            row.logo, row.logo_type = None, ""
            changed.append("logo removed")
        row.updated_at, row.updated_by_id = models.now(), actor_id
        session.add(row)
        activity.record(session, actor_id, "branding_changed", name, ", ".join(changed) or "saved unchanged")
    return current(db)
