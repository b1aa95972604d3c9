"""Realistic demo data: regions, stores with a character each, shoppers, audits, assignments.

Audits go through the real use case (`audits.prepare` checks and scores them), so
demo figures obey exactly the rules real ones do. The same seed gives the same
data on the same day (visit dates count back from today).
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from audit.domain.checklist import Checklist, Item
from audit.errors import Conflict, NotFound
from audit.services import audits, checklists
from audit.services.company import organisation
from audit.services.people import accounts
from audit.services.planning import assignments
from audit.storage import models
from audit.storage.db import Database

REGIONS = (("NTH", "North"), ("MID", "Midlands"), ("STH", "South"))
STORES_PER_REGION = 25  # beyond 75 stores, more regions: a manager looks after a few dozen branches, not hundreds


def regions_for(stores: int) -> list[tuple[str, str]]:
    extra = max(0, -(-stores // STORES_PER_REGION) - len(REGIONS))
    return [*REGIONS, *[(f"R{n:02d}", f"Region {n}") for n in range(len(REGIONS) + 1, len(REGIONS) + extra + 1)]]


TOWNS = {
    "NTH": ("Leeds", "York", "Newcastle", "Durham", "Sheffield", "Hull", "Bradford", "Sunderland"),
    "MID": ("Birmingham", "Coventry", "Leicester", "Derby", "Nottingham", "Wolverhampton", "Stoke", "Lincoln"),
    "STH": ("Brighton", "Southampton", "Portsmouth", "Bournemouth", "Reading", "Oxford", "Exeter", "Plymouth"),
}
STAFF = ("Sam", "Priya", "Tom", "Aisha", "Jack", "Mei", "Oliver", "Zofia", "Kwame", "Ruth", "Dev", "Elena")
LOOKS = ("dark green fleece", "red lanyard", "glasses and a grey jumper", "name badge on a blue shirt", "tall, beard")
BATCH = 500

# How likely a good answer is, by section, for a store of each character; `trend`
# moves every section by that much per month (positive: improving).
CHARACTERS: dict[str, tuple[dict[str, float], float]] = {
    "greeter": ({"greeting": 0.95, "eye_contact": 0.9, "listening_patience": 0.35, "name_personal": 0.6}, 0.0),
    "steady": ({}, 0.0),
    "improving": ({"greeting": 0.45, "eye_contact": 0.45, "name_personal": 0.3, "listening_patience": 0.5}, 0.08),
    "declining": ({"greeting": 0.92, "eye_contact": 0.9, "name_personal": 0.8, "listening_patience": 0.9}, -0.08),
}


@dataclass(frozen=True)
class Profile:
    character: str
    base: float
    sections: dict[str, float]
    trend: float

    def chance(self, section: str, months_ago: float, months: int) -> float:
        elapsed = months - months_ago  # 0 at the first visit, `months` at today
        p = self.sections.get(section, self.base) + self.trend * (elapsed - months / 2)
        return min(0.98, max(0.05, p))


@dataclass(frozen=True)
class DemoSummary:
    regions: int
    stores: int
    shoppers: int
    audits: int
    assignments: int


def load(
    db: Database,
    seed: int = 1,
    stores: int = 24,
    months: int = 6,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Fill an empty database; refuses one that already holds regions."""
    if has_data(db):
        raise Conflict("the database already holds data; demo data goes into an empty database")
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    folder = db.settings.checklists_dir
    specs = [checklists.import_file(db, p) for p in sorted(folder.glob("*.toml"))]
    if not any(s.key == "customer-service" for s in specs):
        raise NotFound(f"no customer-service checklist in {folder} (set AUDIT_CHECKLISTS_DIR to the checklists folder)")
    _backdate(db, [s.version for s in specs], published_on(today, months))
    main = checklists.current(db, "customer-service")
    quick = checklists.current(db, "quick-visit") if any(s.key == "quick-visit" for s in specs) else None
    store_codes, profiles = _organisation(db, rng, stores)
    shoppers = _people(db, regions_for(stores))
    accounts.create_user(
        db, STORE_MANAGER, "store", "Sana Store", password=PASSWORDS["store"], stores=tuple(store_codes[:1])
    )
    submitter = audits.Submitter(db)
    total = len(store_codes) * months * 4
    done = 0
    batch: list[audits.Prepared] = []
    for submission, shopper in _visits(rng, store_codes, profiles, shoppers, main, quick, months, today):
        batch.append(audits.prepare(db, submission, shopper, planned_only=False))
        if len(batch) >= BATCH:
            done += _flush(submitter, batch)
            if progress:
                progress(done, total)
    done += _flush(submitter, batch)
    planned = _assignments(db, rng, store_codes, shoppers, today, quick is not None)
    return DemoSummary(len(regions_for(stores)), len(store_codes), len(shoppers), done, planned)


def published_on(today: date, months: int) -> datetime:
    """When the demo's checklists say they were published: a week before the first visit can
    fall (the visits go back `months` x 30 days), so an old audit's version reads "v1 · <a date
    before it>", not today's date. Fixed by the day, like the rest of the demo."""
    return datetime.combine(today - timedelta(days=months * 30 + 7), time(9), UTC)


def _backdate(db: Database, versions: list[str], when: datetime) -> None:
    with db.write_session() as session:
        session.execute(
            sa.update(models.ChecklistVersion).where(models.ChecklistVersion.id.in_(versions)).values(created_at=when)
        )


def has_data(db: Database) -> bool:
    with db.session() as session:
        return session.scalar(sa.select(models.Region.id).limit(1)) is not None


def _flush(submitter: audits.Submitter, batch: list[audits.Prepared]) -> int:
    if not batch:
        return 0
    outcomes = submitter.store_batch(batch)
    bad = [o for o in outcomes if o.status != "created"]
    assert not bad, f"demo audit refused: {bad[0]}"
    batch.clear()
    return len(outcomes)


def _organisation(db: Database, rng: random.Random, count: int) -> tuple[list[str], dict[str, Profile]]:
    regions = regions_for(count)
    for code, name in regions:
        organisation.add_region(db, code, name)
    codes: list[str] = []
    profiles: dict[str, Profile] = {}
    characters = list(CHARACTERS)
    every_town = [town for towns in TOWNS.values() for town in towns]
    for n in range(count):
        region = regions[n % len(regions)][0]
        towns = TOWNS.get(region, every_town)
        number = n // len(regions) + 1
        town = towns[(number - 1) % len(towns)]
        code = f"{region}-{number:03d}"
        suffix = "" if number <= len(towns) else f" {number // len(towns) + 1}"
        organisation.add_store(db, code, f"{town}{suffix}", region, f"{rng.randint(1, 200)} High Street, {town}")
        codes.append(code)
        character = characters[n] if n < len(characters) else rng.choice(("steady", "steady", "greeter", "improving"))
        sections, trend = CHARACTERS[character]
        base = round(rng.uniform(0.55, 0.9), 2)
        profiles[code] = Profile(character, base, sections, trend if n < len(characters) else trend / 2)
    return codes, profiles


PASSWORDS = {
    "owner": "owner-demo-2026",
    "manager": "manager-demo-2026",
    "shopper": "shopper-demo-2026",
    "store": "store-demo-2026",
}
STORE_MANAGER = "store.manager@example.com"  # the first store's manager (the demo's NTH-001)


def _people(db: Database, regions: list[tuple[str, str]]) -> list[tuple[int, str]]:
    accounts.create_user(db, "owner@example.com", "owner", "Olivia Owner", password=PASSWORDS["owner"])
    for code, name in regions:
        email = f"manager.{code.lower()}@example.com"
        accounts.create_user(db, email, "manager", f"{name} manager", (code,), password=PASSWORDS["manager"])
    shoppers = []
    for n, name in enumerate(("Alex Shopper", "Bea Shopper", "Chris Shopper", "Dana Shopper", "Eli Shopper"), 1):
        email = f"shopper{n}@example.com"
        shoppers.append((accounts.create_user(db, email, "shopper", name, password=PASSWORDS["shopper"]), email))
    return shoppers


def sign_in_details() -> list[tuple[str, str, str]]:
    """Who to sign in as, for the demo only: (role, email, password)."""
    return [
        ("owner", "owner@example.com", PASSWORDS["owner"]),
        *[("manager", f"manager.{code.lower()}@example.com", PASSWORDS["manager"]) for code, _ in REGIONS],
        *[("shopper", f"shopper{n}@example.com", PASSWORDS["shopper"]) for n in range(1, 6)],
        ("store manager", STORE_MANAGER, PASSWORDS["store"]),
    ]


def _visits(
    rng: random.Random,
    store_codes: list[str],
    profiles: dict[str, Profile],
    shoppers: list[tuple[int, str]],
    main: Checklist,
    quick: Checklist | None,
    months: int,
    today: date,
) -> Iterator[tuple[audits.Submission, int]]:
    days = months * 30
    for code in store_codes:
        profile = profiles[code]
        for _ in range(months * 4):
            day = today - timedelta(days=rng.randint(1, days))
            start = datetime.combine(day, time(rng.randint(9, 18), rng.randint(0, 59)), UTC)
            finish = start + timedelta(minutes=rng.randint(8, 35))
            spec = quick if quick is not None and rng.random() < 0.15 else main
            months_ago = (today - day).days / 30
            answers = _answers(rng, spec, functools.partial(_chance, profile, months_ago=months_ago, months=months))
            shopper_id, _ = rng.choice(shoppers)
            submission = audits.Submission(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                store=code,
                checklist=spec.key,
                checklist_version=spec.version,
                started_at=start,
                finished_at=finish,
                answers=answers,
                notes=rng.choice(("", "", "Busy Saturday afternoon; two staff on the floor.", "Quiet visit.")),
            )
            yield submission, shopper_id


def _chance(profile: Profile, section: str, months_ago: float, months: int) -> float:
    return profile.chance(section, months_ago, months)


def _answers(rng: random.Random, spec: Checklist, chance: Callable[[str], float]) -> dict[str, audits.AnswerIn]:
    complaint = rng.random() < 0.25
    result: dict[str, audits.AnswerIn] = {}
    for item in spec.items:
        value = _value(rng, item, chance(item.section), complaint)
        if value is not None:
            result[item.key] = audits.AnswerIn(value=value)
    return result


def _value(rng: random.Random, item: Item, p: float, complaint: bool) -> str | int | float | None:
    if item.allow_na and ((item.section == "problem_handling" and not complaint) or rng.random() < 0.2):
        return "na"
    good = rng.random() < p
    if item.type == "yesno":
        if item.critical:
            return "no" if rng.random() < 0.08 * (1 - p) else "yes"
        return "yes" if good else "no"
    if item.type == "scale":
        low, high = int(item.min or 0), int(item.max or 5)
        value = round(low + (high - low) * min(1.0, max(0.0, rng.gauss(p, 0.15))))
        return max(low, min(high, value))
    if item.type == "choice":
        best = max(item.options, key=lambda o: o.points)
        return best.key if good else rng.choice([o for o in item.options if o is not best]).key
    if item.type == "number":
        if not item.bands:
            return rng.randint(1, 6)
        return round(rng.expovariate(1 / (10 + 70 * (1 - p))))
    if item.type == "text" and item.required:
        return f"{rng.choice(STAFF)}, {rng.choice(LOOKS)}"
    return None


def _assignments(
    db: Database,
    rng: random.Random,
    store_codes: list[str],
    shoppers: list[tuple[int, str]],
    today: date,
    with_quick: bool,
) -> int:
    count = 0
    for n, (_, email) in enumerate(shoppers):
        for k in range(4):
            store = store_codes[(n * 4 + k) % len(store_codes)]
            start = today + timedelta(days=k * 3 - 3)
            checklist = "quick-visit" if k == 3 and with_quick else "customer-service"
            assignments.add(db, email, store, checklist, start, start + timedelta(days=rng.randint(0, 6)))
            count += 1
    return count
