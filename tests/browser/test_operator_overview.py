"""The operator overview in Chromium: figures and charts, readable at phone and desk widths."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect


def test_the_overview_shows_figures_and_charts_at_both_widths(
    person: Callable[[str], Page],
) -> None:
    operator = person("operator@tradewind.test")
    operator.get_by_role("link", name="Overview").click()
    expect(operator.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(operator.locator("#conversion")).to_have_text(
        re.compile(r"^(no checkouts yet|\d+\.\d% \([\d,]+ of [\d,]+ checkouts\))$")
    )
    expect(operator.locator("#late-to-ship")).to_have_text(re.compile(r"^[\d,]+$"))
    # One chart per buyer currency sold in, and the orders chart; each bar says its figure.
    orders_chart = operator.locator("figure.chart").last
    expect(orders_chart.locator("figcaption")).to_have_text("Seller orders paid per day")
    if orders_chart.locator("svg").count():
        assert orders_chart.locator("rect.chart-bar").count() == 14
    else:
        expect(orders_chart).to_contain_text("None in these days.")
    orders_chart.get_by_text("The figures").click()
    expect(orders_chart.locator("tbody tr")).to_have_count(14)
    shots = os.environ.get("TRADEWIND_SCREENSHOTS")
    for width in (1366, 390):
        operator.set_viewport_size({"width": width, "height": 900})
        sideways = operator.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert sideways <= 0, f"{width} px: the page scrolls {sideways} px sideways"
        if shots:
            operator.screenshot(path=str(Path(shots) / f"ops-overview-{width}.png"), full_page=True)
