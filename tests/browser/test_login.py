"""A person logs in through the real page in Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support.server import ServerProcess
from tradewind.seed import DEMO_PASSWORD


def test_buyer_logs_in_and_out(page: Page, demo_server: ServerProcess) -> None:
    page.goto(f"{demo_server.base_url}/")
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Email").fill("buyer.us@tradewind.test")  # en_US: the English page
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#greeting")).to_have_text(
        "Hello, Avery Buyer. You are signed in as a buyer."
    )
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()


def test_wrong_password_shows_an_error_and_no_session(
    page: Page, demo_server: ServerProcess
) -> None:
    page.goto(f"{demo_server.base_url}/login")
    page.get_by_label("Email").fill("buyer@tradewind.test")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_have_text("Email or password is wrong.")
    assert not any(c["name"] == "tw_session" for c in page.context.cookies())
