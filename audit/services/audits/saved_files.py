"""Audits saved to a file on a phone that could not upload them, brought in by an owner.

The last resort of the outbox: the shopper saves the waiting audits (photos
included) to one file and sends it by other means. The import goes through the
same idempotent paths as the phone's own upload (photo by photo id, audit by
audit id), so importing a file twice, or a file whose audits later arrive from
the phone after all, never makes a second copy.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from audit.domain import text
from audit.errors import AppError, Invalid, Problem
from audit.services import audits
from audit.services.access import Viewer
from audit.services.audits import photos
from audit.storage import models
from audit.storage.db import Database
from audit.storage.models import Role

MAX_FILE_BYTES = 200 * 1024 * 1024


class SavedPhoto(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: UUID
    type: str = "image/jpeg"
    data: str = Field(description="the picture, base64")


class SavedAudit(BaseModel):
    model_config = ConfigDict(extra="ignore")
    shopper: str = Field(min_length=3, max_length=320, description="email of the shopper who made it")
    store_name: str = ""
    submission: audits.Submission
    photos: list[SavedPhoto] = []


class SavedFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    format: Literal["audit-outbox"]
    version: Literal[1]
    audits: list[SavedAudit]


@dataclass
class ImportLine:
    audit_id: str
    store: str
    shopper: str
    status: Literal["created", "exists", "refused"]
    problems: list[Problem] = field(default_factory=list)


def parse(data: bytes) -> SavedFile:
    """The file as the phone wrote it, or Invalid naming what is wrong with it."""
    try:
        return SavedFile.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[:5]
        problems = [Problem(".".join(str(p) for p in e["loc"]) or "file", e["msg"]) for e in first]
        raise Invalid("This is not a file of saved audits from the app.", problems=problems) from None


def bring_in(db: Database, submitter: audits.Submitter, saved: SavedFile) -> list[ImportLine]:
    """Each audit of the file, stored once with its photos under its own shopper."""
    return [_one(db, submitter, entry) for entry in saved.audits]


def _one(db: Database, submitter: audits.Submitter, entry: SavedAudit) -> ImportLine:
    sub = entry.submission
    line = ImportLine(str(sub.id), sub.store, entry.shopper, "refused")
    shopper = _shopper(db, entry.shopper)
    if nul := [Problem(f, text.MESSAGE) for f in text.nul_fields(sub.model_dump(mode="json"))]:
        line.problems = nul
        return line
    if shopper is None:
        line.problems = [Problem("shopper", f"no shopper {entry.shopper!r} on this server")]
        return line
    try:
        for photo in entry.photos:
            photos.store(db, shopper, photo.id, _decoded(photo))
    except AppError as exc:
        line.problems = exc.problems or [Problem("photo", exc.message)]
        return line
    outcome = audits.submit(db, submitter, sub, shopper_id=shopper.id)
    if outcome.status in ("created", "exists"):
        line.status = outcome.status
    else:
        line.problems = outcome.problems
    return line


def _decoded(photo: SavedPhoto) -> bytes:
    try:
        return base64.b64decode(photo.data, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(problems=[Problem("photo", f"photo {photo.id} is damaged in the file")]) from None


def _shopper(db: Database, email: str) -> Viewer | None:
    with db.session() as session:
        user = session.scalar(sa.select(models.User).where(models.User.email == email.strip().lower()))
        if user is None or user.role != Role.SHOPPER or user.id is None:
            return None
        return Viewer(id=user.id, email=user.email, name=user.name, role=user.role)
