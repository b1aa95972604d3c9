"""Planning visits: all or nothing under the rotation rule, cancelling, and the board of visits."""

from datetime import date, timedelta

import pytest

from audit.errors import Invalid
from audit.services import checklists
from audit.services.company import activity, organisation
from audit.services.planning import assignments
from tests import actors
from tests.services.admin_helpers import submit

VISIT_DAY = actors.VISIT_END.date()


DAY = date(2026, 12, 1)


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
