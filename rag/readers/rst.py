"""reStructuredText (a Sphinx project's .rst sources) with docutils: sections, prose, code and tables.

Read as plain text, a Sphinx page was its markup: ".. code-block:: python" and ".. _label:" stood as
paragraphs, ":func:`~flask.url_for`" in the prose, a heading underlined with backticks was text, a
simple table one run-on line, and a literal block's lines ran together. docutils (the reference
parser) reads the page into a tree; its blocks are the tree's section titles (headings), paragraphs,
list items, definitions, table rows and literal blocks (code), in order.

Sphinx adds directives and roles docutils does not know. Each such name found in the page is
registered before parsing as a generic one: a role is its text as Sphinx shows it ("url_for()" for
:func:`~flask.url_for`, "the tutorial" for :doc:`the tutorial <tutorial/index>`, and for a
:doc: or :ref: without a title the title of the page or section it names: rag.readers.rst_titles), a directive is
its content read as text, opened by what Sphinx prints for it: "Added in version 2.0: ...",
"Changed in version", "Deprecated since version", "See also:", an API entry's signature
("url_for(endpoint, **values)"). A code-block's content is code; a toctree, autodoc's directives
(their text is in the code, not the page) and index entries are nothing. The page is parsed with
file and URL insertion and raw output off, so an `include` or a `csv-table :url:` reads nothing
outside the file.

The text is extracted, but each block keeps the lines of the file it was read from (docutils
numbers the line each element starts on), so a citation names lines a reader can open, as for a
text or Markdown file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.readers.base import Block, ReadResult, decode_text, file_bytes, one_line, table_lines
from rag.readers.rst_titles import reading, referenced_title

if TYPE_CHECKING:
    from docutils import nodes

_DIRECTIVE_NAME = re.compile(r"^[ \t]*\.\.[ \t]+([\w][\w:.+-]*)::", re.MULTILINE)
_ROLE_NAME = re.compile(r"(?<![\w`]):([\w][\w:.+-]*):`")
_SIMPLE_RULE = re.compile(r"\s*=+(?: +=+)+\s*")  # a simple table's border: columns of "=" parted by spaces
# Directives whose text is another file's or the code's (a page of nothing else has no text of its own)
_BORROWING = re.compile(r"^[ \t]*\.\.[ \t]+(include|literalinclude|auto\w+|click)::", re.MULTILINE)
_PARAGRAPH = re.compile(r"\S.*(?:\n[ \t]*\S.*)*")  # lines up to a blank one
_TITLE_AND_TARGET = re.compile(r"(?s)(.*?)\s*<([^<>]+)>$")
# What Sphinx prints before a version note's text.
_VERSION_LABELS = {"versionadded": "Added in version", "versionchanged": "Changed in version",
                   "deprecated": "Deprecated since version", "versionremoved": "Removed in version"}
_LABELS = {"seealso": "See also", "todo": "To do"}
_CODE_DIRECTIVES = frozenset({"code", "code-block", "sourcecode", "highlight-block", "ipython", "doctest", "testcode",
                              "testoutput", "jupyter-execute", "prompt"})
# Sphinx directives whose own text is not on the page (autodoc reads the code) or that hold no text.
_SILENT_DIRECTIVES = frozenset({"toctree", "index", "highlight", "literalinclude", "currentmodule", "module",
                                "tabularcolumns", "automodule", "autoclass", "autofunction", "automethod",
                                "autoattribute", "autodata", "autoexception", "autosummary", "autoprogram",
                                "click", "autoflask", "graphviz", "inheritance-diagram", "plot",
                                "codeauthor", "sectionauthor", "moduleauthor", "py:module", "py:currentmodule"})
# Roles written as code (Sphinx shows them in a monospace font; a function's name gets "()").
_CALLABLE_ROLES = frozenset({"func", "meth", "py:func", "py:meth"})
_NO_PARENS = re.compile(r"\(.*\)$")
_REFERENCE_ROLES = frozenset({"doc", "std:doc", "ref", "std:ref"})  # shown as the title of what they name
_NUMBERED_ROLES = frozenset({"issue", "pr", "pull", "gh", "ghissue", "bug"})  # sphinx-issues' ":issue:`2581`": "#2581"


def read_rst(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of the text docutils reads from the file (`data` when given, else the file's bytes).

    Raises:
        Unreadable: the file cannot be read.
    """
    warnings: list[str] = []
    text = decode_text(file_bytes(path, data), name, warnings)
    if text is None:
        return ReadResult("rst", (), tuple(warnings))
    try:
        with reading(path):
            blocks = tuple(_Blocks(text.split("\n")).of(_parse(text)))
    except Exception as error:  # docutils' bug on one odd page (or nesting past Python's stack): its text still counts
        warnings.append(f"{name}: read as plain text, docutils could not parse it ({type(error).__name__})")
        blocks = tuple(_plain_blocks(text))
    if not blocks and (borrowed := sorted(set(_BORROWING.findall(text)))):
        warnings.append(f"skipped {name}: it only brings in text from elsewhere (.. {':: / .. '.join(borrowed)}::), "
                        "which rag does not follow; the files it names are read on their own when they are in the folder")
    return ReadResult("rst", blocks, tuple(warnings))


def _plain_blocks(text: str) -> Iterator[Block]:
    """The page's runs of lines between blank lines, each with its lines: the text reader's rule."""
    for part in _PARAGRAPH.finditer(text):
        first = text.count("\n", 0, part.start()) + 1
        yield Block(part.group(), None, None, "paragraph", lines=(first, first + part.group().count("\n")))


def _parse(text: str) -> nodes.document:
    """The page's doctree, with the Sphinx names it uses registered first (see the module's note)."""
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    _register_unknown_names(text)
    settings = get_default_settings(Parser)
    settings.report_level = 5  # no message is printed; problems stay in the tree as system_message nodes
    settings.halt_level = 5
    settings.warning_stream = _Silent()
    settings.file_insertion_enabled = False
    settings.raw_enabled = False
    settings.character_level_inline_markup = False
    document = new_document("<rst>", settings)
    Parser().parse(text, document)
    return document


class _Silent:
    """A warning stream that keeps nothing: docutils would write its messages to stderr."""

    def write(self, _text: str) -> None:
        return None

    def flush(self) -> None:
        return None


def _register_unknown_names(text: str) -> None:
    """Registers each directive and role the page names that docutils does not know as generic."""
    from docutils.parsers.rst import directives, roles
    from docutils.parsers.rst.languages import en

    for name in {found.lower() for found in _DIRECTIVE_NAME.findall(text)}:
        known = name in directives._directives or name in en.directives or name in directives._directive_registry
        if not known or (name in _CODE_DIRECTIVES and not getattr(directives._directives.get(name), "rag", False)):
            # docutils' own code-block numbers its block by the line after it: ours by its first line
            directives.register_directive(name, _generic_directive(name))
    for name in {found.lower() for found in _ROLE_NAME.findall(text)}:
        if name not in roles._roles and name not in en.roles and name not in roles._role_registry:
            roles.register_local_role(name, _generic_role(name))


def _generic_role(name: str) -> Any:
    """A role shown as Sphinx shows it: a title given before <target>, else the target; "~" keeps
    a dotted name's last part; a function's name ends in "()"."""
    from docutils import nodes, utils

    def role(_role: str, rawtext: str, text: str, _lineno: int, _inliner: Any, _options: Any = None,
             _content: Any = None) -> tuple[list[nodes.Node], list[nodes.Node]]:
        shown = _role_text(name, utils.unescape(text))
        return [nodes.literal(rawtext, shown)], []

    return role


def _role_text(name: str, text: str) -> str:
    titled = _TITLE_AND_TARGET.match(text)
    if titled and titled.group(1):
        return titled.group(1)
    target = titled.group(2) if titled else text
    if name in _REFERENCE_ROLES and (title := referenced_title(name, target.lstrip("!~"))):
        return title
    target = target.lstrip("!")
    if target.startswith("~"):
        target = target[1:].rsplit(".", 1)[-1]
    if name in _CALLABLE_ROLES and not _NO_PARENS.search(target):
        target += "()"
    if name in _NUMBERED_ROLES and target.isdigit():
        target = f"#{target}"
    return target


class _AnyOption(dict):  # type: ignore[type-arg]
    """An option spec that takes every option as text: a Sphinx directive's options are its own."""

    def __missing__(self, _key: str) -> Any:
        from docutils.parsers.rst import directives

        return directives.unchanged


def _generic_directive(name: str) -> type:
    """A directive class for a name docutils does not know (see the module's note)."""
    from docutils import nodes
    from docutils.parsers.rst import Directive

    class Generic(Directive):
        rag = True  # registered here, not docutils' own
        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = _AnyOption()

        def run(self) -> list[nodes.Node]:
            if name in _SILENT_DIRECTIVES:
                return []
            argument = " ".join(" ".join(self.arguments).split())
            if name in _CODE_DIRECTIVES or (not argument and _looks_like_code(self.content)):
                code = "\n".join(self.content)
                block = nodes.literal_block(code, code)
                block.line = self.content_offset + 1
                return [block] if code.strip() else []
            container = nodes.container(classes=["rag-directive"])
            label, note = _label(name.rsplit(":", 1)[-1], argument)
            if label:
                container += self._paragraph(label, classes=["rag-label"])
            if note.strip():
                container += self._paragraph(note.strip(), raw=" ".join(self.arguments))
            if self.content:
                self.state.nested_parse(self.content, self.content_offset, container)
            return [container]

        def _paragraph(self, text: str, classes: list[str] | None = None, raw: str = "") -> nodes.paragraph:
            """A paragraph of text with its inline markup read (a tab's title "``netstat`` (Linux)"),
            numbered by the directive's line; raw, the arguments as written, says how many lines it takes."""
            inline, _messages = self.state.inline_text(text, self.lineno)
            paragraph = nodes.paragraph(raw or text, "", *inline, classes=classes or [])
            paragraph.line = self.lineno
            return paragraph

    return Generic


# The first line of a directive's content that is code, not prose: Click's ".. click:example::" and
# ".. click:run::" hold Python, which read as reStructuredText ran together into a paragraph.
_CODE_START = re.compile(r"\s*(?:def |class |import |from \S+ import |with \S.*:$|@\w|>>> |\$ |[\w.]+\(|\w+ = )")


def _looks_like_code(content: Any) -> bool:
    first = next((line for line in content if line.strip()), "")
    return bool(_CODE_START.match(first))


def _label(name: str, argument: str) -> tuple[str, str]:
    """What Sphinx prints before a directive's content, and the text written on the directive's
    own line: "Added in version 2.1:" and "The note ..." for ".. versionadded:: 2.1 The note ...",
    "See also:", an API entry's signature ("range([start,] stop[, step]):"); for another directive
    its argument (a tab's or a card's title)."""
    if name in _VERSION_LABELS:
        version, note = (argument.split(None, 1) + [""])[:2]
        return f"{_VERSION_LABELS[name]} {version}".rstrip() + ":", note
    if name in _LABELS:
        return (f"{_LABELS[name]}: {argument}".rstrip() if argument else f"{_LABELS[name]}:"), ""
    return (argument if not argument or argument[-1] in ":.?!" else f"{argument}:"), ""


# docutils' own admonitions: their text opened by their label, as Sphinx shows them
_ADMONITIONS = {"note": "Note", "warning": "Warning", "tip": "Tip", "hint": "Hint", "important": "Important",
                "caution": "Caution", "danger": "Danger", "error": "Error", "attention": "Attention"}


class _Blocks:
    """Walks a doctree into blocks, carrying the innermost section title as their heading and each
    block's lines in the file (docutils numbers the line each element starts on)."""

    def __init__(self, source_lines: list[str]) -> None:
        self.source_lines = source_lines
        self.heading: str | None = None
        self.label = ""  # a label ("Note:", "Added in version 2.0:") waiting for the paragraph it opens
        self.label_line: int | None = None  # the line the waiting label was written on
        self.last_line = 1  # where the last block ended: the place of an element docutils gave no line
        self.line_count = max(len(source_lines), 1)

    def of(self, node: nodes.Node) -> Iterator[Block]:
        for child in node.children:
            yield from self._element(child)

    def _block(self, text: str, kind: str, lines: tuple[int, int] | None) -> Block:
        first, last = lines or (self.last_line, self.last_line)
        if self.label_line is not None and self.label_line < first:
            first = self.label_line
        first = min(max(first, 1), self.line_count)
        last = min(max(last, first), self.line_count)
        self.last_line, self.label_line = last, None
        return Block(text, None, self.heading, kind, lines=(first, last))

    def _open_label(self, text: str, node: nodes.Node) -> None:
        """Holds text as the label of the next paragraph, remembering the first line it came from."""
        self.label = f"{self.label} {text}".strip()
        lines = _lines_of(node)
        if self.label_line is None and lines:
            self.label_line = lines[0]

    def _element(self, node: nodes.Node) -> Iterator[Block]:
        from docutils import nodes

        if isinstance(node, (nodes.comment, nodes.system_message, nodes.substitution_definition, nodes.target,
                             nodes.raw, nodes.image, nodes.pending, nodes.title)):
            return
        if isinstance(node, (nodes.paragraph, nodes.rubric, nodes.line_block, nodes.attribution, nodes.caption)):
            yield from self._text(node, "paragraph")
            return
        if not isinstance(node, (nodes.container, nodes.Admonition)):
            yield from self._flush_label()
        if isinstance(node, nodes.section):
            yield from self._section(node)
        elif isinstance(node, (nodes.literal_block, nodes.doctest_block, nodes.math_block)):
            code = node.astext().strip("\n")
            if code.strip():
                yield self._block(code, "code", _lines_of(node))
        elif isinstance(node, nodes.table):
            yield from self._table(node)
        elif isinstance(node, (nodes.bullet_list, nodes.enumerated_list)):
            yield from self._list(node)
        elif isinstance(node, nodes.definition_list):
            yield from self._definitions(node)
        elif isinstance(node, nodes.field_list):
            yield from self._fields(node)
        elif isinstance(node, nodes.option_list):
            for item in node.children:
                yield self._block(one_line(item.astext()), "list_item", _lines_of(item))
        elif isinstance(node, nodes.Admonition):
            yield from self._admonition(node)
        elif "rag-directive" in node.get("classes", ()):
            yield from _with_trailers(list(self.of(node)) + list(self._flush_label(closing=True)))
        elif isinstance(node, nodes.Element):
            yield from self.of(node)

    def _section(self, node: nodes.section) -> Iterator[Block]:
        from docutils import nodes

        outer = self.heading
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        if title is not None and one_line(title.astext()):
            self.heading = one_line(title.astext())
            written = title.line - 1 if title.line else None  # docutils numbers a title by its underline
            yield self._block(self.heading, "heading", (written, written) if written else None)
        yield from self.of(node)
        self.heading = outer

    def _text(self, node: nodes.Element, kind: str) -> Iterator[Block]:
        from docutils import nodes

        text = one_line(node.astext()) if not isinstance(node, nodes.line_block) else node.astext().strip()
        if "rag-label" in node.get("classes", ()):
            if text:
                self._open_label(text, node)
            return
        if self.label:
            text, self.label = f"{self.label} {text}".strip(), ""
        if text:
            yield self._block(text, kind, _lines_of(node))

    def _flush_label(self, closing: bool = False) -> Iterator[Block]:
        """A label before a block that is no paragraph ("``netstat`` (Linux):" over code) as a block
        of its own; at the end of its directive (closing) without its colon ("Added in version 2.8"):
        a line ending no sentence, it is read with the text after it, not a passage of its own
        ("Waiting for Key Press Added in version 2.0." had been one, taking a place from the text)."""
        if self.label:
            text, self.label = (self.label.removesuffix(":") if closing else self.label), ""
            line = self.label_line
            yield self._block(text, "paragraph", (line, line) if line else None)

    def _table(self, node: nodes.table) -> Iterator[Block]:
        from docutils import nodes

        rows = list(node.findall(nodes.row))
        cells = [[one_line(entry.astext()) for entry in row.children if isinstance(entry, nodes.entry)] for row in rows]
        header_lines = None
        if rows and not any(cells[0]) and rows[0].parent.tagname == "thead":
            cells[0], header_lines = self._simple_table_header(rows, len(cells[0]))
        with_text = [row for row, texts in zip(rows, cells) if any(texts)]  # table_lines keeps just these
        for row, line in zip(with_text, table_lines(cells)):
            yield self._block(line, "table_row", header_lines if row is rows[0] and header_lines else _lines_of(row))

    def _simple_table_header(self, rows: list[nodes.row], columns: int) -> tuple[list[str], tuple[int, int] | None]:
        """The header row of a simple table whose first column is blank ("   Min   Max" over the
        rows' names): docutils takes such a row for the continuation of one before it and keeps no
        text, so it is read from the file, cut at the columns of the rule above it."""
        below = next((lines for row in rows[1:] if (lines := _lines_of(row))), None)
        if below is None:
            return [""] * columns, None
        rules = [n for n in range(below[0] - 2, max(below[0] - 8, -1), -1)
                 if n < len(self.source_lines) and _SIMPLE_RULE.fullmatch(self.source_lines[n])]
        if len(rules) < 2 or rules[0] - rules[1] < 2:
            return [""] * columns, None
        spans = [m.span() for m in re.finditer(r"=+", self.source_lines[rules[1]])]
        header = self.source_lines[rules[1] + 1 : rules[0]]
        cells = [one_line(" ".join(line[a : b if i + 1 < len(spans) else None] for line in header))
                 for i, (a, b) in enumerate(spans)][:columns]
        return cells, (rules[1] + 2, rules[0])  # 1-based lines between the two rules

    def _list(self, node: nodes.Element) -> Iterator[Block]:
        from docutils import nodes

        enumerated = isinstance(node, nodes.enumerated_list)
        start = int(node.get("start", 1)) if enumerated else 1
        for number, item in enumerate(node.children, start=start):
            marker = f"{number}. " if enumerated else ""
            yield from self._item(item, marker, "list_item")

    def _item(self, item: nodes.Node, marker: str, kind: str) -> Iterator[Block]:
        """An item's first paragraph opened by its marker, then the rest of it as blocks."""
        from docutils import nodes

        children = list(item.children) if isinstance(item, nodes.Element) else []
        if marker.strip():
            self._open_label(marker.strip(), item)
        if children and isinstance(children[0], nodes.paragraph):
            yield from self._text(children[0], kind)
            children = children[1:]
        for child in children:
            yield from self._element(child)
        yield from self._flush_label()

    def _definitions(self, node: nodes.definition_list) -> Iterator[Block]:
        from docutils import nodes

        for item in node.children:
            terms = [one_line(c.astext()) for c in item.children if isinstance(c, (nodes.term, nodes.classifier))]
            definition = next((c for c in item.children if isinstance(c, nodes.definition)), None)
            yield from self._opened(" : ".join(t for t in terms if t), item, definition)

    def _fields(self, node: nodes.field_list) -> Iterator[Block]:
        from docutils import nodes

        for field in node.children:
            name = next((one_line(c.astext()) for c in field.children if isinstance(c, nodes.field_name)), "")
            body = next((c for c in field.children if isinstance(c, nodes.field_body)), None)
            yield from self._opened(f"{name}:" if name else "", field, body)

    def _opened(self, label: str, item: nodes.Element, body: nodes.Element | None) -> Iterator[Block]:
        """A term's or a field's body, its first paragraph opened by the term ("timeout: Seconds to wait.")."""
        from docutils import nodes

        if label:
            self._open_label(label, item)
        children = list(body.children) if body is not None else []
        if children and isinstance(children[0], nodes.paragraph):
            yield from self._text(children[0], "paragraph")
            children = children[1:]
        else:
            yield from self._flush_label()
        for child in children:
            yield from self._element(child)

    def _admonition(self, node: nodes.Element) -> Iterator[Block]:
        from docutils import nodes

        title = next((one_line(c.astext()) for c in node.children if isinstance(c, nodes.title)), None)
        self._open_label(f"{title or _ADMONITIONS.get(node.tagname, node.tagname.capitalize())}:", node)
        for child in node.children:
            if not isinstance(child, nodes.title):
                yield from self._element(child)
        yield from self._flush_label()


TRAILER_WORDS = 8  # "Default: ``False``" closing an API entry


def _with_trailers(blocks: list[Block]) -> list[Block]:
    """A directive's blocks, a short last paragraph ("Default: False") joined to the paragraph
    before it: alone it led into the next entry, so SESSION_COOKIE_SECURE's default was read with
    SESSION_COOKIE_SAMESITE's text."""
    joined: list[Block] = []
    for block in blocks:
        before = joined[-1] if joined else None
        if (before is not None and block.kind == before.kind == "paragraph" and before.lines and block.lines
                and len(block.text.split()) <= TRAILER_WORDS and not block.text.endswith(":")):
            joined[-1] = replace(before, text=f"{before.text} {block.text}", lines=(before.lines[0], block.lines[1]))
        else:
            joined.append(block)
    return joined


# Elements whose text runs over lines from the one docutils numbers them by (its raw text's lines).
_MULTILINE = ("paragraph", "literal_block", "doctest_block", "math_block", "line")


def _lines_of(node: nodes.Node) -> tuple[int, int] | None:
    """The (first, last) file lines of an element and what it holds, from the lines docutils gives
    its elements (None when it gives none)."""
    from docutils import nodes

    firsts, lasts = [], []
    for element in node.findall(nodes.Element):
        if element.line and not isinstance(element, nodes.title):
            raw = element.rawsource if element.tagname in _MULTILINE else ""
            firsts.append(element.line)
            lasts.append(element.line + raw.strip("\n").count("\n"))
    return (min(firsts), max(lasts)) if firsts else None
