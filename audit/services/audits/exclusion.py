"""Excluding an audit from every total, or restoring it, with who and why."""

from __future__ import annotations

from audit.errors import Conflict, Invalid, Problem
from audit.services import scoped
from audit.services.access import Viewer
from audit.services.audits import review
from audit.storage import models
from audit.storage.db import Database

MAX_REASON = 1000


def set_excluded(db: Database, viewer: Viewer, audit_id: str, excluded: bool, reason: str) -> None:
    """Takes an audit out of every total (or puts it back), saying who and why.

    Only owners and the managers of its region may; for anyone else it does not exist.
    """
    reason = reason.strip()
    if len(reason) < 3:
        raise Invalid(problems=[Problem("reason", "say why, in a few words")])
    if len(reason) > MAX_REASON:
        raise Invalid(problems=[Problem("reason", f"keep the reason under {MAX_REASON} characters")])
    with db.write_session() as session:
        audit = scoped.audit(session, viewer, audit_id, staff_only=True)
        if audit.excluded == excluded:
            state = "excluded" if excluded else "counted"
            raise Conflict(f"the audit is already {state}", problems=[Problem("excluded", f"already {state}")])
        audit.excluded = excluded
        audit.excluded_reason = reason if excluded else f"Restored: {reason}"
        audit.excluded_by_id = viewer.id
        audit.excluded_at = models.now()
        review.record(session, audit_id, viewer.id, "excluded" if excluded else "restored", audit.revision, reason)
