"""Shared benchmark plumbing: a throwaway database, a real server process, the load generator."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tradewind.bootstrap import Container, build
from tradewind.config import Settings
from tradewind.db.migrate import upgrade

BENCH_SECRET = "bench-secret-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def bench_database(db_url: str | None) -> Iterator[tuple[str, Container]]:
    """A migrated database: a fresh SQLite file in a temp dir unless ``db_url`` names one."""
    with tempfile.TemporaryDirectory(prefix="tradewind-bench-") as folder:
        url = db_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        container = build(Settings(database_url=url, secret_key=BENCH_SECRET))
        upgrade(container.engine)
        try:
            yield url, container
        finally:
            container.engine.dispose()


@contextmanager
def server_process(
    db_url: str,
    *,
    workers: int = 2,
    env: dict[str, str] | None = None,
    pids: list[int] | None = None,
) -> Iterator[str]:
    """A ``tradewind serve`` process on a free port until the block ends; its pid is appended
    to ``pids`` when given (to read its memory or, :func:`process_tree_cpu_s`, its CPU)."""
    port = free_port()
    environment = {
        **os.environ,
        "TRADEWIND_DATABASE_URL": db_url,
        "TRADEWIND_SECRET_KEY": BENCH_SECRET,
        "TRADEWIND_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tradewind",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    if pids is not None:
        pids.append(proc.pid)
    try:
        wait_healthy(base_url, proc)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants, from
    /proc (Linux): steadier than wall time on a machine other work is loading."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone while we looked
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(used.get(p, 0.0) for p in tree)


def wait_healthy(
    base_url: str, proc: subprocess.Popen[bytes], timeout_s: float = 180, *, path: str = "/healthz"
) -> None:
    """Until ``path`` answers 200; raises if the process exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}{path}", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{base_url}{path} did not answer 200 in {timeout_s} s")


def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load generator as its own process and return its JSON summary."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
        path = fh.name
    try:
        out = subprocess.run(
            [sys.executable, "-m", "tradewind.bench.loadgen", path],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    finally:
        Path(path).unlink(missing_ok=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result
