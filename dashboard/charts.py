"""SVG geometry for the insights charts: axes, scales and bar positions, as plain numbers.

Pure functions with no Django inside, so every edge (no data, one huge day, a label too long) is unit
tested without a database. The templates only place what these return: Django templates cannot do
arithmetic, and a chart that is wrong by a pixel is easier to find here than in markup.

Coordinates are SVG user units inside a fixed ``viewBox``; the ``<svg>`` is 100% wide, so the browser
scales the whole drawing, text included, to the column it sits in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Steps a reader can count in: 1, 2, 5, 10, 20, 50 ... Never 3 or 7, whose multiples nobody reads at a glance.
_NICE_STEPS = (1, 2, 5, 10)


@dataclass(frozen=True)
class Axis:
    """A value axis from 0 to ``maximum`` with ``ticks`` at every ``step``."""

    maximum: int
    step: int
    ticks: tuple[int, ...]


def nice_step(raw: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``raw`` (and at least 1: counts are
    whole numbers, so a tick at 0.5 would label something that cannot happen)."""
    if raw <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in _NICE_STEPS:
        if step * magnitude >= raw:
            return int(step * magnitude)
    return int(10 * magnitude)  # pragma: no cover - 10 always satisfies the loop above


def nice_axis(value: float, *, max_ticks: int = 5) -> Axis:
    """An axis whose top is the first tick at or above ``value``, with at most ``max_ticks`` steps.

    Zero or negative data still gets an axis (0 to 1), so the caller never divides by zero.
    """
    if value <= 0:
        return Axis(maximum=1, step=1, ticks=(0, 1))
    step = nice_step(value / max_ticks)
    maximum = step * math.ceil(value / step)
    return Axis(maximum=maximum, step=step, ticks=tuple(range(0, maximum + 1, step)))


def nice_max(value: float) -> int:
    return nice_axis(value).maximum


def scale(value: float, *, maximum: float, length: float) -> float:
    """``value`` as a length on an axis where ``maximum`` takes ``length`` units; 0 when the axis is empty."""
    if maximum <= 0:
        return 0.0
    return value / maximum * length


def truncate(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def _r(number: float) -> float:
    # One decimal is sub-pixel at any size we draw; it keeps the SVG short and the tests exact.
    return round(number, 1)


# --- Vertical stacked columns (alerts per day, SLA per week, backlog by age) -------------------------


@dataclass(frozen=True)
class Series:
    """One stacked layer: a stable ``key`` (the template turns it into a CSS class), a label for the
    legend and the tooltips, and one value per category."""

    key: str
    label: str
    values: Sequence[int]


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Label:
    text: str
    y: float


@dataclass(frozen=True)
class Column:
    labels: tuple[Label, ...]  # the category label, one text line each under the axis
    total: int
    note: str  # shown above the bar: the total, or a percentage
    x: float
    width: float
    center: float
    top: float  # y of the top of the stack
    note_y: float
    segments: tuple[Segment, ...]

    @property
    def caption(self) -> str:
        return " ".join(label.text for label in self.labels)


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: float
    right: float
    baseline: float
    axis: Axis
    ticks: tuple[Tick, ...]
    columns: tuple[Column, ...]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def tick_label_x(self) -> float:
        return _r(self.left - 6)

    @property
    def is_empty(self) -> bool:
        return not any(column.total for column in self.columns)


def column_chart(
    *,
    categories: Sequence[tuple[str, ...]],
    series: Sequence[Series],
    notes: Sequence[str] | None = None,
    width: int = 600,
    height: int = 280,
    margin_left: int = 44,
    margin_right: int = 8,
    margin_top: int = 20,
    line_height: int = 14,
    bar_fraction: float = 0.7,
) -> ColumnChart:
    """Stacked columns, one per category, the first series at the bottom.

    ``notes`` (one per category) go above each column; by default the column's total, blank for zero.
    The bottom margin grows with the number of label lines so two-line labels ("Mon" / "9 Feb") fit.
    """
    count = len(categories)
    for layer in series:
        if len(layer.values) != count:
            raise ValueError(f"series {layer.key!r} has {len(layer.values)} values for {count} categories")
    if notes is not None and len(notes) != count:
        raise ValueError(f"{len(notes)} notes for {count} categories")

    lines = max((len(category) for category in categories), default=1)
    margin_bottom = 8 + line_height * lines
    baseline = height - margin_bottom
    plot_height = baseline - margin_top
    right = width - margin_right
    slot = (right - margin_left) / count if count else 0.0
    bar_width = slot * bar_fraction

    totals = [sum(layer.values[index] for layer in series) for index in range(count)]
    axis = nice_axis(max(totals, default=0))

    columns = []
    for index, category in enumerate(categories):
        x = margin_left + slot * index + (slot - bar_width) / 2
        segments, running = [], 0
        for layer in series:
            value = layer.values[index]
            if value <= 0:
                continue
            # Both edges from the running sum, so rounding never leaves a gap between two layers.
            bottom = baseline - scale(running, maximum=axis.maximum, length=plot_height)
            running += value
            top = baseline - scale(running, maximum=axis.maximum, length=plot_height)
            segments.append(
                Segment(
                    key=layer.key,
                    label=layer.label,
                    value=value,
                    x=_r(x),
                    y=_r(top),
                    width=_r(bar_width),
                    height=_r(_r(bottom) - _r(top)),
                )
            )
        top = baseline - scale(totals[index], maximum=axis.maximum, length=plot_height)
        note = notes[index] if notes is not None else (str(totals[index]) if totals[index] else "")
        columns.append(
            Column(
                labels=tuple(
                    Label(text=text, y=_r(baseline + line_height * (line + 1))) for line, text in enumerate(category)
                ),
                total=totals[index],
                note=note,
                x=_r(x),
                width=_r(bar_width),
                center=_r(x + bar_width / 2),
                top=_r(top),
                note_y=_r(top - 5),
                segments=tuple(segments),
            )
        )

    ticks = tuple(
        Tick(value=value, y=_r(baseline - scale(value, maximum=axis.maximum, length=plot_height)))
        for value in axis.ticks
    )
    return ColumnChart(
        width=width,
        height=height,
        left=margin_left,
        right=right,
        baseline=_r(baseline),
        axis=axis,
        ticks=ticks,
        columns=tuple(columns),
    )


# --- Horizontal bars (declarations by status) --------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    key: str
    label: str  # as drawn, shortened if needed
    full_label: str
    value: int
    y: float
    width: float
    text_y: float
    value_x: float


@dataclass(frozen=True)
class VerticalTick:
    value: int
    x: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bar_height: float
    axis: Axis
    ticks: tuple[VerticalTick, ...]
    bars: tuple[Bar, ...]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def label_x(self) -> float:
        return _r(self.left - 6)

    @property
    def tick_label_y(self) -> float:
        return _r(self.bottom + 16)


def bar_chart(
    *,
    rows: Sequence[tuple[str, str, int]],
    width: int = 600,
    margin_left: int = 190,
    margin_right: int = 56,
    row_height: int = 24,
    margin_top: int = 6,
    margin_bottom: int = 24,
    label_limit: int = 28,
) -> BarChart:
    """Horizontal bars, one per ``(key, label, value)`` row, top to bottom in the given order.

    The height follows the number of rows, so a long list stays as legible as a short one; labels
    longer than ``label_limit`` characters are shortened (the tooltip and the table keep them whole).
    """
    right = width - margin_right
    plot_width = right - margin_left
    bottom = margin_top + row_height * len(rows)
    height = bottom + margin_bottom
    bar_height = row_height * 0.7
    axis = nice_axis(max((value for _key, _label, value in rows), default=0), max_ticks=4)

    bars = []
    for index, (key, label, value) in enumerate(rows):
        y = margin_top + row_height * index + (row_height - bar_height) / 2
        length = scale(value, maximum=axis.maximum, length=plot_width)
        bars.append(
            Bar(
                key=key,
                label=truncate(label, label_limit),
                full_label=label,
                value=value,
                y=_r(y),
                width=_r(length),
                text_y=_r(y + bar_height / 2 + 4),
                value_x=_r(margin_left + length + 4),
            )
        )
    ticks = tuple(
        VerticalTick(value=value, x=_r(margin_left + scale(value, maximum=axis.maximum, length=plot_width)))
        for value in axis.ticks
    )
    return BarChart(
        width=width,
        height=height,
        left=margin_left,
        right=right,
        top=margin_top,
        bottom=bottom,
        bar_height=_r(bar_height),
        axis=axis,
        ticks=ticks,
        bars=tuple(bars),
    )


def top_with_rest(
    rows: Sequence[tuple[str, str, int]], *, limit: int, rest_key: str, rest_label: str
) -> list[tuple[str, str, int]]:
    """The first ``limit`` rows and one more that adds up the others: a chart of fifty bars is read by
    nobody, and the table under it still lists every row."""
    if len(rows) <= limit:
        return list(rows)
    kept = list(rows[: limit - 1])
    rest = rows[limit - 1 :]
    kept.append((rest_key, f"{rest_label} ({len(rest)})", sum(value for _key, _label, value in rest)))
    return kept
