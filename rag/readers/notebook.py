"""Jupyter notebooks (.ipynb): the cells a reader sees in Jupyter, not the JSON that stores them.

A cell is a page: its number (every cell counted, in the notebook's order) is the block's page, so
a citation reads `churn.ipynb cell 4 ¶2`. A Markdown cell is read by the Markdown reader (headings,
paragraphs, list items, tables, code), and its last heading heads the cells after it; a code cell
is one code block, followed by its outputs as Jupyter shows them: a result as "Out[3]: ...", printed
text (a progress bar's redrawn line as its last state, terminal colours left out), an error as its
name and message (not its traceback), Markdown as its words, an HTML result (a styled table,
HTML(...)) as its text. An output that is only an object's repr (`<Figure size 640x480 with 1
Axes>`), widgets, images and other binary data are left out, and so are a Markdown cell's data URIs
and HTML tags (an image reads as its alt text): base64 is no text. A long output is read up to MAX_OUTPUT_CHARS. Both formats Jupyter has
written since 2011 are read: nbformat 4 (cells) and 3 (worksheets of cells, "heading" cells).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rag.readers.base import Block, ReadResult, Unreadable, blank_line_paragraphs, file_bytes

BROKEN_FIX = "open it in Jupyter and save it again, or fix its JSON (a merge conflict leaves <<<<<<< lines in it)"
MAX_OUTPUT_CHARS = 10_000  # a training log or a printed table of a million rows says no more past it

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
# "<Figure size 640x480 with 1 Axes>", "[<matplotlib.lines.Line2D at 0x7f...>]": what an object is, not what it says
_REPR_ONLY = re.compile(r"\s*\[?\s*<[^<>\n]*>(?:\s*,\s*<[^<>\n]*>)*\s*\]?\s*")
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w.+-]+=[\w.+-]+)*;base64,[A-Za-z0-9+/=\s]{16,}")
_WIDGET = "application/vnd.jupyter.widget-view+json"
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")


def read_notebook(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of every cell, its number as the page (from `data` when given, else the file).

    Raises:
        Unreadable: the file is not a notebook's JSON, or no cell holds text.
    """
    notebook = _parsed(file_bytes(path, data))
    blocks: list[Block] = []
    long_outputs = 0
    heading: str | None = None
    for number, cell in enumerate(_cells(notebook), start=1):
        cell_blocks, heading, cut = _cell_blocks(cell, number, heading, path, name)
        blocks.extend(cell_blocks)
        long_outputs += cut
    if not blocks:
        raise Unreadable("no text in any cell of the notebook")
    warnings = ()
    if long_outputs:
        warnings = (f"{name}: read the first {MAX_OUTPUT_CHARS:,} characters of {long_outputs} long "
                    f"output{'s' if long_outputs > 1 else ''}; the rest is left out",)
    return ReadResult("notebook", tuple(blocks), warnings)


def _parsed(raw: bytes) -> dict[str, Any]:
    """The notebook's JSON object.

    Raises:
        Unreadable: not JSON, or JSON that is not a notebook.
    """
    try:
        notebook = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise Unreadable(f"not a Jupyter notebook: not UTF-8 text (byte {error.start}); {BROKEN_FIX}") from error
    except json.JSONDecodeError as error:
        raise Unreadable(f"not a Jupyter notebook: broken JSON at line {error.lineno}, column {error.colno} "
                         f"({error.msg}); {BROKEN_FIX}") from error
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells", notebook.get("worksheets")), list):
        raise Unreadable(f"not a Jupyter notebook: JSON without a list of cells; {BROKEN_FIX}")
    return notebook


def _cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    """The cells in order: nbformat 4's list, or those of nbformat 3's worksheets."""
    if isinstance(notebook.get("cells"), list):
        found = notebook["cells"]
    else:
        found = [cell for sheet in notebook["worksheets"] if isinstance(sheet, dict)
                 for cell in sheet.get("cells") or () if isinstance(sheet.get("cells"), list)]
    return [cell for cell in found if isinstance(cell, dict)]


def _cell_blocks(
    cell: dict[str, Any], number: int, heading: str | None, path: Path, name: str,
) -> tuple[list[Block], str | None, int]:
    """One cell's blocks, the heading the cells after it stand under, and how many of its outputs
    were cut."""
    kind = cell.get("cell_type")
    source = _text(cell.get("source", cell.get("input")))
    if kind == "markdown":
        return _markdown_blocks(source, number, heading, path, name)
    if kind == "heading":  # nbformat 3's own heading cell
        title = " ".join(source.split())
        return ([Block(title, number, title, "heading")], title, 0) if title else ([], heading, 0)
    if kind == "raw":
        return [Block(p.strip(), number, heading) for p in blank_line_paragraphs(source)], heading, 0
    if kind != "code":
        return [], heading, 0
    blocks = [Block(source.strip("\n"), number, heading, "code")] if source.strip() else []
    cut = 0
    for output in cell.get("outputs") or ():
        text, was_cut = _output_text(output) if isinstance(output, dict) else ("", False)
        if text:
            blocks.append(Block(text, number, heading, "code"))
            cut += was_cut
    return blocks, heading, cut


def _markdown_blocks(
    source: str, number: int, heading: str | None, path: Path, name: str,
) -> tuple[list[Block], str | None, int]:
    """A Markdown cell's blocks through the Markdown reader, under the heading above the cell until
    one of its own; the last heading it has heads what follows."""
    from rag.readers.markdown import read_markdown

    source = _DATA_URI.sub("data:…", source)
    if not source.strip():
        return [], heading, 0
    blocks = []
    for block in read_markdown(path, name, source.encode("utf-8")).blocks:
        if block.kind == "heading":
            heading = block.heading
            blocks.append(Block(block.heading or block.text, number, heading, "heading"))  # its words, as shown
            continue
        text = block.text if block.kind == "code" else _shown_markdown(block.text)
        if text:
            blocks.append(Block(text, number, block.heading or heading, block.kind))
    return blocks, heading, 0


def _shown_markdown(text: str) -> str:
    """A Markdown block as Jupyter shows it, of what is text: an image as its alt text (its data
    URI or attachment is no text), HTML tags left out (a lone "<div class='alert'>" is none)."""
    text = _IMAGE.sub(lambda image: image.group(1), text)
    return _TAG.sub("", text).strip()


def _output_text(output: dict[str, Any]) -> tuple[str, bool]:
    """An output's text as Jupyter shows it ("" for an image, a widget or a bare repr), and whether
    it was cut at MAX_OUTPUT_CHARS."""
    kind = output.get("output_type")
    if kind == "stream":
        text = _terminal_text(_text(output.get("text")))
    elif kind in ("error", "pyerr"):
        text = ": ".join(filter(None, (_text(output.get("ename")), _terminal_text(_text(output.get("evalue"))))))
    elif kind in ("execute_result", "display_data", "pyout"):
        text = _data_text(output)
        count = output.get("execution_count", output.get("prompt_number"))
        if text and kind != "display_data" and isinstance(count, int):
            text = f"Out[{count}]: {text}"
    else:
        return "", False
    text = text.strip("\n")
    if len(text) <= MAX_OUTPUT_CHARS:
        return text, False
    return text[: text.rfind("\n", 0, MAX_OUTPUT_CHARS) + 1 or MAX_OUTPUT_CHARS].rstrip("\n"), True


def _data_text(output: dict[str, Any]) -> str:
    """A result's text as Jupyter shows it: Markdown as its words, else plain text (nbformat 3 keeps
    it under "text") unless it is a bare repr, else its HTML's text (a styled table, HTML(...));
    nothing for a widget, whose text is only its repr ("IntSlider(value=0)")."""
    data = output.get("data") if isinstance(output.get("data"), dict) else output
    if _WIDGET in data:
        return ""
    markdown = _text(data.get("text/markdown"))
    if markdown.strip():
        from rag.readers.markdown import heading_words

        return "\n".join(heading_words(line) for line in _shown_markdown(markdown).split("\n"))
    plain = _terminal_text(_text(data.get("text/plain", data.get("text"))))
    if plain.strip() and not _REPR_ONLY.fullmatch(plain):
        return plain
    return _html_text(_text(data.get("text/html")))


def _html_text(markup: str) -> str:
    """An HTML output's text through the HTML reader, a block a line ("" when it has none)."""
    if not markup.strip():
        return ""
    from rag.readers.html import read_html

    try:
        return "\n".join(block.text for block in read_html(Path("output.html"), "output", markup.encode("utf-8")).blocks)
    except Unreadable:
        return ""


def _terminal_text(text: str) -> str:
    """Printed text as the terminal left it: colours dropped, a line redrawn after carriage
    returns (a progress bar) as its last drawing."""
    text = _ANSI.sub("", text)
    if "\r" not in text:
        return text
    return "\n".join(_last_drawn(line) for line in text.replace("\r\n", "\n").split("\n"))


def _last_drawn(line: str) -> str:
    drawings = [part for part in line.split("\r") if part]
    return drawings[-1] if drawings else ""


def _text(value: Any) -> str:
    """A notebook's multi-line string: one string, or a list of its lines, each ending in its
    newline (nbformat 3 and 4) or none of them (nbformat 2, whose lines are joined by newlines)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return ""
    lines = [part for part in value if isinstance(part, str)]
    return ("" if any(line.endswith("\n") for line in lines[:-1]) else "\n").join(lines)
