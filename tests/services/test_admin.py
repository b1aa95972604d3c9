"""Owner administration use cases: stores and their import, links, checklists, visits, the trail."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from audit.errors import Conflict, Invalid, NotFound
from audit.services import audits, checklists
from audit.services.company import activity, organisation, store_import
from audit.services.people import accounts, invitations
from audit.services.planning import assignments
from audit.services.scores import totals
from audit.settings import ROOT
from audit.storage import models
from tests import actors

VISIT_DAY = actors.VISIT_END.date()

CSV = "code,name,region,address,timezone\nNTH-010,Harrogate,NTH,1 Parade,Europe/London\nSTH-010,Hove,STH,,\n"
DAY = date(2026, 12, 1)


def submit(db, body, shopper_id):
    submitter = audits.Submitter(db)
    try:
        return audits.submit(db, submitter, audits.Submission.model_validate(body), shopper_id)
    finally:
        submitter.close()


def kinds(db):
    return [e.kind for e in activity.entries(db, activity.Filters())]


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


def test_an_invitation_link_works_once_and_signs_the_person_in(db, org):
    user_id = accounts.create_user(db, "new@example.com", "shopper", "Nel", actor_id=org.owner)
    link = invitations.create(db, user_id, org.owner)
    assert link.purpose == "invite" and invitations.pending(db, link.token).email == "new@example.com"
    with pytest.raises(Invalid):
        invitations.accept(db, link.token, "short")
    token, viewer = invitations.accept(db, link.token, "a-fine-long-passphrase")
    assert viewer.email == "new@example.com" and accounts.session_viewer(db, token) is not None
    with pytest.raises(invitations.LinkGone):
        invitations.accept(db, link.token, "another-long-passphrase")
    assert accounts.sign_in(db, "new@example.com", "a-fine-long-passphrase", "t")[1].id == user_id


def test_a_new_link_voids_the_old_one_and_a_reset_ends_sessions(db, org):
    first = invitations.create(db, org.shopper, org.owner)
    second = invitations.create(db, org.shopper, org.owner)
    assert second.purpose == "reset"  # the shopper has a password
    with pytest.raises(invitations.LinkGone):
        invitations.pending(db, first.token)
    old_session, _ = accounts.sign_in(db, "shopper@example.com", actors.PASSWORD, "t")
    invitations.accept(db, second.token, "a-brand-new-passphrase")
    assert accounts.session_viewer(db, old_session) is None


def test_an_expired_link_or_one_of_a_disabled_person_does_not_work(db, org):
    link = invitations.create(db, org.other_shopper, org.owner)
    with db.write_session() as session:
        session.execute(sa.update(models.Invitation).values(expires_at=models.now() - timedelta(seconds=1)))
    with pytest.raises(invitations.LinkGone):
        invitations.pending(db, link.token)
    link = invitations.create(db, org.other_shopper, org.owner)
    accounts.disable(db, "other@example.com", org.owner)
    with pytest.raises(invitations.LinkGone):
        invitations.pending(db, link.token)
    with pytest.raises(Invalid):
        invitations.create(db, org.other_shopper, org.owner)


def test_a_link_is_stored_only_as_a_hash(db, org):
    link = invitations.create(db, org.shopper, org.owner)
    with db.session() as session:
        stored = session.scalars(sa.select(models.Invitation.token_hash)).all()
    assert link.token not in stored and len(stored) == 1


def test_a_manager_gets_new_regions_and_a_person_needs_a_name(db, org):
    accounts.update_person(db, org.north_manager, "Nia", ("NTH", "STH"), org.owner)
    assert accounts.person(db, org.north_manager).regions == ("NTH", "STH")
    with pytest.raises(Invalid):
        accounts.update_person(db, org.north_manager, "Nia", (), org.owner)
    with pytest.raises(Invalid):
        accounts.update_person(db, org.shopper, "", (), org.owner)


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


def test_an_archived_checklist_takes_no_new_visits(db, org):
    checklists.set_archived(db, "quick-visit", True, org.owner)
    assert [c.key for c in checklists.overview(db, include_archived=False)] == ["customer-service"]
    visit = assignments.Planned("shopper@example.com", "NTH-001", "quick-visit", DAY, DAY)
    with pytest.raises(Invalid) as invalid:
        assignments.plan(db, [visit], 30, org.owner)
    assert "checklist quick-visit is archived" in invalid.value.problems[0].message


def stores(db, n):
    for k in range(n):
        organisation.add_store(db, f"NTH-1{k:02d}", f"Town {k}", "NTH")
    return [f"NTH-1{k:02d}" for k in range(n)]


def test_planning_many_stores_is_all_or_nothing_under_the_rotation_rule(db, org):
    codes = stores(db, 10)
    earlier = assignments.Planned("other@example.com", codes[3], "customer-service", DAY - timedelta(days=10), DAY)
    assignments.plan(db, [earlier], 30, org.owner)
    visits = [
        assignments.Planned(
            "other@example.com", c, "customer-service", DAY + timedelta(days=5), DAY + timedelta(days=9)
        )
        for c in codes
    ]
    with pytest.raises(Invalid) as refused:
        assignments.plan(db, visits, 30, org.owner)
    [problem] = refused.value.problems
    assert problem.field == f"store {codes[3]}"
    assert "rotation rule keeps 30 days" in problem.message and "from 2026-12-31" in problem.message
    assert len(assignments.board(db, "upcoming", DAY, shopper="other@example.com")) == 1
    ids = assignments.plan(db, [v for v in visits if v.store != codes[3]], 30, org.owner)
    assert len(ids) == 9
    assert len(assignments.listing(db, "other@example.com")) == 1 + 1 + 9  # with the visit of the org


def test_the_rotation_rule_counts_visits_made_and_repeats_within_one_batch(db, org):
    submit(db, actors.body(org.main, store="NTH-001"), org.shopper)
    for visit in assignments.listing(db, "shopper@example.com"):
        assignments.cancel(db, visit.id, org.owner)  # only the visit made counts now
    soon = actors.VISIT_END.date() + timedelta(days=29)
    with pytest.raises(Invalid) as made:
        assignments.plan(
            db, [assignments.Planned("shopper@example.com", "NTH-001", "quick-visit", soon, soon)], 0 + 30, org.owner
        )
    assert "visited it on 2026-11-02" in made.value.problems[0].message
    twice = [
        assignments.Planned(
            "other@example.com", "NTH-002", "customer-service", DAY + timedelta(days=d), DAY + timedelta(days=d), line=n
        )
        for n, d in ((2, 0), (3, 10))
    ]
    with pytest.raises(Invalid) as batch:
        assignments.plan(db, twice, 30, org.owner)
    assert [p.field for p in batch.value.problems] == ["line 3"]
    assert len(assignments.plan(db, twice, 0, org.owner)) == 2  # 0 turns the rule off


def test_a_cancelled_visit_leaves_the_shoppers_list_and_may_no_longer_be_audited(db, org):
    visits = assignments.listing(db, "other@example.com")
    assert assignments.may_submit(db, org.other_shopper, "STH-001")
    assignments.cancel(db, visits[0].id, org.owner)
    assert assignments.listing(db, "other@example.com") == []
    assert not assignments.may_submit(db, org.other_shopper, "STH-001")
    assert assignments.board(db, "upcoming", DAY - timedelta(days=60)) != []
    assert all(v.shopper != "other@example.com" for v in assignments.board(db, "upcoming", DAY - timedelta(days=60)))
    assert activity.entries(db, activity.Filters(kind="visit_cancelled"))[0].subject == f"visit {visits[0].id}"


def test_the_board_sorts_visits_into_upcoming_overdue_and_done_by_region_and_shopper(db, org):
    submit(db, actors.body(org.main, store="NTH-001"), org.shopper)
    after = actors.VISIT_END.date() + timedelta(days=1)
    done = assignments.board(db, "done", after)
    assert [(v.store, v.audit_id is not None) for v in done] == [("NTH-001", True)]
    assert {v.store for v in assignments.board(db, "overdue", after)} == {"NTH-002", "STH-001"}
    assert [v.store for v in assignments.board(db, "overdue", after, region="STH")] == ["STH-001"]
    assert [v.store for v in assignments.board(db, "overdue", after, shopper="shopper@example.com")] == ["NTH-002"]
    assert len(assignments.board(db, "upcoming", actors.VISIT_END.date())) == 2


def test_a_visit_is_done_by_the_audit_that_names_it_not_by_a_later_one(db, org):
    early = VISIT_DAY - timedelta(days=20)
    missed = assignments.add(db, "shopper@example.com", "NTH-002", "customer-service", early, early).id
    later = assignments.listing(db, "shopper@example.com")[-1]
    assert later.store == "NTH-002" and later.id != missed
    outcome = submit(db, actors.body(org.main, store="NTH-002", assignment=later.id), org.shopper)
    assert outcome.status == "created"
    after = VISIT_DAY + timedelta(days=1)
    done = {v.id: v.audit_id for v in assignments.board(db, "done", after)}
    assert done.get(later.id) == outcome.audit_id and missed not in done
    assert missed in {v.id for v in assignments.board(db, "overdue", after)}


def test_an_audit_naming_no_visit_still_marks_the_shoppers_visit_done(db, org):
    outcome = submit(db, actors.body(org.main, store="NTH-002"), org.shopper)
    after = VISIT_DAY + timedelta(days=1)
    assert [v.audit_id for v in assignments.board(db, "done", after) if v.store == "NTH-002"] == [outcome.audit_id]


def test_the_activity_trail_filters_by_category_actor_words_and_time(db, org):
    organisation.add_region(db, "WST", "West", org.owner)
    organisation.add_store(db, "WST-001", "Bath", "WST", actor_id=org.owner)
    changes = activity.entries(db, activity.Filters(category="change", actor="owner@example.com"))
    assert [e.kind for e in changes] == ["store_created", "region_created"]
    assert [e.subject for e in activity.entries(db, activity.Filters(text="bath"))] == ["store WST-001"]
    assert activity.entries(db, activity.Filters(text="100%_")) == []
    security = activity.entries(db, activity.Filters(category="security"))
    assert {e.kind for e in security} == {"user_created"}
    future = datetime.now(UTC) + timedelta(days=1)
    assert activity.entries(db, activity.Filters(start=future)) == []


def test_nothing_is_found_for_unknown_objects(db, org):
    for call in (
        lambda: organisation.store(db, "NOPE-1"),
        lambda: organisation.region(db, "NOPE"),
        lambda: accounts.person(db, 999),
        lambda: checklists.versions_of(db, "nope"),
        lambda: assignments.cancel(db, 999, org.owner),
    ):
        with pytest.raises(NotFound):
            call()


def test_a_store_file_is_refused_with_every_problem_of_every_line_at_once(db, org):
    text = "code,name,region\nbad code,,ZZZ\nNTH-050,Ripon,NTH\nNTH-051,Selby,QQQ\n"
    with pytest.raises(store_import.ImportRefused) as refused:
        store_import.import_csv(db, text, org.owner)
    lines = [(p.line, p.message) for p in refused.value.lines]
    assert [line for line, _ in lines] == [2, 2, 2, 4]
    assert lines[2] == (2, "there is no region ZZZ") and lines[3] == (4, "there is no region QQQ")
    assert "NTH-050" not in [s.code for s in organisation.stores(db)]
