"""Loading an object for a viewer: one loader per kind, each answering NotFound both for
what does not exist and for what the viewer may not see, so a manager asking for another
region's store learns nothing, not even that it exists. The rules are `access.Viewer`'s."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from audit.domain.checklist import INTERNAL_ITEMS
from audit.errors import NotFound
from audit.services.access import Viewer
from audit.storage import models
from audit.storage.models import ReviewState, Role


def audit(session: Session, viewer: Viewer | None, audit_id: str, staff_only: bool = False) -> models.Audit:
    """The audit and, loaded with it, its store (`audit_store`). `viewer` None: no scoping
    (the system's own reads); `staff_only`: for actions a shopper never takes on an audit,
    even their own (review, exclusion)."""
    found = session.get(models.Audit, audit_id)
    store = session.get(models.Store, found.store_id) if found is not None else None
    if found is None or store is None or not _sees(viewer, store, found, staff_only):
        raise NotFound(f"no audit {audit_id[:40]}")
    return found


def audit_store(session: Session, found: models.Audit) -> models.Store:
    store = session.get(models.Store, found.store_id)
    assert store is not None  # checked by `audit`
    return store


def photo(session: Session, viewer: Viewer, photo_id: str) -> models.Photo:
    """A photo of an audit the viewer may see (one not yet part of an audit is nobody's); a
    store manager never gets one of an internal item (it may show who served)."""
    found = session.get(models.Photo, photo_id)
    owner = session.get(models.Audit, found.audit_id) if found is not None and found.audit_id else None
    store = session.get(models.Store, owner.store_id) if owner is not None else None
    internal = found is not None and viewer.is_store_manager and found.item_key in INTERNAL_ITEMS
    if found is None or owner is None or store is None or internal or not _sees(viewer, store, owner, False):
        raise NotFound(f"no photo {photo_id[:40]}")
    return found


def region(session: Session, viewer: Viewer, code: str) -> models.Region:
    found = session.scalar(sa.select(models.Region).where(models.Region.code == code.upper()))
    if found is None or found.id is None or not viewer.sees_region(found.id):
        raise NotFound(f"no region {code[:40]!r}")
    return found


def store(session: Session, viewer: Viewer, code: str) -> tuple[models.Store, models.Region]:
    row = session.execute(
        sa.select(models.Store, models.Region)
        .join(models.Region, models.Region.id == models.Store.region_id)
        .where(models.Store.code == code.upper())
    ).first()
    if row is None or row[0].id is None or not viewer.sees_store(row[0].id, row[0].region_id):
        raise NotFound(f"no store {code[:40]!r}")
    return row[0], row[1]


def _sees(viewer: Viewer | None, store: models.Store, audit: models.Audit, staff_only: bool) -> bool:
    """`staff_only`: what only the region's staff do to an audit (not its shopper, not the store).
    A store's manager sees an audit once review is done with it (see `models.past_review`)."""
    if viewer is None:
        return True
    if staff_only and viewer.role in (Role.SHOPPER, Role.STORE):
        return False
    if viewer.is_store_manager and audit.needs_review and audit.review_state != ReviewState.APPROVED:
        return False
    assert store.id is not None
    return viewer.sees_audit(store.id, store.region_id, audit.shopper_id)
