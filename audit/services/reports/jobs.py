"""Reports and ZIPs made in the background: asked for on a page, made on the PDF workers,
kept for `AUDIT_REPORT_KEEP_HOURS` under the asker's "My downloads".

The queue is huey's (a maintained task queue with a SQLite and a PostgreSQL storage; see
docs/architecture.md for why that one): it carries a job's id from the process that was
asked to whichever server process (on PostgreSQL: whichever machine) takes it first. Huey
takes a message off its queue when it starts it, so a job cut short by a crash would be
lost with its message: the job's row in `report_jobs` is its truth instead. A runner
claims the row (an UPDATE that only one can win), beats a heartbeat into it while it works,
and every server process sweeps now and then: a running job whose runner stopped beating
(or, on this machine, whose process is gone) is queued again and starts over, and a
queued job whose message went missing is sent again (a second message is harmless: only
one runner can claim the row). The finished file is stored in the database in chunks,
so any machine serves it, and deleted when it expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from huey import PostgresHuey, SqliteHuey
from huey.api import Huey
from sqlalchemy.engine import make_url

from audit.domain.periods import Period
from audit.errors import AppError, NotFound
from audit.services import scoped
from audit.services.access import Viewer
from audit.services.reports.builders import Order, batch, zip_chunks
from audit.services.reports.pool import RenderPool
from audit.settings import Settings
from audit.storage import models
from audit.storage.db import Database
from audit.storage.models import Role

log = logging.getLogger(__name__)

KINDS = ("zip", "region", "company")
QUEUE = "reports"
HEARTBEAT_SECONDS = 1.0  # a running job's heartbeat, which writes its progress too
STALE_SECONDS = 20.0  # a running job not heard from for this long has lost its runner
SWEEP_SECONDS = 3.0  # how often each server process looks for such jobs
RESEND_SECONDS = 120.0  # a queued job not started for this long is sent again
CHUNK_BYTES = 1024 * 1024
MAX_ATTEMPTS = 3  # a job that stopped its runner this often is given up
RUNNERS = 2  # jobs at once per server process; they share its PDF workers


# PDFs done so far per running job, from the render loop to the heartbeat (the loop itself
# never waits for the database: the workers would idle while it did).
job_progress: dict[str, int] = {}


class Interrupted(Exception):
    """The runner is stopping, or the job was taken over by another one."""


@dataclass(frozen=True)
class Status:
    """A job as its page and its JSON show it."""

    id: str
    kind: str
    title: str
    state: str  # queued, running, done, failed
    done: int
    total: int
    size: int
    filename: str
    message: str
    attempt: int
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def progress_text(self) -> str:
        if self.state == "queued":
            return "Waiting for a free worker…" if self.attempt == 0 else "Waiting to start again after a restart…"
        if self.state == "running":
            again = " (started again after a restart)" if self.attempt > 1 else ""
            if self.kind == "zip":
                count = f"{self.total} audit{'s' if self.total != 1 else ''}"
                return f"Preparing {count}… {self.percent} %{again}"
            return f"Making the report…{again}"
        if self.state == "done":
            return "Ready"
        return f"Could not be made: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "text": self.progress_text,
            "size": self.size,
            "filename": self.filename,
            "file": f"/downloads/{self.id}/file" if self.state == "done" else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


# Asking ---------------------------------------------------------------------------------------


def _span(period: Period) -> str:
    first, last = period.first, period.last
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def submit(
    db: Database, queue: JobQueue | None, viewer: Viewer, kind: str, code: str, period: Period, checklist: str,
    scope: str = "region",
) -> str:  # fmt: skip
    """A new job (or the same one already waiting or running for this person): its id.
    NotFound when the viewer may not see what they ask for, as the direct download would."""
    if kind not in KINDS:
        raise NotFound("There is no such report.")
    code = code.upper()
    total = 1
    if kind == "zip":
        if scope not in ("region", "store"):
            raise NotFound("There is no such report.")
        found = batch(db, viewer, scope, code, period)
        total = len(found.entries)
        with db.session() as session:
            name = (
                scoped.region(session, viewer, code).name
                if scope == "region"
                else scoped.store(session, viewer, code)[0].name
            )
        title = f"All audit PDFs of {name} ({code}), {_span(period)}"
        filename = found.filename
    elif kind == "region":
        scope = "region"
        with db.session() as session:
            name = scoped.region(session, viewer, code).name
        title = f"Region report of {name} ({code}), {_span(period)}"
        filename = ""
    else:
        scope, code = "", ""
        if viewer.role not in (Role.OWNER, Role.MANAGER):
            raise NotFound("There is no such report.")
        title = f"Company report{'' if viewer.is_owner else ' (your regions)'}, {_span(period)}"
        filename = ""
    now = models.now()
    same = (
        sa.select(models.ReportJob.id)
        .where(
            models.ReportJob.user_id == viewer.id,
            models.ReportJob.kind == kind,
            models.ReportJob.scope == scope,
            models.ReportJob.code == code,
            models.ReportJob.first_day == period.first,
            models.ReportJob.last_day == period.last,
            models.ReportJob.checklist == checklist,
            models.ReportJob.state.in_(("queued", "running")),
        )
        .limit(1)
    )
    with db.write_session() as session:
        existing = session.scalar(same)
        if existing is not None:
            return existing
        job = models.ReportJob(
            id=str(uuid.uuid4()),
            user_id=viewer.id,
            kind=kind,
            scope=scope,
            code=code,
            first_day=period.first,
            last_day=period.last,
            preset=period.preset,
            checklist=checklist,
            title=title[:300],
            filename=filename,
            total=total,
            created_at=now,
            heartbeat_at=now,
        )
        session.add(job)
    if queue is not None:
        queue.send(job.id)
    return job.id


_STATUS_COLUMNS = (
    models.ReportJob.id,
    models.ReportJob.kind,
    models.ReportJob.title,
    models.ReportJob.state,
    models.ReportJob.done,
    models.ReportJob.total,
    models.ReportJob.size,
    models.ReportJob.filename,
    models.ReportJob.message,
    models.ReportJob.attempt,
    models.ReportJob.created_at,
    models.ReportJob.finished_at,
    models.ReportJob.expires_at,
)


def _live(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(models.ReportJob.expires_at.is_(None), models.ReportJob.expires_at > now)


def start(
    db: Database, queue: JobQueue | None, viewer: Viewer, kind: str, code: str, period: Period, checklist: str,
    scope: str = "region",
) -> Status:  # fmt: skip
    """`submit`, answered with the job's status (for the page or the JSON that follows it)."""
    return status(db, viewer, submit(db, queue, viewer, kind, code, period, checklist, scope))


def status(db: Database, viewer: Viewer, job_id: str) -> Status:
    """One of the viewer's own jobs; anyone else's, or an expired one, is NotFound."""
    query = sa.select(*_STATUS_COLUMNS).where(
        models.ReportJob.id == job_id[:36], models.ReportJob.user_id == viewer.id, _live(models.now())
    )
    with db.session() as session:
        row = session.execute(query).first()
    if row is None:
        raise NotFound("There is no such download (files are kept for a while, then deleted).")
    return Status(*row)


def mine(db: Database, viewer: Viewer) -> list[Status]:
    """The viewer's jobs, newest first; expired ones are gone."""
    query = (
        sa.select(*_STATUS_COLUMNS)
        .where(models.ReportJob.user_id == viewer.id, _live(models.now()))
        .order_by(models.ReportJob.created_at.desc())
        .limit(200)
    )
    with db.session() as session:
        return [Status(*row) for row in session.execute(query).all()]


@dataclass(frozen=True)
class File:
    filename: str
    size: int
    media_type: str
    chunks: Iterator[bytes]


def open_file(db: Database, viewer: Viewer, job_id: str) -> File:
    """A finished job's file, read chunk by chunk (memory holds one chunk)."""
    found = status(db, viewer, job_id)
    if found.state != "done":
        raise NotFound("This download is not ready.")
    with db.session() as session:
        attempt = session.scalar(sa.select(models.ReportJob.attempt).where(models.ReportJob.id == found.id))
        seqs = session.scalars(
            sa.select(models.ReportJobChunk.seq)
            .where(models.ReportJobChunk.job_id == found.id, models.ReportJobChunk.attempt == attempt)
            .order_by(models.ReportJobChunk.seq)
        ).all()

    def chunks() -> Iterator[bytes]:
        for seq in seqs:
            with db.session() as session:
                yield (
                    session.scalar(
                        sa.select(models.ReportJobChunk.data).where(
                            models.ReportJobChunk.job_id == found.id,
                            models.ReportJobChunk.attempt == attempt,
                            models.ReportJobChunk.seq == seq,
                        )
                    )
                    or b""
                )

    media = "application/zip" if found.filename.endswith(".zip") else "application/pdf"
    return File(found.filename, found.size, media, chunks())


# Running -------------------------------------------------------------------------------------


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _gone(worker: str) -> bool:
    """Whether `worker` (host:pid:token) was a process of this machine that no longer runs."""
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def viewer_now(db: Database, user_id: int) -> Viewer | None:
    """The job's owner as they are now (a manager's regions may have changed); None if disabled."""
    with db.session() as session:
        user = session.get(models.User, user_id)
        if user is None or user.disabled:
            return None
        regions = frozenset(
            session.scalars(sa.select(models.UserRegion.region_id).where(models.UserRegion.user_id == user_id)).all()
        )
    return Viewer(user_id, user.email, user.name, user.role, regions if user.role == Role.MANAGER else frozenset())


def session_has_queued(db: Database) -> bool:
    with db.session() as session:
        found = session.scalar(sa.select(models.ReportJob.id).where(models.ReportJob.state == "queued").limit(1))
    return found is not None


def _huey(settings: Settings) -> Huey:
    if settings.is_sqlite:
        path = Path(settings.sqlite_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        queue_file = path.with_name(f"{path.stem}-queue.db")
        return SqliteHuey(QUEUE, filename=str(queue_file), results=False, timeout=30)
    # Polled like SQLite's (at most a second's wait) rather than woken by LISTEN, which would hold
    # a connection per runner thread for the life of the process.
    conninfo = make_url(settings.url).set(drivername="postgresql").render_as_string(hide_password=False)
    return PostgresHuey(
        QUEUE, dsn=conninfo, table_prefix="report_queue", create_tables=False, results=False, blocking=False
    )


class JobQueue:
    """The report jobs of one server process: sends jobs, and runs `RUNNERS` of them at a
    time on the process's PDF workers (`pool`, asked for only when a job starts)."""

    def __init__(self, db: Database, pool: Callable[[], RenderPool], runners: int = RUNNERS) -> None:
        self.db = db
        self.settings = db.settings
        self.pool = pool
        self.runners = runners
        self.me = _this_process()
        self.huey = _huey(self.settings)
        self._task = self.huey.task(name="report_job")(self._run)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sweep_thread: threading.Thread | None = None

    # the queue

    def send(self, job_id: str) -> None:
        self._task(job_id)
        self._start_runners()

    def start(self) -> None:
        """The sweeper, as a daemon thread; it starts the runners once there is a job to run
        (most server processes never make a report, and so never hold the queue's connections)."""
        with self._lock:
            if self._sweep_thread is None and not self._stop.is_set():
                self._sweep_thread = threading.Thread(target=self._sweeper, name="report-job-sweep", daemon=True)
                self._sweep_thread.start()

    def _start_runners(self) -> None:
        with self._lock:
            if self._threads or self._stop.is_set():
                return
            for n in range(self.runners):
                thread = threading.Thread(target=self._runner, name=f"report-job-{n}", daemon=True)
                self._threads.append(thread)
                thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops taking jobs; a running one is queued again for another process (or the next start)."""
        self._stop.set()
        with self._lock:
            threads = [*self._threads, *([self._sweep_thread] if self._sweep_thread else [])]
        deadline = time.monotonic() + timeout
        for thread in threads:  # a runner mid-render stops once its PDFs in flight are done
            thread.join(max(0.0, deadline - time.monotonic()))
        try:
            self.huey.storage.close()
        except Exception:  # the queue's connection may be gone already
            log.debug("closing the job queue failed", exc_info=True)

    def _runner(self) -> None:
        delay = 0.1
        while not self._stop.is_set():
            try:
                task = self.huey.dequeue()
            except Exception:
                log.exception("report jobs: the queue could not be read")
                self._stop.wait(2)
                continue
            if task is None:
                if not getattr(self.huey.storage, "blocking", False):
                    self._stop.wait(delay)
                    delay = min(1.0, delay * 1.5)
                continue
            delay = 0.1
            try:
                self.huey.execute(task)
            except Exception:  # the job's own errors are caught in _run; this is the queue's
                log.exception("report jobs: a job could not be run")

    def _sweeper(self) -> None:
        while True:
            try:
                self.sweep()
            except Exception:
                log.exception("report jobs: the sweep failed")
            if self._stop.wait(SWEEP_SECONDS):
                return

    def sweep(self) -> None:
        """Queues again the jobs whose runner is gone and sends again those whose message
        was lost; deletes expired files."""
        now = models.now()
        J = models.ReportJob
        with self.db.session() as session:
            running = session.execute(
                sa.select(J.id, J.worker, J.heartbeat_at, J.attempt).where(J.state == "running")
            ).all()
            waiting = session.execute(
                sa.select(J.id, J.heartbeat_at).where(
                    J.state == "queued", J.heartbeat_at < now - timedelta(seconds=RESEND_SECONDS)
                )
            ).all()
            expired = session.scalars(sa.select(J.id).where(J.expires_at.is_not(None), J.expires_at < now)).all()
        if waiting or session_has_queued(self.db):
            self._start_runners()
        for job_id, worker, beat, attempt in running:
            if worker == self.me or not (beat < now - timedelta(seconds=STALE_SECONDS) or _gone(worker)):
                continue
            given_up = attempt >= MAX_ATTEMPTS
            values: dict[str, Any] = {"worker": "", "heartbeat_at": now}
            if given_up:
                values |= {"state": "failed", "message": "it stopped the server several times", "finished_at": now}
                values["expires_at"] = now + timedelta(hours=self.settings.report_keep_hours)
            else:
                values["state"] = "queued"
            with self.db.write_transaction() as conn:
                won = conn.execute(
                    sa.update(J)
                    .where(J.id == job_id, J.state == "running", J.attempt == attempt, J.worker == worker)
                    .values(**values)
                ).rowcount
            if won and not given_up:
                log.info("report job %s: its runner stopped; queued again", job_id)
                self.send(job_id)
        for job_id, beat in waiting:
            with self.db.write_transaction() as conn:
                won = conn.execute(
                    sa.update(J)
                    .where(J.id == job_id, J.state == "queued", J.heartbeat_at == beat)
                    .values(heartbeat_at=now)
                ).rowcount
            if won:
                self.send(job_id)
        for job_id in expired:
            with self.db.write_transaction() as conn:
                conn.execute(sa.delete(models.ReportJobChunk).where(models.ReportJobChunk.job_id == job_id))
                conn.execute(sa.delete(J).where(J.id == job_id))

    # one job

    def _claim(self, job_id: str) -> models.ReportJob | None:
        J = models.ReportJob
        now = models.now()
        with self.db.write_session() as session:
            won = session.execute(
                sa.update(J)
                .where(J.id == job_id, J.state == "queued")
                .values(
                    state="running", worker=self.me, attempt=J.attempt + 1, done=0, started_at=now, heartbeat_at=now
                )
            ).rowcount
            return session.get(J, job_id) if won else None

    def _run(self, job_id: str) -> None:
        job = self._claim(job_id)
        if job is None:
            return  # another runner has it, or it is finished (a message sent twice)
        lost = threading.Event()
        beating = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job, lost, beating), daemon=True)
        beat.start()
        try:
            self._make(job, lost)
        except Interrupted:
            if not lost.is_set():
                self._requeue(job)
        except AppError as exc:
            self._fail(job, exc.message)
        except Exception as exc:
            log.exception("report job %s failed", job.id)
            self._fail(job, f"{type(exc).__name__}")
        finally:
            beating.set()
            beat.join()
            job_progress.pop(job.id, None)

    def _mine(self, job: models.ReportJob) -> sa.ColumnElement[bool]:
        J = models.ReportJob
        return sa.and_(J.id == job.id, J.state == "running", J.attempt == job.attempt, J.worker == self.me)

    def _beat(self, job: models.ReportJob, lost: threading.Event, beating: threading.Event) -> None:
        while not beating.wait(HEARTBEAT_SECONDS):
            values: dict[str, Any] = {"heartbeat_at": models.now()}
            if job.id in job_progress:
                values["done"] = job_progress[job.id]
            try:
                with self.db.write_transaction() as conn:
                    held = conn.execute(sa.update(models.ReportJob).where(self._mine(job)).values(**values)).rowcount
            except Exception:
                log.warning("report job %s: heartbeat failed", job.id, exc_info=True)
                continue
            if not held:
                lost.set()
                return

    def _update(self, job: models.ReportJob, **values: Any) -> bool:
        with self.db.write_transaction() as conn:
            return bool(conn.execute(sa.update(models.ReportJob).where(self._mine(job)).values(**values)).rowcount)

    def _make(self, job: models.ReportJob, lost: threading.Event) -> None:
        viewer = viewer_now(self.db, job.user_id)
        if viewer is None:
            raise NotFound("its owner may no longer sign in")
        period = Period(job.first_day, job.last_day, self.settings.timezone, job.preset)
        with self.db.write_transaction() as conn:  # what an earlier attempt left
            conn.execute(
                sa.delete(models.ReportJobChunk).where(
                    models.ReportJobChunk.job_id == job.id, models.ReportJobChunk.attempt != job.attempt
                )
            )
        store = _ChunkStore(self.db, job)

        def check() -> None:
            if self._stop.is_set() or lost.is_set():
                raise Interrupted()

        if job.kind == "zip":
            found = batch(self.db, viewer, job.scope, job.code, period)
            total = len(found.entries)
            self._update(job, total=total, filename=found.filename)

            def progress(done: int, total: int) -> None:
                job_progress[job.id] = done  # written by the heartbeat: no database write between PDFs

            for chunk in zip_chunks(self.pool(), found, progress):
                check()
                store.write(chunk)
            filename = found.filename
        else:
            kind = "region" if job.kind == "region" else "company"
            order = Order(kind, viewer, job.code, period, job.checklist)  # type: ignore[arg-type]
            rendered = self.pool().render(order)
            check()
            store.write(rendered.pdf)
            filename = rendered.filename
        store.close()
        check()
        now = models.now()
        finished = self._update(
            job,
            state="done",
            filename=filename,
            size=store.size,
            done=models.ReportJob.total,
            finished_at=now,
            expires_at=now + timedelta(hours=self.settings.report_keep_hours),
            message="",
        )
        if not finished:
            raise Interrupted()

    def _requeue(self, job: models.ReportJob) -> None:
        if self._update(job, state="queued", worker="", heartbeat_at=models.now()):
            try:
                self.send(job.id)
            except Exception:  # the sweep of another process (or of the next start) sends it
                log.warning("report job %s: could not be sent again", job.id, exc_info=True)

    def _fail(self, job: models.ReportJob, message: str) -> None:
        now = models.now()
        keep = now + timedelta(hours=self.settings.report_keep_hours)
        self._update(job, state="failed", message=message[:1000], finished_at=now, expires_at=keep)


class _ChunkStore:
    """Writes a job's file to the database in chunks of about CHUNK_BYTES."""

    def __init__(self, db: Database, job: models.ReportJob) -> None:
        self.db = db
        self.job = job
        self.buffer: list[bytes] = []
        self.buffered = 0
        self.seq = 0
        self.size = 0

    def write(self, data: bytes) -> None:
        if data:
            self.buffer.append(data)
            self.buffered += len(data)
            self.size += len(data)
        if self.buffered >= CHUNK_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        data = b"".join(self.buffer)
        self.buffer, self.buffered = [], 0
        with self.db.write_session() as session:
            session.add(models.ReportJobChunk(job_id=self.job.id, attempt=self.job.attempt, seq=self.seq, data=data))
        self.seq += 1

    def close(self) -> None:
        self._flush()
