"""Shared fixtures: both databases, a container per test, an API client."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from tests.support.postgres import PostgresServer
from tradewind.bootstrap import Container, build
from tradewind.config import Settings
from tradewind.db.migrate import upgrade
from tradewind.db.tables import metadata
from tradewind.kernel.clock import ManualClock
from tradewind.web.app import create_app

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# Property tests judge behaviour, never speed: on a loaded two-core machine one example can take
# longer than Hypothesis's default 200 ms deadline, and a deadline failure there says nothing
# about the code (speed is shown by the benchmarks). Examples and shrinking stay the default.
hypothesis_settings.register_profile("tradewind", deadline=None)
hypothesis_settings.load_profile("tradewind")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if url := os.environ.get("TRADEWIND_TEST_PG_URL"):
        yield url
        return
    server = PostgresServer()
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="tradewind-sqlite-"))
    template = folder / "template.db"
    engine = build(Settings(database_url=f"sqlite:///{template}", secret_key="x")).engine
    upgrade(engine)
    engine.dispose()
    yield template
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_migrated(postgres_url: str) -> str:
    engine = build(Settings(database_url=postgres_url, secret_key="x")).engine
    upgrade(engine)
    engine.dispose()
    return postgres_url


def _truncate_all(container: Container) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with container.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "tradewind.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_migrated")
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START, frozen=True)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings a test module changes for its container (override this fixture there).

    Risk scoring is off by default here: these tests place many checkouts from few buyers to
    one address, which the risk rules rightly hold for review. tests/integration/test_risk.py
    turns it on (enforce, the product's default), and every test that runs a real server
    process (browser, sweep, crash and race tests) runs with the product's default."""
    return {"risk_mode": "off"}


@pytest.fixture
def container(
    db_url: str, clock: ManualClock, settings_overrides: dict[str, Any]
) -> Iterator[Container]:
    settings = Settings(
        database_url=db_url,
        secret_key="test-secret",
        clock="manual",
        login_max_failures=3,
        # Tests move the clock by weeks and months; tokens issued at the start must outlive it.
        api_token_ttl_days=366,
        **settings_overrides,
    )
    built = build(settings, clock=clock)
    if not settings.is_sqlite:
        _truncate_all(built)
    try:
        yield built
    finally:
        built.engine.dispose()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container, access_log=False)) as test_client:
        yield test_client


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running on the main thread
    for the rest of the session, which would break tests that call ``asyncio.run``."""
    items.sort(key=lambda item: "tests/browser/" in str(item.path).replace("\\", "/"))
