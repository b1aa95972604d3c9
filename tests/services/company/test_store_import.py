"""Importing stores from a CSV file: all or nothing, every problem by line, the same file twice."""

import pytest

from audit.services.company import organisation, store_import
from tests.services.admin_helpers import kinds

CSV = "code,name,region,address,timezone\nNTH-010,Harrogate,NTH,1 Parade,Europe/London\nSTH-010,Hove,STH,,\n"


def test_a_store_import_with_one_bad_row_imports_nothing_and_names_the_line(db, org):
    bad = CSV + "STH-011,Lewes,XXX,,\n"
    with pytest.raises(store_import.ImportRefused) as refused:
        store_import.import_csv(db, bad, org.owner)
    assert [(p.line, p.message) for p in refused.value.lines] == [(4, "there is no region XXX")]
    assert [s.code for s in organisation.stores(db)] == ["NTH-001", "NTH-002", "STH-001"]


def test_importing_the_same_file_again_changes_nothing_and_a_changed_row_updates_its_store(db, org):
    first = store_import.import_csv(db, CSV, org.owner)
    assert first.created == ["NTH-010", "STH-010"] and first.updated == []
    again = store_import.import_csv(db, CSV, org.owner)
    assert (again.created, again.updated, again.unchanged) == ([], [], 2)
    changed = store_import.import_csv(db, CSV.replace("Hove,STH,,", "Hove Central,STH,2 Sea Road,"), org.owner)
    assert changed.updated == ["STH-010"]
    store = organisation.store(db, "STH-010")
    assert (store.name, store.address, store.region) == ("Hove Central", "2 Sea Road", "STH")
    assert kinds(db).count("stores_imported") == 2  # the import that changed nothing left no line


def test_a_store_file_is_refused_with_every_problem_of_every_line_at_once(db, org):
    text = "code,name,region\nbad code,,ZZZ\nNTH-050,Ripon,NTH\nNTH-051,Selby,QQQ\n"
    with pytest.raises(store_import.ImportRefused) as refused:
        store_import.import_csv(db, text, org.owner)
    lines = [(p.line, p.message) for p in refused.value.lines]
    assert [line for line, _ in lines] == [2, 2, 2, 4]
    assert lines[2] == (2, "there is no region ZZZ") and lines[3] == (4, "there is no region QQQ")
    assert "NTH-050" not in [s.code for s in organisation.stores(db)]
