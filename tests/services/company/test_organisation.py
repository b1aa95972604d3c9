"""Regions and stores: editing, archiving and bringing back, with the trail of each change."""

from datetime import timedelta

import pytest

from audit.errors import Conflict, Invalid
from audit.services.company import activity, organisation, store_import
from audit.services.scores import totals
from tests import actors
from tests.services.admin_helpers import kinds, submit


def test_an_archived_store_leaves_the_dashboards_but_keeps_its_audits(db, org):
    spec = org.main
    submit(db, actors.body(spec, store="NTH-002"), org.shopper)
    organisation.set_archived(db, "NTH-002", True, org.owner)
    start, end = actors.VISIT_END - timedelta(days=30), actors.VISIT_END + timedelta(days=1)
    north = next(r for r in totals.region_scores(db, start, end) if r.code == "NTH")
    assert [s.code for s in north.stores] == ["NTH-001"]
    assert organisation.store(db, "NTH-002").audits == 1 and organisation.store(db, "NTH-002").archived
    organisation.set_archived(db, "NTH-002", False, org.owner)
    assert "store_archived" in kinds(db) and "store_restored" in kinds(db)


def test_a_region_is_archived_only_once_it_has_no_open_store_and_is_then_offered_nowhere(db, org):
    with pytest.raises(Conflict) as refused:
        organisation.set_region_archived(db, "STH", True, org.owner)
    assert "1 open store(s) (STH-001)" in refused.value.message
    assert not organisation.region(db, "STH").archived
    organisation.set_archived(db, "STH-001", True, org.owner)
    organisation.set_region_archived(db, "STH", True, org.owner)
    assert organisation.region(db, "STH").archived
    assert [r.code for r in organisation.regions(db, archived=False)] == ["NTH"]
    with pytest.raises(Invalid) as invalid:
        organisation.add_store(db, "STH-002", "Hove", "STH", actor_id=org.owner)
    assert invalid.value.problems[0].message == "region STH is archived: bring it back first"
    with pytest.raises(store_import.ImportRefused) as refused_import:
        store_import.import_csv(db, "code,name,region\nSTH-003,Worthing,STH\n", org.owner)
    assert [(p.line, p.message) for p in refused_import.value.lines] == [(2, "region STH is archived")]
    with pytest.raises(Invalid) as invalid:
        organisation.set_archived(db, "STH-001", False, org.owner)
    assert "region STH is archived" in invalid.value.problems[0].message
    organisation.edit_store(db, "STH-001", "Brighton Old Steine", "STH", "", "", org.owner)  # stays where it is
    with pytest.raises(Invalid):
        organisation.edit_store(db, "NTH-001", "Leeds", "STH", "", "", org.owner)  # moving into it is refused
    organisation.set_region_archived(db, "STH", False, org.owner)
    organisation.add_store(db, "STH-002", "Hove", "STH", actor_id=org.owner)
    assert {"region_archived", "region_restored"} <= set(kinds(db))


def test_editing_a_store_checks_its_fields_and_records_what_changed(db, org):
    with pytest.raises(Invalid) as invalid:
        organisation.edit_store(db, "NTH-001", "", "NOPE", "", "Mars/Base", org.owner)
    assert {p.field for p in invalid.value.problems} == {"name", "timezone"}
    organisation.edit_store(db, "NTH-001", "Leeds Briggate", "NTH", "", "Europe/London", org.owner)
    entry = activity.entries(db, activity.Filters(kind="store_changed"))[0]
    assert entry.actor == "owner@example.com" and "Leeds → Leeds Briggate" in entry.detail


def test_the_confirmation_of_archiving_a_region_is_refused_while_it_has_an_open_store(db, org):
    with pytest.raises(Conflict) as refused:
        organisation.region_to_archive(db, "STH")
    assert "1 open store(s) (STH-001)" in refused.value.message
    organisation.set_archived(db, "STH-001", True, org.owner)
    region = organisation.region_to_archive(db, "sth")
    assert (region.code, region.stores, region.archived_stores, region.archived) == ("STH", 0, 1, False)
    assert organisation.set_region_archived(db, "sth", True, org.owner) == "STH"
