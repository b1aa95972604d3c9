from pathlib import Path

import pytest

from audit.domain.checklist import ChecklistError
from audit.errors import NotFound
from audit.services import audits, checklists
from audit.settings import ROOT
from tests import actors

QUICK = ROOT / "checklists" / "quick-visit.toml"


def test_importing_an_unchanged_file_creates_no_version(db, tmp_path: Path):
    first = checklists.import_file(db, QUICK)
    copy = tmp_path / "same.toml"
    copy.write_text("# reformatted copy\n" + QUICK.read_text())
    again = checklists.import_file(db, copy)
    assert first.created and not again.created
    assert first.version == again.version
    assert len(checklists.list_versions(db)) == 1


def test_a_changed_file_makes_a_new_current_version_and_old_audits_keep_theirs(db, org, tmp_path: Path):
    submitter = audits.Submitter(db)
    old = audits.submit(db, submitter, audits.Submission.model_validate(actors.body(org.quick)))
    changed = tmp_path / "quick.toml"
    changed.write_text(QUICK.read_text().replace('title = "Quick visit"', 'title = "Quick visit (2027)"', 1))
    result = checklists.import_file(db, changed)
    assert result.created and result.became_current
    assert checklists.current(db, "quick-visit").version == result.version != org.quick.version
    # an audit filled in offline with the old version is still accepted and scored against it
    late = audits.submit(db, submitter, audits.Submission.model_validate(actors.body(org.quick)))
    submitter.close()
    assert late.status == "created" and late.audit["checklist_version"] == org.quick.version
    assert audits.get(db, old.audit_id)["checklist_version"] == org.quick.version
    versions = {v.version: v for v in checklists.list_versions(db) if v.key == "quick-visit"}
    assert versions[org.quick.version].audits == 2 and not versions[org.quick.version].current
    assert versions[result.version].current
    # re-importing the first content makes it current again without a new version
    back = checklists.import_file(db, QUICK)
    assert not back.created and back.became_current


def test_a_malformed_file_is_refused_and_nothing_is_stored(db, tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(QUICK.read_text().replace('type = "scale"', 'type = "stars"'))
    with pytest.raises(ChecklistError, match=r"bad\.toml"):
        checklists.import_file(db, bad)
    assert checklists.list_versions(db) == []
    with pytest.raises(NotFound):
        checklists.current(db, "quick-visit")
