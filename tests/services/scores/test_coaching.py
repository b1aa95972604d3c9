"""Coaching figures against numbers worked out by hand: a store's weakest behaviours of a
period with the region's rate beside each, and one audit's missed behaviours with the
store's and region's rates over the 90 days to its day. Counted audits only."""

from datetime import UTC, date, datetime

import pytest

from audit.domain.periods import Period
from audit.services import audits
from audit.services.access import Viewer
from audit.services.scores import coaching, stores

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30), "UTC")


def day(d: int, month: int = 11) -> datetime:
    return datetime(2026, month, d, 12, tzinfo=UTC)


@pytest.fixture
def owner(org) -> Viewer:
    return Viewer(org.owner, "owner@example.com", "Olive", "owner")


@pytest.fixture
def north(db, org, put_audit, owner):
    """Leeds (NTH-001) and York (NTH-002) in the North, Brighton in the South; what each counts:

    Leeds   Oct 20  eye contact at greeting missed (before November)
            Nov 5   warm greeting, offered help missed; the customer's name N/A
            Nov 5   excluded: warm greeting, eye contact at greeting missed (counts nowhere)
            Nov 6   warm greeting, the customer's name, small talk missed
            Nov 7   nothing missed
    York    Nov 3   offered help, eye contact at greeting missed
            Nov 4   nothing missed
    Brighton Nov 4  warm greeting missed (another region)
    """
    put_audit("NTH-001", day(20, 10), eye_contact_greeting="no")
    a1 = put_audit("NTH-001", day(5), warm_greeting="no", offered_help="no", used_customer_name="na")
    excluded = put_audit("NTH-001", day(5), warm_greeting="no", eye_contact_greeting="no")
    audits.set_excluded(db, owner, excluded, True, "wrong store")
    a2 = put_audit("NTH-001", day(6), warm_greeting="no", used_customer_name="no", small_talk="no")
    put_audit("NTH-001", day(7))
    put_audit("NTH-002", day(3), offered_help="no", eye_contact_greeting="no")
    put_audit("NTH-002", day(4))
    put_audit("STH-001", day(4), warm_greeting="no")
    return {"a1": a1, "a2": a2, "excluded": excluded}


def figures(behaviour: coaching.Behaviour) -> tuple:
    b = behaviour
    return (b.key, b.store.missed, b.store.seen, b.store.rate, b.region.missed, b.region.seen, b.region.rate)


def test_a_stores_weakest_behaviours_with_the_regions_rate_beside_each(db, org, north, owner):
    c = stores.report(db, owner, "NTH-001", NOVEMBER).coaching
    assert c is not None and not c.for_audit
    assert c.audits == 3 and c.region_name == "North" and c.span == NOVEMBER
    # by failure rate, then points lost (offered help loses 2 points, small talk 1)
    assert [figures(b) for b in c.behaviours] == [
        ("warm_greeting", 2, 3, 66.7, 2, 5, 40.0),
        ("used_customer_name", 1, 2, 50.0, 1, 4, 25.0),  # N/A on Nov 5 leaves both counts
        ("offered_help", 1, 3, 33.3, 2, 5, 40.0),  # York missed it too
        ("small_talk", 1, 3, 33.3, 1, 5, 20.0),
    ]
    assert [b.points_lost for b in c.behaviours] == [6.0, 3.0, 2.0, 1.0]
    greeting = c.behaviours[0]
    assert greeting.question == org.main.item("warm_greeting").question
    assert greeting.section == "Arrival and greeting"
    assert greeting.guidance == org.main.item("warm_greeting").guidance and "spoken greeting" in greeting.guidance


def test_the_excluded_audit_and_the_earlier_one_count_nowhere(db, north, owner):
    c = stores.report(db, owner, "NTH-001", NOVEMBER).coaching
    assert "eye_contact_greeting" not in [b.key for b in c.behaviours]  # missed only when excluded or in October
    york = stores.report(db, owner, "NTH-002", NOVEMBER).coaching
    eye = next(b for b in york.behaviours if b.key == "eye_contact_greeting")
    assert (eye.store.missed, eye.store.seen, eye.region.missed, eye.region.seen) == (1, 2, 1, 5)


def test_at_most_five_by_points_lost_then_the_checklists_order(db, org, put_audit, owner):
    missed = ("stopped_task", "warm_greeting", "offered_help", "eye_contact_greeting", "eye_contact_listening")
    put_audit("NTH-002", day(10), **dict.fromkeys((*missed, "faced_customer", "introduced_self", "small_talk"), "no"))
    c = stores.report(db, owner, "NTH-002", NOVEMBER).coaching
    assert len(c.behaviours) == coaching.WEAKEST == 5
    # every one missed in 1 of 1: the 3-point ones first, then the 2-point ones as the checklist lists them
    assert [b.key for b in c.behaviours] == [
        "warm_greeting", "eye_contact_greeting", "stopped_task", "offered_help", "eye_contact_listening",
    ]  # fmt: skip


def test_a_store_that_missed_nothing_has_nothing_to_coach(db, north, owner):
    c = stores.report(db, owner, "NTH-002", Period(date(2026, 11, 4), date(2026, 11, 4), "UTC")).coaching
    assert c.behaviours == [] and c.audits == 1
    nothing = stores.report(db, owner, "NTH-002", Period(date(2026, 1, 1), date(2026, 1, 31), "UTC")).coaching
    assert nothing.behaviours == [] and nothing.audits == 0


def test_the_stores_copy_of_an_audit_coaches_its_missed_behaviours_over_the_90_days_to_it(db, org, north, owner):
    view = audits.view(db, owner, north["a2"], for_store=True)
    c = view.coaching
    assert c is not None and c.for_audit
    assert c.span == Period(date(2026, 8, 9), date(2026, 11, 6), "UTC") and c.span.days == 90
    # Leeds up to Nov 6: Oct 20, Nov 5, Nov 6 (the excluded one never); the North adds York's two
    assert c.audits == 3
    assert [figures(b) for b in c.behaviours] == [
        ("warm_greeting", 2, 3, 66.7, 2, 5, 40.0),
        ("used_customer_name", 1, 2, 50.0, 1, 4, 25.0),
        ("small_talk", 1, 3, 33.3, 1, 5, 20.0),
    ]
    assert [b.points_lost for b in c.behaviours] == [3.0, 3.0, 1.0]  # this audit's own
    assert all(b.guidance == org.main.item(b.key).guidance for b in c.behaviours)


def test_a_critical_failure_comes_first_on_the_audit(db, org, put_audit, owner):
    audit_id = put_audit("NTH-001", day(20), small_talk="no", warm_greeting="no", respectful_throughout="no")
    c = audits.view(db, owner, audit_id, for_store=True).coaching
    assert [(b.key, b.critical) for b in c.behaviours] == [
        ("respectful_throughout", True), ("warm_greeting", False), ("small_talk", False),
    ]  # fmt: skip


def test_the_staff_copy_carries_no_coaching(db, north, owner):
    assert audits.view(db, owner, north["a1"]).coaching is None
