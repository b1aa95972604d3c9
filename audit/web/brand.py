"""The brand on every page: the header's name and logo, and the accent colour.

The CSP allows no inline styles, so the accent reaches pages as a tiny stylesheet
(`/branding.css?v=<version>`, linked after app.css) and the logo as an image of its
own; both URLs change with the brand, so browsers keep them for good. Neither is
part of the shopper's offline shell: a page that cannot fetch them (offline) keeps
app.css's colour and shows the name without the logo.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from audit.services.company import branding

log = logging.getLogger(__name__)
FOREVER = "public, max-age=31536000, immutable"


def context(request: Request) -> dict[str, Any]:
    """What every template gets: `brand`. Never fails: a page must render even when the
    database does not answer (its error page included); the settings' brand will do."""
    try:
        return {"brand": request.app.state.brand.get()}
    except Exception:
        log.warning("brand unavailable; using the settings", exc_info=True)
        settings = request.app.state.settings
        return {"brand": branding.Brand(settings.brand_name, settings.brand_accent)}


def _cache(request: Request, brand: branding.Brand) -> str:
    """For good when the URL names the brand in force; else (an old page) look again next time."""
    return FOREVER if request.query_params.get("v") == brand.version else "no-cache"


async def stylesheet(request: Request) -> Response:
    brand = request.app.state.brand.get()
    css = f":root {{ --accent: {brand.accent}; }}\n"  # a #rrggbb checked on input
    return Response(css, media_type="text/css", headers={"Cache-Control": _cache(request, brand)})


async def logo(request: Request) -> Response:
    brand = request.app.state.brand.get()
    if not brand.logo:
        return Response(status_code=404, headers={"Cache-Control": "no-cache"})
    return Response(brand.logo, media_type=brand.logo_type, headers={"Cache-Control": _cache(request, brand)})
