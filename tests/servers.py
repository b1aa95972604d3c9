"""A real `audit serve` process on a free loopback port, for the server and browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2

from audit.settings import ROOT, Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "AUDIT_SQLITE_PATH": str(settings.sqlite_path)}
    env.pop("DATABASE_URL", None)
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    return env


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    """Returns once /healthz answers; fails if the process exits or 30 s pass."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        assert process.poll() is None, "server exited"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)


@contextmanager
def serving(settings: Settings, workers: int = 1) -> Iterator[tuple[str, subprocess.Popen]]:
    """(base URL, process) once /healthz answers; the process group is ended on exit."""
    port = free_port()
    command = [sys.executable, "-m", "audit.cli", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=server_env(settings), cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
