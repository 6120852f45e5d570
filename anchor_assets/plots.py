"""Line charts for materialization metadata: an SVG drawn by hand, embedded in markdown as a data
URL, which the Dagster UI shows as an image (its markdown allows data: images).

A partitioned table declares its chart in its asset metadata (``chart``) and the IO manager draws
it from the rows it stores, once per write; other assets attach ``plot_metadata`` themselves.
"""

import base64
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from dagster import MetadataValue

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 34, 30
LEGEND_ROW = 18
# More lines than this would not be told apart; the ones with the most in total are drawn.
MAX_LINES = 8
# Points kept over all lines, at whole pixels: a line has no more pixels across than this.
MAX_POINTS = 1000
# Asset metadata naming the columns of a table's chart.
CHART = "anchor/chart"
COLOURS = ["#4f43dd", "#e0633a", "#1c9e77", "#c2185b", "#7a8c00", "#0288d1", "#8d6e63", "#555555"]
# The y axis has about this many gridline steps, each a round number.
TICK_STEPS = 4
ROUND_STEPS = (1, 2, 2.5, 3, 4, 5, 6, 8, 10)
FONT = 'font-family="sans-serif" font-size="11" fill="#555"'
TITLE_FONT = 'font-family="sans-serif" font-size="13" fill="#222"'


def chart(x: str, y: str, title: str, series: str | None = None) -> dict:
    """Asset metadata asking for a chart ('plot') of the stored rows with each materialization:
    ``y`` over ``x``, one line per value of ``series`` if given."""
    return {CHART: {"x": x, "y": y, "title": title, **({"series": series} if series else {})}}


def chart_metadata(frame: pd.DataFrame, declared: dict | None) -> dict[str, MetadataValue]:
    """The chart a table declared with ``chart``, drawn from ``frame``; nothing if none."""
    return plot_metadata(frame, **declared) if declared else {}


def plot_metadata(
    frame: pd.DataFrame, x: str, y: str, title: str, series: str | None = None
) -> dict[str, MetadataValue]:
    """Metadata holding a line chart ('plot') of ``y`` over ``x``: one line per value of
    ``series`` if given, else one line of ``y`` added up per ``x``; nothing for no rows."""
    data = frame[[x, y] + ([series] if series else [])].dropna(subset=[x, y])
    if data.empty:
        return {}
    lines = _lines(data, x, y, series)
    svg = _svg(lines, title, is_time=pd.api.types.is_datetime64_any_dtype(data[x]))
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return {"plot": MetadataValue.md(f"![{title}](data:image/svg+xml;base64,{encoded})")}


def _lines(data: pd.DataFrame, x: str, y: str, series: str | None) -> dict[str, pd.Series]:
    """Each line as y by x, sorted by x, the largest lines first."""
    if series is None:
        return {"": data.groupby(x)[y].sum().sort_index()}
    totals = data.groupby(series)[y].sum().sort_values(ascending=False)
    return {
        str(name): data[data[series] == name].groupby(x)[y].sum().sort_index()
        for name in totals.index[:MAX_LINES]
    }


def _svg(lines: dict[str, pd.Series], title: str, is_time: bool) -> str:
    legend = [name for name in lines if name]
    height = HEIGHT + (LEGEND_ROW if legend else 0)
    xs = pd.concat([line.index.to_series() for line in lines.values()])
    x_low, x_high = _number(xs.min(), is_time), _number(xs.max(), is_time)
    ticks = _ticks(
        min(float(line.min()) for line in lines.values()),
        max(float(line.max()) for line in lines.values()),
    )
    y_low, y_high = ticks[0], ticks[-1]

    def to_x(value) -> float:
        if x_high == x_low:  # a single x: in the middle
            return (LEFT + WIDTH - RIGHT) / 2
        return LEFT + (_number(value, is_time) - x_low) / (x_high - x_low) * (WIDTH - LEFT - RIGHT)

    def to_y(value: float) -> float:
        return TOP + (y_high - value) / ((y_high - y_low) or 1.0) * (HEIGHT - TOP - BOTTOM)

    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}"'
            f' viewBox="0 0 {WIDTH} {height}">'
        ),
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{LEFT}" y="20" {TITLE_FONT}>{escape(title)}</text>',
    ]
    for tick in ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{to_y(tick):.1f}" y2="{to_y(tick):.1f}"'
            ' stroke="#e4e4e4"/>'
            f'<text x="{LEFT - 6}" y="{to_y(tick) + 4:.1f}" text-anchor="end" {FONT}>'
            f"{_label(tick)}</text>"
        )
    ends = [(xs.min(), "start"), (xs.max(), "end")] if x_high > x_low else [(xs.min(), "middle")]
    for value, anchor in ends:
        parts.append(
            f'<text x="{to_x(value):.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}" {FONT}>'
            f"{escape(_x_label(value, is_time))}</text>"
        )
    stride = max(1, sum(len(line) for line in lines.values()) // MAX_POINTS)
    for colour, line in zip(COLOURS, lines.values()):
        kept = line.iloc[
            list(range(0, len(line), stride)) + ([len(line) - 1] if stride > 1 else [])
        ]
        points = [(to_x(at), to_y(float(value))) for at, value in kept.items()]
        parts.append(
            f'<polyline points="{" ".join(f"{x:.0f},{y:.0f}" for x, y in points)}" fill="none"'
            f' stroke="{colour}" stroke-width="1.6" stroke-linejoin="round"/>'
        )
        if len(points) == 1:  # a single reading draws no line: a dot then
            parts.append(
                f'<circle cx="{points[0][0]:.1f}" cy="{points[0][1]:.1f}" r="3" fill="{colour}"/>'
            )
    parts.extend(_legend(legend, HEIGHT))
    parts.append("</svg>")
    return "".join(parts)


def _legend(names: list[str], top: int) -> list[str]:
    parts, step = [], (WIDTH - LEFT) / max(len(names), 1)
    # About 7 pixels a character at this size; a long name is cut to its place.
    longest = max(4, int(step // 7) - 2)
    for position, (colour, name) in enumerate(zip(COLOURS, names)):
        left = LEFT + position * step
        parts.append(
            f'<rect x="{left:.0f}" y="{top - 6}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + 14:.0f}" y="{top + 3}" {FONT}>{escape(name[:longest])}</text>'
        )
    return parts


def _number(value, is_time: bool) -> float:
    """A position on the x axis: days since 1970 for dates, the value itself for numbers."""
    if is_time:
        return pd.Timestamp(value).value / 86_400e9
    return float(value)


def _x_label(value, is_time: bool) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d") if is_time else _label(float(value))


def _label(value: float) -> str:
    if abs(value) >= 10_000:
        return f"{value / 1000:,.4g}k"
    return f"{value:,.0f}" if value == int(value) or abs(value) >= 100 else f"{value:.3g}"


def _ticks(low: float, high: float) -> list[float]:
    """Gridlines from 0 (or below, for negative values) past ``high``, four steps or a few
    more, each step a round number."""
    step = _nice_ceiling((max(high, -low) or 1.0) / TICK_STEPS)
    first = min(0.0, np.floor(low / step) * step)
    count = max(TICK_STEPS, int(np.ceil((high - first) / step)))
    return [first + step * n for n in range(count + 1)]


def _nice_ceiling(value: float) -> float:
    """The smallest round number (1, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) not below
    ``value``."""
    power = 10 ** np.floor(np.log10(value))
    return float(next(step * power for step in ROUND_STEPS if step * power >= value))
