"""A real ``tradewind serve --workers 2`` that a test can SIGKILL mid-load, and restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tradewind.bench.harness import free_port, wait_healthy

T = TypeVar("T")


@contextmanager
def killable_server(db_url: str, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``tradewind serve --workers 2`` in its own process group, so SIGKILL reaches all of it."""
    port = free_port()
    env = {**os.environ, "TRADEWIND_DATABASE_URL": db_url, "TRADEWIND_SECRET_KEY": "test-secret"}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tradewind", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, proc)
        yield base_url, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


def kill(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)


def run_async(coroutine: Coroutine[None, None, T]) -> T:
    """In a thread of its own: Playwright's sync API may hold this thread's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def post_until_killed(
    base_url: str,
    requests: list[tuple[str, dict[str, Any], dict[str, str]]],
    proc: subprocess.Popen[bytes],
    *,
    kill_after_acks: int,
    in_flight: int,
) -> dict[str, str]:
    """POST ``requests`` (path, body, headers with an Idempotency-Key), ``in_flight`` at a time;
    SIGKILL the server right after the ``kill_after_acks``-th 201, with requests still in
    flight. Returns the acknowledged ones: Idempotency-Key -> id of what was created."""
    acknowledged: dict[str, str] = {}
    queue = list(requests)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:

        async def worker() -> None:
            while queue and proc.poll() is None:
                path, body, headers = queue.pop(0)
                try:
                    response = await http.post(path, json=body, headers=headers)
                except httpx.HTTPError:
                    return  # the server died under this request: not acknowledged
                if response.status_code == 201:
                    acknowledged[headers["Idempotency-Key"]] = response.json()["id"]
                    if len(acknowledged) == kill_after_acks:
                        kill(proc)

        await asyncio.gather(*(worker() for _ in range(in_flight)))
    return acknowledged
