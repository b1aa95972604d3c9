"""Static files under content-hashed URLs, and the app shell the service worker keeps.

`static_url("css/app.css")` gives `/static/css/app.css?v=<hash>`: the URL changes
whenever the file does, so browsers and the service worker may keep a copy for
good, and a new release never mixes old and new files.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from audit.settings import ROOT

STATIC = ROOT / "static"
# What every shopper page needs, precached so the app opens with no signal.
SHELL_FILES = (
    "css/app.css",
    "js/store.js",
    "js/outbox.js",
    "js/app.js",
    "js/visit.js",
    "js/outbox-page.js",
    "icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/maskable-512.png",
)
SHELL_PAGES = ("/offline", "/outbox", "/manifest.webmanifest")


@cache
def _digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def file_hash(relative: str) -> str:
    path = STATIC / relative
    return _digest(path, path.stat().st_mtime_ns)


def static_url(relative: str) -> str:
    return f"/static/{relative}?v={file_hash(relative)}"


def shell_urls() -> list[str]:
    return [static_url(name) for name in SHELL_FILES] + list(SHELL_PAGES)


def shell_version(release: str = "") -> str:
    """Changes with any shell file, the service worker itself or the release label: phones
    then install the new version and offer it to the shopper."""
    parts = [file_hash(name) for name in SHELL_FILES] + [file_hash("js/sw.js"), release]
    return hashlib.sha256("".join(parts).encode()).hexdigest()[:12]


class HashedStaticFiles(StaticFiles):
    """A versioned URL never changes content, so it may be cached for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if b"v=" in scope.get("query_string", b"") and response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
