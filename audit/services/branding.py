"""The brand printed on reports: name, accent colour and logo.

Read through `current(db)` only: branding comes from settings today and will come
from the database once owners can edit it, and then only this function changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.settings import LOGO_TYPES
from audit.storage.db import Database


@dataclass(frozen=True)
class Brand:
    name: str
    accent: str  # "#rrggbb", validated where it is read
    logo: bytes | None = None
    logo_type: str = ""


def current(db: Database) -> Brand:
    """The brand in force now."""
    settings = db.settings
    logo = settings.brand_logo
    if logo is None:
        return Brand(settings.brand_name, settings.brand_accent)
    return Brand(settings.brand_name, settings.brand_accent, logo.read_bytes(), LOGO_TYPES[logo.suffix.lower()])
