"""What travels between the web server and a report worker process: a `Job` (the HTML
and the only files it may show) and the `Rendered` PDF. Plain data, so the web server can
make and send jobs without loading WeasyPrint."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field

from audit.errors import AppError
from audit.settings import ROOT

SCHEME = "audit:"
STATIC = ROOT / "static"
STATIC_TYPES = {".css": "text/css", ".ttf": "font/ttf", ".svg": "image/svg+xml", ".png": "image/png"}
# Photos are shopper uploads: raster formats only (an SVG could carry links of its own).
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


class ReportFailed(AppError):
    """The report could not be made just now. Please try again; if it keeps failing, choose a shorter period."""

    status = 503


@dataclass(frozen=True)
class Resource:
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Job:
    """Everything one render needs: the HTML and the only non-static files it may show."""

    html: str
    resources: dict[str, Resource] = field(default_factory=dict)


BRAND_LOGO_URL = f"{SCHEME}/brand/logo"


def photo_url(photo_id: str) -> str:
    return f"{SCHEME}/photos/{photo_id}"


def static_url(path: str) -> str:
    return f"{SCHEME}/static/{path}"


def photo_resource(content_type: str, data: bytes) -> Resource | None:
    """A stored photo as a resource, or None when it is not an image we embed."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in PHOTO_TYPES:
        kind = mimetypes.guess_type(f"x.{kind.rsplit('/', 1)[-1]}")[0] or ""
    return Resource(kind, data) if kind in PHOTO_TYPES else None


@dataclass(frozen=True)
class Rendered:
    filename: str
    pdf: bytes
