"""Fixtures for tests that talk to a real server process over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess
from tradewind.bootstrap import Container


@pytest.fixture
def live_server(container: Container, db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """``tradewind serve`` on this test's database (``container`` prepares it first)."""
    server = ServerProcess(db_url, command="serve", log_path=tmp_path / "server.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live(live_server: ServerProcess) -> Iterator[httpx.Client]:
    """An HTTP client on :func:`live_server`."""
    with httpx.Client(base_url=live_server.base_url, timeout=60) as http:
        yield http
