"""The weekly digest: for each active manager, their regions' scores and change, the week's
new critical failures, their plans open and overdue, and each region's report as a PDF.

Once per manager and ISO week: `prepare` tells each manager of the week's digest (an
in-app notification whose key is the week) before anything is mailed, and only a manager
told now gets a new one; the mail is that notification's, sent and retried by `delivery`
like any other. Its text and PDFs are made when it is sent (again on a retry), from the
same services as the pages: `scores.totals`, `plans.views.figures`, `reports`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from audit import formats
from audit.domain.periods import Period
from audit.services.access import Viewer
from audit.services.notifications.delivery import Delivered, NotMailed, Outgoing, deliver, message
from audit.services.notifications.inbox import News, tell
from audit.services.plans import views as plan_views
from audit.services.scores import totals
from audit.storage import models
from audit.storage.db import Database
from audit.storage.models import Role

KIND = "digest"
SCORE_DAYS = 90  # scores over the 90 days to the week's Sunday, as the home page's
WEEK = re.compile(r"(\d{4})-W(\d{2})")


class WeekError(ValueError):
    """Not an ISO week like 2026-W49."""


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @property
    def first(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def last(self) -> date:
        return self.first + timedelta(days=6)

    @property
    def key(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def label(self) -> str:
        return f"week {self.number}, {formats.day(self.first)} to {formats.day(self.last)}"

    def period(self, zone: str) -> Period:
        return Period(self.first, self.last, zone)


def week(text: str) -> Week:
    """2026-W49 -> that ISO week; WeekError for anything else."""
    match = WEEK.fullmatch(text.strip())
    if not match:
        raise WeekError(f"{text!r} is not a week like 2026-W49")
    year, number = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise WeekError(f"{year} has no week {number}") from None
    return Week(year, number)


def last_week(today: date) -> Week:
    """The last whole week before `today` (on a Monday: the week that ended yesterday)."""
    year, number, _ = (today - timedelta(days=7)).isocalendar()
    return Week(year, number)


def managers(db: Database) -> list[Viewer]:
    """Every manager who can sign in (a password set, not disabled) and looks after a region."""
    query = (
        sa.select(models.User.id, models.User.email, models.User.name, models.UserRegion.region_id)
        .join(models.UserRegion, models.UserRegion.user_id == models.User.id)
        .join(models.Region, models.Region.id == models.UserRegion.region_id)
        .where(
            models.User.role == Role.MANAGER,
            models.User.disabled.is_(False),
            models.User.password_hash.is_not(None),
            models.Region.archived.is_(False),
        )
        .order_by(models.User.id)
    )
    people: dict[int, tuple[str, str]] = {}
    regions: dict[int, set[int]] = defaultdict(set)
    with db.session() as session:
        for user_id, email, name, region_id in session.execute(query):
            people[user_id] = (email, name)
            regions[user_id].add(region_id)
    return [Viewer(i, email, name, Role.MANAGER, frozenset(regions[i])) for i, (email, name) in people.items()]


def manager(db: Database, user_id: int) -> Viewer | None:
    return next((m for m in managers(db) if m.id == user_id), None)


@dataclass(frozen=True)
class Critical:
    """A counted audit of the week with a failed critical item."""

    audit_id: str
    store: str
    store_name: str
    finished_at: datetime


@dataclass(frozen=True)
class PlanLine:
    store: str
    store_name: str
    overdue: bool


@dataclass(frozen=True)
class Digest:
    week: Week
    scores: Period
    checklist: str
    regions: list[totals.RegionRow]
    critical: list[Critical]
    plans: list[PlanLine]  # plans not closed of the manager's stores

    @property
    def overdue(self) -> list[PlanLine]:
        return [p for p in self.plans if p.overdue]


def gather(db: Database, viewer: Viewer, of: Week) -> Digest:
    """The manager's digest of week `of`: the same figures their pages show."""
    zone, checklist = db.settings.timezone, db.settings.default_checklist
    scores = Period(of.last - timedelta(days=SCORE_DAYS - 1), of.last, zone)
    regions = totals.company(db, viewer, scores, checklist)
    stores = (
        sa.select(models.Store.id, models.Store.code, models.Store.name)
        .where(models.Store.region_id.in_(viewer.region_ids), models.Store.archived.is_(False))
        .order_by(models.Store.code)
    )
    critical = (
        sa.select(models.Audit.id, models.Store.code, models.Store.name, models.Audit.finished_at)
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .join(models.ChecklistVersion, models.ChecklistVersion.id == models.Audit.checklist_version_id)
        .where(models.Store.region_id.in_(viewer.region_ids), *totals.critical_failures_in(of.period(zone), checklist))
        .order_by(models.Audit.finished_at, models.Audit.id)
    )
    with db.session() as session:
        found = session.execute(stores).all()
        figures = plan_views.figures(session, [s for s, _, _ in found], scores, checklist, db.settings.today())
        failures = [Critical(*row) for row in session.execute(critical)]
    plans = [PlanLine(code, name, figures[i].overdue) for i, code, name in found if figures[i].state is not None]
    return Digest(of, scores, checklist, regions, failures, plans)


def _score(row: totals.RegionRow) -> str:
    if row.score is None:
        return "no audits"
    change = "" if row.change is None else f" ({row.change:+.1f})"
    return f"{row.score.score:.1f} %{change}"


def line(digest: Digest) -> str:
    """The in-app line: each region's score and change, critical failures, plans."""
    regions = ", ".join(f"{r.name} {_score(r)}" for r in digest.regions) or "no regions"
    n, p, o = len(digest.critical), len(digest.plans), len(digest.overdue)
    critical = f"{n} new critical failure{'s' if n != 1 else ''}"
    plans = f"{p} action plan{'s' if p != 1 else ''} open, {o} overdue"
    return f"Weekly digest, {digest.week.label}: {regions}; {critical}; {plans}"


def link(digest: Digest) -> str:
    return f"/regions/{digest.regions[0].code}" if len(digest.regions) == 1 else "/regions"


def text(digest: Digest, name: str, base_url: str, zone: str) -> str:
    """The mail's body."""
    here = ZoneInfo(zone)
    url = base_url or "(in the app) "
    out = [f"Hello {name}," if name else "Hello,", "", f"Your weekly digest for {digest.week.label}.", ""]
    out.append(f"Scores of the {SCORE_DAYS} days to {formats.weekday(digest.scores.last)}, "
               f"with the change against the {SCORE_DAYS} days before:")  # fmt: skip
    for r in digest.regions:
        audits = "" if r.score is None else f", {r.score.count} audit{'s' if r.score.count != 1 else ''}"
        out.append(f"  {r.code} {r.name}: {_score(r)}{audits}  {url}/regions/{r.code}")
    out += ["", "New critical failures this week:" if digest.critical else "No new critical failure this week."]
    for c in digest.critical:
        out.append(f"  {c.store} {c.store_name}, {formats.when(c.finished_at, here)}  {url}/audits/{c.audit_id}")
    o = len(digest.overdue)
    out += ["", f"Action plans: {len(digest.plans)} open, {o} overdue." if digest.plans else "No open action plan."]
    for p in digest.plans:
        out.append(f"  {p.store} {p.store_name}{' (overdue)' if p.overdue else ''}  {url}/stores/{p.store}/plan")
    out += ["", "Each region's report for those 90 days is attached as a PDF.", ""]
    return "\n".join(out)


@dataclass
class Prepared:
    told: int = 0  # managers told of the week's digest now
    already: int = 0  # managers told before: nothing new for them


def prepare(db: Database, of: Week) -> Prepared:
    """Tells every active manager not yet told of week `of`'s digest (the dedupe row, written
    before any mail); the mail follows through `delivery`."""
    result = Prepared()
    key = f"{KIND}:{of.key}"
    for viewer in managers(db):
        with db.session() as session:
            known = session.scalar(
                sa.select(models.Notification.id).where(
                    models.Notification.dedupe_key == key, models.Notification.user_id == viewer.id
                )
            )
        if known is not None:
            result.already += 1
            continue
        digest = gather(db, viewer, of)
        with db.write_session() as session:
            told = tell(session, [viewer.id], News(KIND, line(digest), link(digest), key))
        result.told += len(told)
        result.already += 1 - len(told)  # another run told them in between
    return result


def composer(
    db: Database, render: Callable[[Viewer, str, Period, str], tuple[str, bytes]]
) -> Callable[[Outgoing], EmailMessage]:
    """Makes each notification's mail; a digest's with its text and PDFs made now (`render`
    gives a region report's file name and bytes)."""
    settings = db.settings
    assert settings.smtp is not None

    def compose(notice: Outgoing) -> EmailMessage:
        out = message(settings, settings.smtp, notice)  # type: ignore[arg-type]
        if notice.kind != KIND:
            return out
        viewer = manager(db, notice.user_id)
        if viewer is None:
            raise NotMailed("no longer a manager who can sign in")
        digest = gather(db, viewer, week(notice.key.removeprefix(f"{KIND}:")))
        out.replace_header("Subject", f"Weekly digest, {digest.week.label}")
        out.set_content(text(digest, notice.name, settings.base_url, settings.timezone))
        for r in digest.regions:
            filename, pdf = render(viewer, r.code, digest.scores, digest.checklist)
            out.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
        return out

    return compose


def send(db: Database, of: Week, now: datetime | None = None) -> tuple[Prepared, Delivered]:
    """`audit digest send`: the week's digests told, then every pending digest mailed (with
    the region reports rendered on PDF workers started for the run)."""
    prepared = prepare(db, of)
    return prepared, deliver_digests(db, now)


def deliver_digests(db: Database, now: datetime | None = None, kind: str | None = KIND) -> Delivered:
    """Pending mail (of digests only, or of every kind), with a PDF pool made only if needed."""
    if db.settings.smtp is None:
        return deliver(db, now, kind)
    from audit.services import reports

    pool = None

    def render(viewer: Viewer, code: str, period: Period, checklist: str) -> tuple[str, bytes]:
        nonlocal pool
        pool = pool or reports.render_pool(db.settings)
        rendered = pool.render(reports.Order("region", viewer, code, period, checklist))
        return rendered.filename, rendered.pdf

    try:
        return deliver(db, now, kind, composer(db, render))
    finally:
        if pool is not None:
            pool.close()
