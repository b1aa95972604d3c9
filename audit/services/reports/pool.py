"""Report worker processes with a time limit and a memory cap.

A report's HTML is made by a builder (`reports.builders`); what it may show besides its own
text travels with it as `resources` (photos, the logo). Both that and WeasyPrint
run in worker processes, so a big or pathological report can neither stall the
server's event loop (nor hold its GIL) nor eat its memory: each worker has an
address-space limit (RLIMIT_AS) and is killed when a report outlives the time limit.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from audit.errors import AppError
from audit.services.reports.job import Rendered, ReportFailed
from audit.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

STARTUP_SECONDS = 60.0


# The worker's loop, by name: the pool never imports WeasyPrint (nor, through the builder,
# the reports), so this module imports nothing of the reports and there is no cycle.
WORKER = "audit.services.reports.pdf:serve"


def load(name: str) -> Any:
    """`module:attribute` -> the attribute (modules the fork server preloaded cost nothing)."""
    module, attribute = name.split(":")
    return getattr(importlib.import_module(module), attribute)


def _serve(conn: Connection, settings: Settings, memory_bytes: int, builder: str) -> None:
    load(WORKER)(conn, settings, memory_bytes, load(builder))


def _context(builder: str) -> multiprocessing.context.BaseContext:
    """Forkserver: workers fork from a clean process with WeasyPrint and the builder loaded,
    so they start fast and never inherit the web server's threads, sockets or database
    connections."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([WORKER.split(":")[0], builder.split(":")[0]])
    return context


class _Stuck(Exception):
    """The worker outlived the time limit or died: it must be replaced."""


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self, settings: Settings, builder: str) -> None:
        context = _context(builder)
        self.conn, child = context.Pipe()
        memory = settings.report_memory_mb * 1024 * 1024
        self.process = context.Process(target=_serve, args=(child, settings, memory, builder), daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def run(self, work: Any, timeout: float) -> Rendered:
        if not self.ready:
            self._answer(STARTUP_SECONDS)
            self.ready = True
        self.conn.send(work)
        return self._answer(timeout)

    def _answer(self, timeout: float) -> Any:
        try:
            if not self.conn.poll(timeout):
                raise _Stuck(f"The report took longer than the {timeout:g} seconds allowed, so it was stopped.")
            status, value = self.conn.recv()
        except (EOFError, OSError):
            raise _Stuck("The report stopped before it was finished (most likely it needed too much memory).") from None
        if status == "refused":  # an AppError of the report's own (NotFound...): the caller's to answer
            raise value
        if status == "error":
            raise ReportFailed(f"The report could not be made: {value}.")
        return value

    def stop(self, kill: bool = False) -> None:
        if not kill:
            try:
                self.conn.send(None)
                self.process.join(5)
            except OSError:
                pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()
        self.process.close()


class RenderPool:
    """A few long-lived worker processes, started when first needed.

    A worker is sent an order (which report, for whom), which `builder` (a
    `module:function` name, taking the database and the order) turns into a report, or
    a ready `Job`; it reads the database, fills the template and runs WeasyPrint, so the
    server process only waits. `render` blocks the calling thread (call it from a
    thread pool, never on the event loop). A worker past the time limit, or dead, is
    killed and replaced; an error in one report leaves the worker serving the next.
    """

    def __init__(self, settings: Settings, builder: str) -> None:
        self.settings = settings
        self.builder = builder
        self.size = settings.report_workers
        self.timeout = settings.report_timeout_seconds
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = 0
        self._lock = threading.Lock()
        self._closed = False

    def render(self, work: Any) -> Rendered:
        worker = self._take()
        try:
            rendered = worker.run(work, self.timeout)
        except _Stuck as exc:
            log.warning("report stopped: %s", exc)
            self._replace(worker)
            raise ReportFailed(str(exc)) from None
        except BaseException:
            self._give_back(worker)
            raise
        self._give_back(worker)
        return rendered

    def render_many(self, orders: Iterable[tuple[T, Any]]) -> Iterator[tuple[T, bytes | ReportFailed]]:
        """Renders in order with every worker busy and at most twice as many orders in
        flight as there are workers: memory stays bounded however many reports there are."""
        pending: deque[tuple[T, Future[Rendered]]] = deque()
        with ThreadPoolExecutor(self.size) as threads:
            for key, work in orders:
                pending.append((key, threads.submit(self.render, work)))
                if len(pending) >= 2 * self.size:
                    yield _result(pending.popleft())
            while pending:
                yield _result(pending.popleft())

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise ReportFailed("The report service is shutting down; please try again.")
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                if self._started < self.size:
                    self._started += 1
                    return _Worker(self.settings, self.builder)
        return self._idle.get()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed:
                self._idle.put(worker)
                return
        worker.stop()

    def _replace(self, worker: _Worker) -> None:
        worker.stop(kill=True)
        with self._lock:
            if not self._closed:
                self._idle.put(_Worker(self.settings, self.builder))

    def close(self) -> None:
        """Stops every idle worker; one still rendering stops when it is given back."""
        with self._lock:
            self._closed = True
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                return


def _result(entry: tuple[T, Future[Rendered]]) -> tuple[T, bytes | ReportFailed]:
    """A report's PDF, or why it failed (its data gone, or the render failed): one bad
    report must not stop a batch."""
    key, future = entry
    try:
        return key, future.result().pdf
    except ReportFailed as exc:
        return key, exc
    except AppError as exc:
        return key, ReportFailed(exc.message)
