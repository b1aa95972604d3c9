from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from audit.errors import Conflict
from audit.services import demo
from audit.services.planning import assignments
from audit.services.scores import totals
from audit.settings import Settings
from audit.storage import migrate, models
from audit.storage.db import Database

TODAY = date(2026, 11, 20)


def section_means(db, store_code):
    with db.session() as session:
        rows = session.execute(
            sa.select(models.AuditSection.section_key, sa.func.avg(models.AuditSection.score))
            .join(models.Audit)
            .join(models.Store)
            .where(models.Store.code == store_code)
            .group_by(models.AuditSection.section_key)
        ).all()
    return dict(rows)


def monthly_mean(db, store_code, start, end):
    with db.session() as session:
        return session.scalar(
            sa.select(sa.func.avg(models.Audit.score))
            .join(models.Store)
            .where(models.Store.code == store_code, models.Audit.finished_at >= start, models.Audit.finished_at < end)
        )


def test_demo_fills_three_regions_and_24_stores_with_characterful_audits(db):
    summary = demo.load(db, seed=3, today=TODAY)
    assert (summary.regions, summary.stores) == (3, 24)
    assert 400 <= summary.audits <= 800
    regions = totals.region_scores(db, datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
    assert len(regions) == 3 and all(r.score is not None for r in regions)
    greeter = section_means(db, "NTH-001")  # the first store is strong on greeting, weak on patience
    assert greeter["greeting"] > greeter["listening_patience"] + 20
    early = (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))
    late = (datetime(2026, 9, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
    improving, declining = "STH-001", "NTH-002"
    assert monthly_mean(db, improving, *late) > monthly_mean(db, improving, *early) + 10
    assert monthly_mean(db, declining, *late) < monthly_mean(db, declining, *early) - 10
    for shopper in ("shopper1@example.com", "shopper5@example.com"):
        assert any(a.ends_on >= TODAY for a in assignments.listing(db, shopper))


def test_demo_refuses_a_database_that_holds_data(db):
    demo.load(db, seed=1, stores=3, months=1, today=TODAY)
    with pytest.raises(Conflict):
        demo.load(db, seed=1, stores=3, months=1, today=TODAY)


def test_the_same_seed_gives_the_same_data(tmp_path):
    results = []
    for n in range(2):
        database = Database(Settings(sqlite_path=tmp_path / f"seed{n}.db"))
        migrate.upgrade(database)
        demo.load(database, seed=11, stores=4, months=1, today=TODAY)
        with database.session() as session:
            results.append(
                session.execute(sa.select(models.Audit.id, models.Audit.score).order_by(models.Audit.id)).all()
            )
        database.dispose()
    assert results[0] == results[1] and len(results[0]) > 10


def test_large_demos_get_more_regions_of_a_realistic_size():
    assert len(demo.regions_for(24)) == 3
    many = demo.regions_for(2000)
    assert len(many) == 80 and many[:3] == list(demo.REGIONS) and many[-1] == ("R80", "Region 80")


def test_the_demos_checklists_were_published_before_its_first_audit(db):
    from audit.services import checklists

    demo.load(db, seed=2, stores=3, months=2, today=TODAY)
    with db.session() as session:
        first_visit = session.scalar(sa.select(sa.func.min(models.Audit.finished_at)))
        stamped = set(session.scalars(sa.select(models.ChecklistVersion.created_at)))
    assert len(stamped) == 1  # every version, the same day and hour: fixed by the day, like the visits
    (version,) = checklists.list_versions(db, "customer-service")
    assert version.published_at == demo.published_on(TODAY, 2) == datetime(2026, 9, 14, 9, tzinfo=UTC)
    assert version.published_at < first_visit.replace(tzinfo=first_visit.tzinfo or UTC)
    assert version.label() == "v1 · 14 Sep 2026"
