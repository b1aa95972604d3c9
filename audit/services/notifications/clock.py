"""`audit clock`: the one process that does things on time (the Procfile's `clock` line).

Every `TICK` it tells the regions of plans that have become overdue and mails what is
pending (notifications and digests); from Monday `DIGEST_HOUR` in the company's zone, all
that day, it prepares last week's digests. Each step is idempotent (claimed rows, a key per
event and person), so a tick cut short is simply done again by the next, and a second
clock started by mistake sends nothing twice. Web processes never schedule: however many
workers serve pages, only this process does.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from audit.services.notifications import digest, overdue
from audit.services.notifications.delivery import Delivered
from audit.storage import models
from audit.storage.db import Database

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0
DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 7  # from 07:00 in AUDIT_TIMEZONE


@dataclass(frozen=True)
class Tick:
    late: int  # plans newly overdue
    digests: digest.Prepared | None
    mail: Delivered


def digest_due(local: datetime) -> bool:
    """Monday from DIGEST_HOUR on, in the company's zone."""
    return local.weekday() == DIGEST_WEEKDAY and local.hour >= DIGEST_HOUR


def tick(db: Database, now: datetime | None = None) -> Tick:
    """One round: overdue plans, the Monday digests, then the mail of all that is pending."""
    now = now or models.now()
    local = now.astimezone(ZoneInfo(db.settings.timezone))
    late = overdue.tell(db, local.date())
    prepared = digest.prepare(db, digest.last_week(local.date())) if digest_due(local) else None
    mail = digest.deliver_digests(db, now, kind=None)
    return Tick(late, prepared, mail)


def run(db: Database, stop: threading.Event, seconds: float = TICK_SECONDS) -> None:
    """Ticks until `stop` is set; a failed tick is logged and the next one tries again."""
    while not stop.is_set():
        try:
            done = tick(db)
        except Exception:
            log.exception("clock: the tick failed; trying again in %.0f s", seconds)
        else:
            if done.late or (done.digests and done.digests.told) or done.mail.sent or done.mail.retrying:
                log.info(
                    "clock: %d plan(s) newly overdue, %d digest(s), mail: %d sent, %d to retry, %d failed",
                    done.late, done.digests.told if done.digests else 0, done.mail.sent, done.mail.retrying,
                    done.mail.failed,
                )  # fmt: skip
        stop.wait(seconds)
