"""The owners' activity trail: security events and changes in one list, filtered."""

from datetime import UTC, datetime, timedelta

from audit.services.company import activity, organisation


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
