"""Group commit: many concurrent writes share one transaction and one fsync.

With `synchronous=FULL` every SQLite commit waits for the disk. One commit per
request would cap throughput at the disk's sync rate and make concurrent
requests queue for the write lock. Instead, requests hand their work to one
writer thread per process; it takes everything waiting, applies it in a single
transaction, commits (one sync) and only then resolves each request's future,
so an answer is never sent before its data is durable. Requests waiting on an
event loop are woken together: one call into the loop per batch, not one per
request (each is a write to the loop's wake-up pipe and a pass of the loop).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")

log = logging.getLogger(__name__)
_STOP = object()


class GroupWriter(Generic[Job, Result]):
    """Runs `apply(jobs) -> results` (one result per job, in order) on a single thread."""

    def __init__(self, apply: Callable[[Sequence[Job]], list[Result]], max_batch: int = 64) -> None:
        self._apply = apply
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Job) -> Future[Result]:
        """For callers that may block: wait on the returned future."""
        future: Future[Result] = Future()
        self._ensure_started()
        self._queue.put((job, future))
        return future

    async def run(self, job: Job) -> Result:
        """For callers on an event loop: the result once `apply` has committed it."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._ensure_started()
        self._queue.put((job, future))
        return await future

    def close(self) -> None:
        with self._lock:
            if self._thread is None:
                return
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
            self._thread = None

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit-group-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[tuple[Job, Future[Result] | asyncio.Future[Result]]]) -> None:
        try:
            results = self._apply([job for job, _ in batch])
        except Exception as exc:  # every waiting request must hear about it
            log.exception("group write of %d job(s) failed", len(batch))
            self._settle([(future, None, exc) for _, future in batch])
            return
        self._settle([(future, result, None) for (_, future), result in zip(batch, results, strict=True)])

    @staticmethod
    def _settle(outcomes: list[tuple[Any, Any, Exception | None]]) -> None:
        on_loops: dict[asyncio.AbstractEventLoop, list[tuple[Any, Any, Exception | None]]] = {}
        for outcome in outcomes:
            future = outcome[0]
            if isinstance(future, asyncio.Future):
                on_loops.setdefault(future.get_loop(), []).append(outcome)
            else:
                _set(outcome)
        for loop, waiting in on_loops.items():
            try:
                loop.call_soon_threadsafe(_set_all, waiting)
            except RuntimeError:  # that loop has closed: nobody is waiting any more
                log.warning("event loop closed before %d result(s) could be delivered", len(waiting))


def _set_all(outcomes: list[tuple[Any, Any, Exception | None]]) -> None:
    for outcome in outcomes:
        _set(outcome)


def _set(outcome: tuple[Any, Any, Exception | None]) -> None:
    future, result, error = outcome
    if future.cancelled():
        return  # the caller gave up waiting (a client that went away); the write stands
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
