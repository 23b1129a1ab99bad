"""Bar charts as plain geometry, drawn by the ``_charts.html`` macro as inline SVG.

No charting library: the ones that render SVG on the server (pygal, leather) put a ``<style>``
element inside the picture, which the pages' Content-Security-Policy refuses; a bar chart is
rectangles, and computing them here keeps every figure the one the page prints beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 600
HEIGHT = 160
AXIS = 18  # room under the bars for the day labels
MARK_ROOM = 16  # room above the highest mark for its name


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the day, as the page writes it
    text: str  # the value, as the page writes it


@dataclass(frozen=True)
class Mark:
    """A level drawn across the bars (a threshold), at height ``y``, named by ``text``."""

    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    peak_text: str  # the largest value, written at the top of the scale
    marks: tuple[Mark, ...] = ()
    width: int = WIDTH
    height: int = HEIGHT
    axis: int = AXIS

    @property
    def baseline(self) -> int:
        return self.height - self.axis

    @property
    def empty(self) -> bool:
        """Nothing to draw: every value is zero (the page says so in words instead)."""
        return all(bar.height == 0 for bar in self.bars)


def bar_chart(
    title: str,
    points: Sequence[tuple[str, int]],
    write: Callable[[int], str],
    marks: Sequence[tuple[str, int]] = (),
) -> BarChart:
    """One bar per ``(label, value)``, scaled so the largest value or mark reaches the top;
    values below zero count as zero (the charts show counts, sums and rates, never debts).
    Each mark ``(text, value)`` is a level across the chart (a threshold that applies)."""
    peak = max([value for _, value in points] + [value for _, value in marks] + [0])
    slot = WIDTH / max(len(points), 1)
    gap = min(4.0, slot / 5)
    room = HEIGHT - AXIS - (MARK_ROOM if marks else 4)  # a mark's name sits above its line
    bars = []
    for index, (label, value) in enumerate(points):
        tall = room * max(value, 0) / peak if peak > 0 else 0.0
        bars.append(
            Bar(
                x=round(index * slot + gap / 2, 2),
                y=round(HEIGHT - AXIS - tall, 2),
                width=round(slot - gap, 2),
                height=round(tall, 2),
                label=label,
                text=write(value),
            )
        )
    lines = tuple(
        Mark(round(HEIGHT - AXIS - (room * value / peak if peak > 0 else 0.0), 2), text)
        for text, value in marks
    )
    return BarChart(title, tuple(bars), write(peak), lines)
