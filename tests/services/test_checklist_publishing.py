"""Publishing a checklist file: a new current version, while old audits keep theirs."""

import pytest
import sqlalchemy as sa

from audit.errors import NotFound
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


def test_versions_are_numbered_in_publication_order_and_keep_their_number(db, org):
    v2 = checklists.publish(db, QUICK_V2, "quick.toml", org.owner).version
    shipped = (ROOT / "checklists" / "quick-visit.toml").read_text()
    assert checklists.publish(db, shipped, "quick.toml", org.owner).became_current  # v1 again: no new number
    versions = checklists.versions_of(db, "quick-visit")
    assert [(v.name, v.version, v.current) for v in versions] == [("v2", v2, False), ("v1", org.quick.version, True)]
    name = checklists.version_name(db, v2)
    assert name is not None and name.name == "v2" and name.label().startswith("v2 · ")
    assert checklists.version_name(db, "0" * 16) is None
    assert checklists.overview(db, key="quick-visit")[0].current.name == "v1"


def test_a_version_page_and_a_preview_say_what_changed(db, org):
    v2 = checklists.publish(db, QUICK_V2, "quick.toml", org.owner).version
    page = checklists.version_page(db, "quick-visit", v2)
    assert page.info.name == "v2" and page.previous.name == "v1"
    assert page.changes.checklist == ("title was “Quick visit”",) and not page.changes.items_added
    first = checklists.version_page(db, "quick-visit", org.quick.version)
    assert first.previous is None and first.changes is None
    with pytest.raises(NotFound):
        checklists.version_page(db, "customer-service", v2)
    assert checklists.page(db, "quick-visit").changes == {v2: "title was “Quick visit”"}
    shipped = (ROOT / "checklists" / "quick-visit.toml").read_text()
    back = checklists.preview(db, shipped, "quick.toml")
    assert back.stored_as.name == "v1" and back.changes.checklist == ("title was “Quick visit (v2)”",)
