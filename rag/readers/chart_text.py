"""A chart as short lines a reader can check against the slide or page and a model can quote, the
same whichever format holds it (a PowerPoint chart part, rag/readers/pptx_chart.py, or an
OpenDocument chart object, rag/readers/odf_chart.py):

    Revenue by region (chart; axes: Region, Million pounds)
    2024: North 4.2, South 3.1
    2025: North 4.6, South 3.3

The first line names the chart by its title and its axes' titles (a chart with neither has none:
its series' names say what it shows); each series is a line of its name, then each category with
its value (a scatter chart's points as "(x, y)"). A series of more than MAX_POINTS points is cut
there, saying how many it has.
"""

from __future__ import annotations

import math

MAX_POINTS = 100  # a scatter plot of thousands of points is no sentence to read


def title_line(title: str | None, axes: list[str | None]) -> str | None:
    """"TITLE (chart; axes: X, Y)", "TITLE (chart)", or "Chart (axes: X, Y)" for a chart with
    axis titles alone; None for a chart with no title of either kind."""
    named = ", ".join(axis for axis in axes if axis)
    if title:
        return f"{title} (chart; axes: {named})" if named else f"{title} (chart)"
    return f"Chart (axes: {named})" if named else None


def series_line(name: str | None, points: list[str]) -> str | None:
    """"NAME: North 4.2, South 3.1", the points alone for a series without a name; None without
    points."""
    if not points:
        return None
    if len(points) > MAX_POINTS:
        points = [*points[:MAX_POINTS], f"… ({len(points)} points)"]
    return f"{name}: {', '.join(points)}" if name else ", ".join(points)


def point(value: str, label: str | None, x: str | None) -> str:
    """A point as the chart shows it: "North 4.2" on a category, "(1, 0.3)" in a scatter chart."""
    if x is not None:
        return f"({x}, {value})"
    return f"{label} {value}" if label is not None else value


def plain_number(number: float, percent: bool = False) -> str:
    """A number with no format to show it by: a float's binary noise rounded off
    ("0.30000000000000004" reads "0.3"), and a percentage's fraction as one ("42.5%")."""
    value = number * 100 if percent else number
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        text = str(int(value))  # every digit of a whole number: 1234567890123, not 1.23456789012e+12
    else:
        short = f"{value:.12g}"  # 12 digits, if that drops only noise below a double's 15
        text = short if abs(float(short) - value) <= abs(value) * 1e-13 else f"{value:.15g}"
    return text + "%" if percent else text
