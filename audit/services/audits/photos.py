"""Photos sent from the phone: checked, re-encoded and stored ahead of their audit.

A photo travels before the audit that points at it (the phone uploads every photo,
then the audit), keyed by a UUID the phone made, so a retried upload changes
nothing. The server never keeps the bytes it was sent: it decodes them with Pillow,
which refuses anything that is not a real JPEG, PNG or WebP, and stores a fresh JPEG
without the location and camera data the original may carry.

Decoding is where a photo costs memory, and a small file can hold a huge picture (a
154 KB PNG of 6300 x 6300 pixels took 500 MB to shrink). So what a picture will cost is
worked out from its header before a pixel is decoded, and refused past DECODE_BUDGET; a
JPEG is decoded at a reduced scale (DCT scaling); and a process decodes at most
DECODE_SLOTS pictures at once, the others waiting for their turn.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError

from audit.errors import AppError, Conflict, Invalid, Problem, TooLarge
from audit.services.access import Viewer
from audit.storage import models
from audit.storage.db import Database

FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000  # more than any phone camera's full resolution
QUALITY = 85

# What decoding one picture may cost, in bytes, as decode_cost() works it out from the
# header. 160 MB takes every phone JPEG up to MAX_PIXELS (decoded at a reduced scale: a
# 24-megapixel one costs under 50 MB; progressive ones with the usual 4:2:0 colour about
# 140 MB at 40 megapixels), a 24-megapixel RGB PNG (Pillow holds RGB at 4 bytes a pixel:
# 96 MB, plus shrinking), a 14-megapixel PNG with transparency or a 9-megapixel WebP. The
# app itself sends JPEGs of at most 1600 px, which cost about 25 MB.
DECODE_BUDGET = 160 * 1024 * 1024
# What photos may take of one process at once, whatever the number of uploads (and
# saved-audit imports) in flight: at most DECODE_SLOTS pictures are decoded together; the
# others wait for a slot, holding no database connection (the photo is stored after).
DECODE_MEMORY = 2 * DECODE_BUDGET
DECODE_SLOTS = DECODE_MEMORY // DECODE_BUDGET
# A picture within the budget decodes in at most about 2 s here, so 30 s of waiting means a
# long queue: the upload then answers 503, which the phone's outbox retries with backoff,
# rather than keep one of the server's threads waiting longer.
DECODE_WAIT_SECONDS = 30.0
_decode_slots = threading.BoundedSemaphore(DECODE_SLOTS)
# The decodes themselves run on DECODE_SLOTS threads of their own, not on whichever pool
# thread took the request: glibc gives each thread a malloc arena of its own and keeps
# there what a decode freed, so decodes spread over the server's 40 pool threads held
# that much memory each (8 concurrent 24-megapixel JPEGs peaked at 360 MB, not 190).
_decoders = ThreadPoolExecutor(DECODE_SLOTS, thread_name_prefix="photo-decode")

# Bytes a decoded pixel takes in Pillow, by mode: 1 for "1", "L" and "P", 2 for 16-bit grey.
# Every other mode takes 4 (RGB too: Pillow pads it), the most any mode takes, and an
# unknown one is counted at 4.
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
_WITH_ALPHA = {"LA", "PA", "RGBA", "La", "RGBa"}
# the next marker after a JPEG scan's entropy-coded data (0xFF 0x00 is a stuffed byte,
# 0xFF 0xD0-0xD7 a restart marker inside the scan)
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")


class Busy(AppError):
    """The server is busy with other photos; nothing was stored. Please try again."""

    status = 503


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
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                if image.format not in FORMATS:
                    raise _not_a_photo(f"a {image.format} file is not accepted")
                size = image.size
                if size[0] * size[1] > MAX_PIXELS:
                    raise _too_large(size, MAX_PIXELS)
                if image.format == "JPEG":
                    image.draft("RGB", _fitted(size))  # DCT scaling: 1/2, 1/4 or 1/8 if that still covers it
                cost = decode_cost(image, size, data)
                if cost > DECODE_BUDGET:
                    raise _too_large(size, _most_pixels(size, cost))
                return _decoded(image)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_large(None, MAX_PIXELS) from None
    except UnidentifiedImageError:
        raise _not_a_photo("the file is not a JPEG, PNG or WebP picture") from None
    except (OSError, SyntaxError, ValueError):
        raise _not_a_photo("the picture is damaged or incomplete") from None


def _shrunk_jpeg(image: Image.Image) -> tuple[bytes, int, int]:
    """Decodes the picture and shrinks it in place, and only then turns it upright (the
    orientation was read with the header, so a drafted JPEG keeps it): no full-size copy."""
    image.load()
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    ImageOps.exif_transpose(image, in_place=True)
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=QUALITY, optimize=True)  # no exif= argument: no metadata kept
    return out.getvalue(), rgb.width, rgb.height


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    """The size within MAX_SIDE x MAX_SIDE, keeping the aspect: what a JPEG is drafted to,
    so that a landscape picture may be decoded smaller than a square would allow."""
    width, height = size
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def decode_cost(image: Image.Image, size: tuple[int, int], data: bytes) -> int:
    """The most memory, in bytes, that decoding and shrinking this picture takes, from its
    header alone: `image` opened (and a JPEG drafted), `size` its full size. Checked against
    the real peaks by bench/photo_memory.py."""
    width, height = size
    if image.format == "WEBP":
        # libwebp decodes into an RGBA canvas and keeps the previous one; Pillow copies the
        # canvas out as bytes, then into the picture: four RGBA pictures at once
        return 4 * width * height * 4 + _output_bytes(size)
    decoded_width, decoded_height = image.size  # a drafted JPEG's reduced size
    picture = decoded_width * decoded_height * _PIXEL_BYTES.get(image.mode, 4)
    # Shrinking keeps the picture while it makes one of the target width and full height
    # (about half as much again); a picture with transparency is first copied premultiplied.
    cost = picture * 5 // 2 if image.mode in _WITH_ALPHA else picture * 3 // 2
    if image.format == "JPEG" and _multi_scan(image, data):
        cost += _coefficient_bytes(image, size)
    return cost + _output_bytes(size)


def _most_pixels(size: tuple[int, int], cost: int) -> int:
    """About how many pixels of the same kind of picture the budget takes."""
    per_pixel = (cost - _output_bytes(size)) / (size[0] * size[1])
    return int((DECODE_BUDGET - _output_bytes((MAX_SIDE, MAX_SIDE))) / per_pixel)


def _output_bytes(size: tuple[int, int]) -> int:
    """The shrunk picture, in RGB, and its copy while it is turned upright or converted."""
    width, height = _fitted(size)
    return 2 * width * height * 4


def _multi_scan(image: Image.Image, data: bytes) -> bool:
    """Whether the JPEG is coded in more than one scan (progressive, or a component a scan):
    libjpeg then keeps every coefficient of the full-size picture, at any scale."""
    if image.info.get("progressive") or image.info.get("progression"):
        return True
    scans, at = 0, 2  # after SOI
    while at + 4 <= len(data):
        if data[at] != 0xFF:  # stray bytes between segments: libjpeg skips them too
            following = _NEXT_MARKER.search(data, at)
            if following is None:
                return False
            at = following.start()
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
        elif marker == 0xD9:  # end of the picture (an MPO's next one is not decoded)
            return False
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            at += 2
        else:
            at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
            if marker == 0xDA:  # a scan: its coded data runs to the next marker
                scans += 1
                if scans > 1:
                    return True
                following = _NEXT_MARKER.search(data, at)
                if following is None:
                    return False
                at = following.start()
    return False


def _coefficient_bytes(image: Image.Image, size: tuple[int, int]) -> int:
    """What libjpeg keeps of a multi-scan JPEG: 2 bytes a coefficient, one coefficient a
    sample of each component at its own sampling (4:2:0 colour: 1.5 samples a pixel)."""
    width, height = size
    layers = getattr(image, "layer", None) or [(0, 1, 1, 0)] * 4  # unknown: 4 full components
    most_h = max(h for _, h, _, _ in layers) or 1
    most_v = max(v for _, _, v, _ in layers) or 1
    return sum(2 * (-(-width * h // most_h)) * (-(-height * v // most_v)) for _, h, v, _ in layers)


def _decoded(image: Image.Image) -> tuple[bytes, int, int]:
    """_shrunk_jpeg(image) in one of the process's DECODE_SLOTS, waited for up to
    DECODE_WAIT_SECONDS (then 503); a slot always finds a decoder thread free."""
    if not _decode_slots.acquire(timeout=DECODE_WAIT_SECONDS):
        raise Busy(problems=[Problem("photo", "the server is busy with other photos; try again in a minute")])
    try:
        return _decoders.submit(_shrunk_jpeg, image).result()
    finally:
        _decode_slots.release()


def _too_large(size: tuple[int, int] | None, pixels: int) -> TooLarge:
    found = f"{size[0]} x {size[1]} pixels" if size else "too many pixels"
    most = min(pixels, MAX_PIXELS) // 1_000_000
    words = f"the picture is too large to process: {found}; send a photo of at most {most} megapixels"
    return TooLarge(words[0].upper() + words[1:] + ".", problems=[Problem("photo", words)])


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
    """Makes uploaded photos part of their audit, each under its item key, in the audit's own
    transaction (checked first by `attachable_problems`)."""
    for photo_id, item_key in photos:
        connection.execute(
            sa.update(models.Photo)
            .where(
                models.Photo.id == photo_id, sa.or_(models.Photo.audit_id.is_(None), models.Photo.audit_id == audit_id)
            )
            .values(audit_id=audit_id, item_key=item_key)
        )


def reattach(connection: sa.Connection, audit_id: str, photos: Iterable[tuple[str, str]]) -> None:
    """A new revision's photos, each where that revision puts it; the audit's photos the
    revision leaves out go back to their uploader, unattached (its history lists them)."""
    wanted = list(photos)
    connection.execute(
        sa.update(models.Photo)
        .where(models.Photo.audit_id == audit_id, models.Photo.id.not_in([photo_id for photo_id, _ in wanted]))
        .values(audit_id=None, item_key="")
    )
    attach(connection, audit_id, wanted)
