"""Geometry for the pages' charts: numbers only. The templates (``charts.html.j2``) draw the SVG,
so every label passes through the template engine's escaping like any other text.

All charts use a 0..100 horizontal scale in a ``viewBox`` (``preserveAspectRatio="none"`` for the
bars and histograms), colours come from CSS classes, never from inline styles (the pages'
Content-Security-Policy allows no ``style=`` attribute).
"""

from __future__ import annotations

import math
from typing import Sequence

import attrs

from benchlab.aggregate import percentile


@attrs.frozen
class Bar:
    """A pass-rate bar in percent, with its 95% interval when there is one."""

    rate: float | None  # 0..100
    low: float | None = None
    high: float | None = None


@attrs.frozen
class Histogram:
    """Latency counts in equal bins from 0 to ``top_s``; heights and marks in percent of the chart."""

    heights: list[float]  # each bin's bar height, 0..100 (the tallest bin is 100)
    counts: list[int]
    top_s: float
    p50_x: float | None  # where p50 and p95 fall on the 0..100 axis
    p95_x: float | None

    @property
    def width(self) -> float:
        return 100 / len(self.heights) if self.heights else 100


def bar(rate: float | None, low: float | None = None, high: float | None = None) -> Bar:
    """Rates given as fractions 0..1."""
    scale = (lambda v: None if v is None else round(v * 100, 2))
    return Bar(scale(rate), scale(low), scale(high))


def _nice_top(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def histogram(latencies: Sequence[float], bins: int = 24) -> Histogram | None:
    """Latencies in ``bins`` equal bins from 0 to a round number at or above the slowest."""
    if not latencies:
        return None
    top = _nice_top(max(latencies))
    counts = [0] * bins
    for value in latencies:
        counts[min(bins - 1, int(value / top * bins))] += 1
    tallest = max(counts)
    heights = [round(c / tallest * 100, 2) for c in counts]
    place = (lambda v: None if v is None else round(min(v / top, 1) * 100, 2))
    return Histogram(heights, counts, top, place(percentile(list(latencies), 0.5)), place(percentile(list(latencies), 0.95)))


@attrs.frozen
class TrendPoint:
    x: float  # 0..TREND_WIDTH across the time axis
    y: float  # 0..100, 100 at the top (SVG y grows downwards)
    label: str  # the point's tooltip: run, date, score


@attrs.frozen
class TrendLine:
    series: str  # the model's name
    colour: int  # a palette index 0..7 (CSS classes series-0..series-7)
    points: list[TrendPoint]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


# The trend chart's time axis is twice as wide as its 0..100 score axis is tall.
TREND_WIDTH = 200


def trend_lines(series: dict[str, list[tuple[float, float, str]]], start: float, end: float) -> list[TrendLine]:
    """Per series, its (time, score 0..1, label) points placed on a TREND_WIDTH x 100 plane, oldest left."""
    span = end - start or 1.0
    lines = []
    for number, (name, points) in enumerate(series.items()):
        placed = [TrendPoint(round((t - start) / span * TREND_WIDTH, 2), round(100 - score * 100, 2), label) for t, score, label in points]
        lines.append(TrendLine(name, number % 8, placed))
    return lines
