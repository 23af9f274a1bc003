"""A chart's text (a deck's ppt/charts/chartN.xml): its title, its axes' titles and its series'
values, as short lines a reader can check against the slide and a model can quote.

    Revenue by region (chart; axes: Region, Million pounds)
    2024: North 4.2, South 3.1
    2025: North 4.6, South 3.3

The first line names the chart by its title and its axes' titles (a chart with neither has none:
its series' names say what it shows); each series is a line of its name, then each category with
its value (a scatter chart's points as "(x, y)"). The values are those the chart
caches, which PowerPoint draws (the embedded workbook is not opened): a value under a percentage
format reads as one ("42%"), a float's binary noise is rounded off ("0.30000000000000004" reads
"0.3"), and a series of more than MAX_POINTS points is cut there, saying how many it has.
"""

from __future__ import annotations

import math
from typing import Any

from rag.readers.base import small_int
from rag.readers.drawingml import text_of

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_AXES = {f"{C}{name}" for name in ("catAx", "valAx", "dateAx", "serAx")}
# Where a series' points are cached: strings, numbers, literals, or one level of several (the
# first, innermost level of categories grouped under others).
_CACHES = tuple(f"{C}{name}" for name in ("strCache", "numCache", "strLit", "numLit", "lvl"))
_NUMBERS = {f"{C}numCache", f"{C}numLit"}
MAX_POINTS = 100  # a scatter plot of thousands of points is no sentence to read


def chart_lines(space: Any) -> list[str]:
    """The lines of a chart part's root (c:chartSpace): its title line, when it has a title or an
    axis title, then a line for each series with values."""
    chart = space.find(f"{C}chart")
    if chart is None:
        return []
    title_line = _title_line(chart)
    lines = [title_line] if title_line else []
    return lines + [line for line in map(_series_line, chart.iter(f"{C}ser")) if line]


def _title_line(chart: Any) -> str | None:
    """"TITLE (chart; axes: X, Y)", or "Chart (axes: X, Y)" for a chart with axis titles alone."""
    title = _title_text(chart.find(f"{C}title"))
    plot = chart.find(f"{C}plotArea")
    axes = [] if plot is None else [
        _title_text(axis.find(f"{C}title")) for axis in plot
        if axis.tag in _AXES and axis.find(f"{C}delete[@val='1']") is None]
    named = ", ".join(axis for axis in axes if axis)
    if title:
        return f"{title} (chart; axes: {named})" if named else f"{title} (chart)"
    return f"Chart (axes: {named})" if named else None


def _title_text(title: Any) -> str | None:
    """A chart's or axis's title: its own text, or the text of the cell it is taken from."""
    text_body = None if title is None else title.find(f"{C}tx")
    if text_body is None:
        return None
    rich = text_body.find(f"{C}rich")
    return (text_of(rich) if rich is not None else _cached_text(text_body)) or None


def _cached_text(element: Any) -> str:
    """The cached cells of a reference (a series' name, a title from a cell), joined."""
    return " ".join(_points(element).values()) if element is not None else ""


def _series_line(series: Any) -> str | None:
    """"NAME: North 4.2, South 3.1", or a scatter chart's "NAME: (1, 0.3), (2, 4.5)"; values alone
    for a series without categories; None without values."""
    values = _points(_first(series, "val", "yVal"))
    if not values:
        return None
    labels, xs = _points(series.find(f"{C}cat")), _points(series.find(f"{C}xVal"))
    pairs = [_point(value, labels.get(index), xs.get(index)) for index, value in sorted(values.items())]
    if len(pairs) > MAX_POINTS:
        pairs = [*pairs[:MAX_POINTS], f"… ({len(pairs)} points)"]
    name = _cached_text(series.find(f"{C}tx"))
    return f"{name}: {', '.join(pairs)}" if name else ", ".join(pairs)


def _point(value: str, label: str | None, x: str | None) -> str:
    """A point as the chart shows it: "North 4.2" on a category, "(1, 0.3)" in a scatter chart."""
    if x is not None:
        return f"({x}, {value})"
    return f"{label} {value}" if label is not None else value


def _first(series: Any, *names: str) -> Any | None:
    """The first of a series' children named so (values are c:val, or c:yVal in a scatter chart)."""
    return next((child for name in names if (child := series.find(f"{C}{name}")) is not None), None)


def _points(element: Any | None) -> dict[int, str]:
    """The points cached under a series' child, by index, a number as a reader sees it (see _number)."""
    cache = None if element is None else next(element.iter(*_CACHES), None)
    if cache is None:
        return {}
    percent = "%" in (cache.findtext(f"{C}formatCode") or "")
    points = {}
    for point in cache.iterfind(f"{C}pt"):
        value = (point.findtext(f"{C}v") or "").strip()
        if value and cache.tag in _NUMBERS:
            value = _number(value, percent or "%" in (point.get("formatCode") or ""))
        if value:
            points[small_int(point.get("idx"), -1)] = value
    return points


def _number(value: str, percent: bool) -> str:
    """A cached number as the chart shows it: 0.42 under a percentage format "42%", a float's
    binary noise rounded off ("0.30000000000000004" "0.3")."""
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    return f"{number * 100:.12g}%" if percent else f"{number:.12g}"
