"""WeasyPrint, in one place: the fetcher that serves only our own files, and the
loop of a worker process. Imported by worker processes (and tests), never by the
web server, which only sends jobs and orders (see `reports.pool`).
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

from audit.errors import AppError
from audit.services.reports.job import SCHEME, STATIC, STATIC_TYPES, Job, Rendered, Resource
from audit.settings import Settings
from audit.storage.db import Database


class Refused(ValueError):
    """A URL a report may not fetch."""


class ReportFetcher(URLFetcher):
    """Serves `audit:/static/...` from our static folder and the job's own resources
    (photos, logo); refuses every other URL: file:, http:, https:, data:, anything.
    Remembers every URL it was asked for, so a test can prove what was never asked."""

    def __init__(self, resources: dict[str, Resource] | None = None) -> None:
        super().__init__(allowed_protocols=("audit",), allow_redirects=False)
        self.resources = resources or {}
        self.asked: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        self.asked.append(url)
        if url in self.resources:
            found = self.resources[url]
            return URLFetcherResponse(url, found.data, {"Content-Type": found.content_type})
        if url.startswith(f"{SCHEME}/static/"):
            path = (STATIC / url.removeprefix(f"{SCHEME}/static/")).resolve()
            if path.is_relative_to(STATIC) and path.suffix in STATIC_TYPES and path.is_file():
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": STATIC_TYPES[path.suffix]})
        raise Refused(f"reports may not fetch {url[:200]!r}")


def render_pdf(job: Job, fetcher: ReportFetcher | None = None) -> bytes:
    """The PDF of `job`, in this process. Every fetch WeasyPrint makes goes through `fetcher`
    (the document, its stylesheets, fonts and images; reports have no attachments)."""
    fetcher = fetcher or ReportFetcher(job.resources)
    document = weasyprint.HTML(string=job.html, url_fetcher=fetcher)
    # Photos are printed as thumbnails: 150 dpi keeps a phone photo from making a 10 MB PDF.
    return document.write_pdf(dpi=150, jpeg_quality=85)


Builder = Callable[[Database, Any], tuple[str, Job]]


def serve(conn: Connection, settings: Settings, memory_bytes: int, build: Builder) -> None:
    """A worker process: lower priority than the web server, capped memory, one report at a time.

    It is sent an order, which `build` turns into (file name, job) reading the database
    itself, or a ready `Job`, and answers ("ok", Rendered), ("refused", AppError) or ("error", message).
    """
    os.nice(10)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    db: Database | None = None
    conn.send(("ready", None))
    try:
        while (work := _next(conn)) is not None:
            try:
                if isinstance(work, Job):
                    filename, job = "report.pdf", work
                else:
                    db = db or Database(settings)
                    filename, job = build(db, work)
                conn.send(("ok", Rendered(filename, render_pdf(job))))
            except AppError as exc:
                conn.send(("refused", exc))
            except MemoryError:
                conn.send(("error", "it needed more memory than a report may use"))
            except Exception as exc:  # the parent turns it into a clear message
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        if db is not None:
            db.dispose()
        conn.close()


def _next(conn: Connection) -> Any:
    try:
        return conn.recv()
    except EOFError:
        return None
