"""PDF reports and ZIPs of them: one audit, a store, a region or the company over a period.

- `builders`: each report gathered from the same views as its page and filled into
  `templates/reports/` as a `Job` (HTML and the only files it may show).
- `job`: what travels to a worker process and back (plain data, no WeasyPrint).
- `pool`: worker processes with a time limit and a memory cap; it is given the builder
  by name, so nothing here imports the builders back.
- `pdf`: WeasyPrint and its URL fetcher, loaded by the worker processes only.
- `company`: the company report's figures (regions ranked, best and worst stores, weakest
  behaviours, critical failures).
- `jobs`: reports and ZIPs made in the background on the same workers (huey's queue, the
  job's row and file in the database), listed under "My downloads".
"""

from audit.services.reports.builders import (
    Batch,
    Order,
    Report,
    audit_report,
    batch,
    build,
    company_report,
    region_report,
    store_report,
    zip_chunks,
)
from audit.services.reports.pool import RenderPool
from audit.settings import Settings

BUILDER = "audit.services.reports.builders:build"


def render_pool(settings: Settings) -> RenderPool:
    """Worker processes that build and render this package's reports."""
    return RenderPool(settings, BUILDER)


__all__ = [
    "BUILDER",
    "Batch",
    "Order",
    "RenderPool",
    "Report",
    "audit_report",
    "batch",
    "build",
    "company_report",
    "region_report",
    "render_pool",
    "store_report",
    "zip_chunks",
]
