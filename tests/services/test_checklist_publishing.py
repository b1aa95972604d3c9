"""Publishing a checklist file: a new current version, while old audits keep theirs."""

import sqlalchemy as sa

from audit.services import checklists
from audit.settings import ROOT
from audit.storage import models
from tests import actors
from tests.services.admin_helpers import submit

QUICK_V2 = (
    (ROOT / "checklists" / "quick-visit.toml")
    .read_text()
    .replace('title = "Quick visit"', 'title = "Quick visit (v2)"', 1)
)


def test_publishing_makes_a_new_current_version_while_old_audits_keep_theirs(db, org):
    submit(db, actors.body(org.quick, store="STH-001"), org.other_shopper)
    assert "Quick visit (v2)" in QUICK_V2
    result = checklists.publish(db, QUICK_V2, "quick.toml", org.owner)
    assert result.created and result.became_current and result.version != org.quick.version
    versions = checklists.versions_of(db, "quick-visit")
    assert [(v.version, v.current, v.audits) for v in versions] == [
        (result.version, True, 0),
        (org.quick.version, False, 1),
    ]
    with db.session() as session:
        assert session.scalar(sa.select(models.Audit.checklist_version_id)) == org.quick.version
    assert checklists.publish(db, QUICK_V2, "quick.toml", org.owner).created is False


def test_a_preview_stores_nothing_and_says_whether_that_version_is_stored(db, org):
    shipped = (ROOT / "checklists" / "quick-visit.toml").read_text()
    same = checklists.preview(db, shipped, "quick.toml")
    assert same.existing is not None and same.existing.key == "quick-visit" and same.stored
    new = checklists.preview(db, QUICK_V2, "quick.toml")
    assert new.existing is not None and not new.stored
    assert [v.version for v in checklists.versions_of(db, "quick-visit")] == [org.quick.version]
