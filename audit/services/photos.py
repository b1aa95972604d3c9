"""Photos sent from the phone: checked, re-encoded and stored ahead of their audit.

A photo travels before the audit that points at it (the phone uploads every photo,
then the audit), keyed by a UUID the phone made, so a retried upload changes
nothing. The server never keeps the bytes it was sent: it decodes them with Pillow,
which refuses anything that is not a real JPEG, PNG or WebP, and stores a fresh JPEG
without the location and camera data the original may carry.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError

from audit.errors import Conflict, Invalid, Problem
from audit.services.access import Viewer
from audit.storage import models
from audit.storage.db import Database

FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000  # a 40-megapixel photo decodes to about 120 MB: enough for any phone
QUALITY = 85


@dataclass(frozen=True)
class Stored:
    status: Literal["created", "exists"]
    id: str
    size: int
    width: int
    height: int


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """A clean JPEG of at most MAX_SIDE pixels a side, turned upright, with no metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in FORMATS:
                    raise _not_a_photo(f"a {image.format} file is not accepted")
                if image.width * image.height > MAX_PIXELS:
                    raise _not_a_photo("the picture has too many pixels")
                image.load()
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((MAX_SIDE, MAX_SIDE))
                rgb = upright.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _not_a_photo("the file is not a JPEG, PNG or WebP picture") from None
    except (OSError, SyntaxError, ValueError):
        raise _not_a_photo("the picture is damaged or incomplete") from None
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=QUALITY, optimize=True)  # no exif= argument: no metadata kept
    return out.getvalue(), rgb.width, rgb.height


def _not_a_photo(message: str) -> Invalid:
    return Invalid(problems=[Problem("photo", message)])


def store(db: Database, viewer: Viewer, photo_id: UUID, data: bytes) -> Stored:
    """Stores the photo once; the same id again with the same picture is a no-op."""
    jpeg, width, height = reencode(data)
    digest = hashlib.sha256(jpeg).hexdigest()
    key = str(photo_id)
    with db.write_session() as session:
        found = session.get(models.Photo, key)
        if found is not None:
            if found.sha256 != digest or found.uploaded_by_id not in (None, viewer.id):
                raise Conflict(f"photo {key} was already uploaded with another picture")
            return Stored("exists", key, found.size, width, height)
        session.add(
            models.Photo(
                id=key,
                audit_id=None,
                item_key="",
                uploaded_by_id=viewer.id,
                content_type="image/jpeg",
                size=len(jpeg),
                sha256=digest,
                data=jpeg,
                created_at=models.now(),
            )
        )
    return Stored("created", key, len(jpeg), width, height)


def attachable_problems(
    connection: sa.Connection, wanted: Iterable[tuple[str, str]], audit_id: str, uploader_id: int | None
) -> list[Problem]:
    """Why these (photo id, field) pairs cannot belong to the audit: missing, someone else's,
    or already part of another audit."""
    pairs = list(wanted)
    if not pairs:
        return []
    ids = {photo_id for photo_id, _ in pairs}
    rows = {
        row.id: row
        for row in connection.execute(
            sa.select(models.Photo.id, models.Photo.audit_id, models.Photo.uploaded_by_id).where(
                models.Photo.id.in_(ids)
            )
        )
    }
    problems = []
    for photo_id, where in pairs:
        row = rows.get(photo_id)
        if row is None or (uploader_id is not None and row.uploaded_by_id not in (None, uploader_id)):
            problems.append(Problem(where, f"photo {photo_id} has not been uploaded; upload it first"))
        elif row.audit_id not in (None, audit_id):
            problems.append(Problem(where, f"photo {photo_id} belongs to another audit"))
    return problems


def attach(connection: sa.Connection, audit_id: str, photos: Iterable[tuple[str, str]]) -> None:
    """Makes uploaded photos part of their audit, in the audit's own transaction."""
    for photo_id, item_key in photos:
        connection.execute(
            sa.update(models.Photo)
            .where(models.Photo.id == photo_id, models.Photo.audit_id.is_(None))
            .values(audit_id=audit_id, item_key=item_key)
        )
