"""Real Chromium (Debian's package) driven by Playwright, against a real server process.

One demo server per session; every test makes its own accounts and products, so tests do not
depend on each other or on their order. The server's clock is manual: tests move it forward
through the operator API, which also runs the timers and webhooks that fall due.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from tests.browser.market import Market
from tests.support.server import ServerProcess

CHROMIUM = os.environ.get("TRADEWIND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Tests jump the clock by weeks; sessions must outlive that (the default is 7 days).
SESSION_TTL_S = 90 * 24 * 3600

expect.set_options(timeout=15_000)  # payment webhooks arrive a few seconds after the redirect


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' "
            "package (./scripts/test does this)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("demo")
    server = ServerProcess(
        f"sqlite:///{folder / 'demo.db'}",
        log_path=folder / "server.log",
        env={
            "TRADEWIND_SESSION_TTL_S": str(SESSION_TTL_S),
            # The tests move the clock by weeks; the daily payout batch would then pay the
            # sellers out, and their "available" balances, which the tests check to the cent,
            # would read 0. Payouts have their own tests (tests/integration).
            "TRADEWIND_PAYOUT_MINIMUM": "1000000000",
            # The clock moves by weeks over the session; API tokens would expire after 30 days.
            "TRADEWIND_API_TOKEN_TTL_DAYS": "366",
        },
    )
    # The demo imports the whole Chorus catalog before it answers; on a loaded two-core machine
    # that has taken over a minute.
    server.start(timeout_s=300)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def market(demo_server: ServerProcess) -> Iterator[Market]:
    with Market(demo_server.base_url) as found:
        yield found


class CspWatch:
    """Every Content-Security-Policy refusal Chromium reports in the watched contexts.

    The pages must satisfy their own policy (no inline script, nothing from elsewhere): a
    refusal means part of a page silently stopped working, so every browser test fails on one.
    """

    def __init__(self) -> None:
        self.refusals: list[str] = []

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.on("console", self._on_console)
        return context

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.refusals.append(message.text)


@pytest.fixture
def csp() -> Iterator[CspWatch]:
    watch = CspWatch()
    yield watch
    assert watch.refusals == [], watch.refusals


@pytest.fixture
def page(browser: Browser, csp: CspWatch) -> Iterator[Page]:
    context = csp.watch(browser.new_context())
    new_page = context.new_page()
    yield new_page
    context.close()


@pytest.fixture
def person(
    browser: Browser, demo_server: ServerProcess, csp: CspWatch
) -> Iterator[Callable[[str], Page]]:
    """``person(email)``: a fresh browser (own cookies) logged in as that account."""
    contexts = []

    def log_in(email: str) -> Page:
        context = csp.watch(browser.new_context(base_url=demo_server.base_url))
        contexts.append(context)
        new_page = context.new_page()
        new_page.goto("/login")
        new_page.get_by_label("Email").fill(email)
        new_page.get_by_label("Password").fill(Market.password_for(email))
        new_page.get_by_role("button", name="Log in").click()
        expect(new_page.locator("#greeting")).to_be_visible()
        return new_page

    yield log_in
    for context in contexts:
        context.close()


@pytest.fixture
def visitor(browser: Browser, demo_server: ServerProcess, csp: CspWatch) -> Iterator[Page]:
    """A browser nobody has logged in with yet."""
    context = csp.watch(browser.new_context(base_url=demo_server.base_url))
    yield context.new_page()
    context.close()
