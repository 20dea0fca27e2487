"""Bar charts drawn on the server as inline SVG geometry: no JavaScript, a few hundred bytes."""

from __future__ import annotations

from typing import NamedTuple


class Bar(NamedTuple):
    """One bar: its label, value and rectangle in the SVG's user units."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def horizontal(
    items: list[tuple[str, int]], width: int = 320, row: int = 34, bar: int = 14
) -> tuple[list[Bar], int]:
    """Bars from the left edge, one row each (the label above the bar); and the SVG height.

    The longest bar leaves room on its right for the count as the viewer reads it, grouped
    (up to ten characters at 12 px: "11,437,500").
    """
    top = max((value for _, value in items), default=0) or 1
    usable = width - 72
    bars = [
        Bar(name, value, 0, i * row + row - bar - 2, round(usable * value / top, 1), bar)
        for i, (name, value) in enumerate(items)
    ]
    return bars, max(len(items), 1) * row


def histogram(counts: list[int], width: int = 320, height: int = 140, axis: int = 20) -> list[Bar]:
    """Vertical bars side by side over [0, 1], labelled with their lower bound in percent."""
    n = len(counts) or 1
    top = max(counts, default=0) or 1
    slot = width / n
    plot = height - axis - 14  # room for the counts above the bars
    bars = []
    for i, value in enumerate(counts):
        tall = round(plot * value / top, 1)
        bars.append(
            Bar(
                f"{round(100 * i / n)}",
                value,
                round(i * slot + 2, 1),
                round(height - axis - tall, 1),
                round(slot - 4, 1),
                tall,
            )
        )
    return bars


class Column(NamedTuple):
    """One column of a curve drawn as columns: its label, value, rectangle, and whether it
    is the one chosen (drawn darker)."""

    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    chosen: bool


def columns(
    points: list[tuple[str, float | None]],
    chosen: str | None = None,
    marks: dict[str, float | None] | None = None,
    width: int = 320,
    height: int = 140,
    axis: int = 20,
) -> tuple[list[Column], dict[str, float]]:
    """Columns for values in [0, top] side by side (a value under 0 or missing draws none),
    and the height (y) of each horizontal mark, e.g. a threshold. ``top`` is the largest
    value or mark, at least 0.5, so a curve of small values looks small."""
    marks = {k: v for k, v in (marks or {}).items() if v is not None}
    top = max([0.5, *(v for _, v in points if v is not None), *marks.values()])
    n = len(points) or 1
    slot = width / n
    plot = height - axis - 14  # room for the values above the columns

    def y_of(value: float) -> float:
        return round(height - axis - plot * max(value, 0.0) / top, 1)

    out = []
    for i, (label, value) in enumerate(points):
        tall = round(plot * max(value or 0.0, 0.0) / top, 1)
        out.append(
            Column(
                str(label),
                value if value is not None else float("nan"),
                round(i * slot + 4, 1),
                round(height - axis - tall, 1),
                round(slot - 8, 1),
                tall,
                str(label) == str(chosen),
            )
        )
    return out, {name: y_of(value) for name, value in marks.items()}


class Point(NamedTuple):
    """One bin of a calibration plot: its centre in the SVG's user units and its figures."""

    x: float
    y: float
    r: float
    predicted: float
    observed: float
    n: int


def calibration(bins: list[dict], size: int = 240, pad: int = 44) -> list[Point]:
    """Reliability points (mean predicted, share observed) on a square plot of [0, 1]²,
    y upwards, each dot's area by its count; the diagonal is perfect calibration."""
    plot = size - 2 * pad
    top = max((int(b["n"]) for b in bins), default=1) or 1
    return [
        Point(
            round(pad + plot * float(b["predicted"]), 1),
            round(size - pad - plot * float(b["observed"]), 1),
            round(2.5 + 3.5 * (int(b["n"]) / top) ** 0.5, 1),
            float(b["predicted"]),
            float(b["observed"]),
            int(b["n"]),
        )
        for b in bins
    ]
