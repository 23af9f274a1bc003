"""A chart's text (a deck's ppt/charts/chartN.xml): its title, its axes' titles and its series'
values, as the lines of rag/readers/chart_text.py. The values are those the chart caches, which
PowerPoint draws (the embedded workbook is not opened), as their number format shows them when it
is a simple one (rag/readers/number_format.py): a date "2024-01-01" (or "Jan 2024"
under a format of month and year), a percentage "43%" under "0%", money "£1,234,567" under
"£"#,##0; a category on a date axis is a date; under General or a format not read there a float's
binary noise is rounded off ("0.30000000000000004" reads "0.3") and a percentage format still reads
as one ("42.5%"). Categories in two levels read with their group ("West Oslo").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rag.readers.base import small_int
from rag.readers.chart_text import plain_number, point, series_line, title_line
from rag.readers.drawingml import text_of
from rag.readers.number_format import as_date, formatted

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_AXES = {f"{C}{name}" for name in ("catAx", "valAx", "dateAx", "serAx")}
# Where a series' points are cached: strings, numbers, literals, or levels of categories grouped
# under others (the first level the innermost; a level holds its points).
_CACHES = tuple(f"{C}{name}" for name in ("strCache", "numCache", "strLit", "numLit", "multiLvlStrCache", "lvl"))
_NUMBERS = {f"{C}numCache", f"{C}numLit"}


def chart_lines(space: Any) -> list[str]:
    """The lines of a chart part's root (c:chartSpace): its title line, when it has a title or an
    axis title, then a line for each series with values."""
    chart = space.find(f"{C}chart")
    if chart is None:
        return []
    heading = _title_line(chart)
    lines = [heading] if heading else []
    plot = chart.find(f"{C}plotArea")
    dates = _Dates(space.find(f"{C}date1904[@val='1']") is not None,
                   plot is not None and plot.find(f"{C}dateAx") is not None)
    return lines + [line for line in (_series_line(series, dates) for series in chart.iter(f"{C}ser")) if line]


@dataclass(frozen=True)
class _Dates:
    """How a chart's numbers read as dates: in the 1904 date system (c:date1904), and whether its
    categories are on a date axis (c:dateAx), dates whatever their format."""

    date1904: bool = False
    axis: bool = False


def _title_line(chart: Any) -> str | None:
    """The chart's title and the titles of its axes shown (chart_text.title_line)."""
    plot = chart.find(f"{C}plotArea")
    axes = [] if plot is None else [
        _title_text(axis.find(f"{C}title")) for axis in plot
        if axis.tag in _AXES and axis.find(f"{C}delete[@val='1']") is None]
    return title_line(_title_text(chart.find(f"{C}title")), axes)


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


def _series_line(series: Any, dates: _Dates) -> str | None:
    """"NAME: North 4.2, South 3.1", or a scatter chart's "NAME: (1, 0.3), (2, 4.5)"; values alone
    for a series without categories; None without values."""
    values = _points(_first(series, "val", "yVal"), _Dates(dates.date1904))
    if not values:
        return None
    labels, xs = _points(series.find(f"{C}cat"), dates), _points(series.find(f"{C}xVal"), _Dates(dates.date1904))
    points = [point(value, labels.get(index), xs.get(index)) for index, value in sorted(values.items())]
    return series_line(_cached_text(series.find(f"{C}tx")), points)


def _first(series: Any, *names: str) -> Any | None:
    """The first of a series' children named so (values are c:val, or c:yVal in a scatter chart)."""
    return next((child for name in names if (child := series.find(f"{C}{name}")) is not None), None)


def _points(element: Any | None, dates: _Dates = _Dates()) -> dict[int, str]:
    """The points cached under a series' child, by index, a number as a reader sees it (see
    _number), a category under its group's name when categories come in levels."""
    cache = None if element is None else next(element.iter(*_CACHES), None)
    if cache is None:
        return {}
    if cache.tag == f"{C}multiLvlStrCache":
        return _grouped(cache)
    code = cache.findtext(f"{C}formatCode") or ""
    points = {}
    for point in cache.iterfind(f"{C}pt"):
        value = (point.findtext(f"{C}v") or "").strip()
        if value and cache.tag in _NUMBERS:
            value = _number(value, point.get("formatCode") or code, dates)
        if value:
            points[small_int(point.get("idx"), -1)] = value
    return points


def _grouped(cache: Any) -> dict[int, str]:
    """Categories in levels (c:lvl, the innermost first), each under the groups it falls in: a
    group's point stands at the index of its first category ("West Oslo, West Bergen, East Tromso")."""
    levels = [_points(level) for level in cache.iterfind(f"{C}lvl")]
    if not levels:
        return {}
    grouped = {}
    for index, label in levels[0].items():
        groups = [level[max(start for start in level if start <= index)] for level in reversed(levels[1:])
                  if any(start <= index for start in level)]
        grouped[index] = " ".join([*groups, label])
    return grouped


def _number(value: str, code: str, dates: _Dates) -> str:
    """A cached number as the chart shows it: under its format when that is a simple one
    (number_format.formatted), a date on a date axis, else a float's binary noise rounded off
    ("0.30000000000000004" "0.3") and under a percentage format "42.5%"."""
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    shown = formatted(number, code, dates.date1904)
    if shown is None and dates.axis and code.strip().lower() in ("", "general"):
        shown = as_date(number, date1904=dates.date1904)
    return shown if shown is not None else plain_number(number, percent="%" in code)
