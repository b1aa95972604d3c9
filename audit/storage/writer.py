"""Group commit: many concurrent writes share one transaction and one fsync.

With `synchronous=FULL` every SQLite commit waits for the disk. One commit per
request would cap throughput at the disk's sync rate and make concurrent
requests queue for the write lock. Instead, requests hand their work to one
writer thread per process; it takes everything waiting, applies it in a single
transaction, commits (one sync) and only then resolves each request's future,
so an answer is never sent before its data is durable.
"""

from __future__ import annotations

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
        future: Future[Result] = Future()
        self._ensure_started()
        self._queue.put((job, future))
        return future

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

    def _write(self, batch: list[tuple[Job, Future[Result]]]) -> None:
        try:
            results = self._apply([job for job, _ in batch])
        except Exception as exc:  # every waiting request must hear about it
            log.exception("group write of %d job(s) failed", len(batch))
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)
