"""HTML with trafilatura: the main text of a page, without menus, scripts, sidebars or footers.

trafilatura is a maintained, widely used main-text extractor, and it keeps structure: headings, paragraphs, list items and table
rows come back as XML elements, so each becomes a block and headings label what follows them.
A page trafilatura finds no main text in falls back to all its visible text, one block a line.

Three repairs around it. Before: prose written straight into <body> or a <div> between blocks (old
hand-written pages) is put in paragraphs, as a browser shows it, since trafilatura keeps only text
inside elements. After: nested structure (a list inside a list item, a paragraph in a table cell)
gives each piece of text once, in the innermost block that holds it. And a page whose list items
link words inside prose (an API reference's parameter types) is read again with those links as
text, kept when that reading loses no word of the first.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from rag.readers.base import (
    Block, ReadResult, Unreadable, decode_bytes, file_bytes, looks_binary, one_line, single_byte_western, small_int,
)

if TYPE_CHECKING:
    from lxml.etree import _Element
    from lxml.html import HtmlElement

NO_MAIN_TEXT = "no main text found"  # the warning of a page read whole (rag.readers.epub looks for it)

_BLOCK_TAGS = {"head": "heading", "p": "paragraph", "item": "list_item", "code": "code", "quote": "paragraph"}
# Inside a text block, these end the text before them and are blocks of their own (a list in a list item).
_NESTED_BLOCKS = {"head", "list", "table"}
# In a container (the document, a list, a table) every element but inline ones is read on its own.
_IN_CONTAINERS = {*_BLOCK_TAGS, *_NESTED_BLOCKS, "row", "main", "comments"}
# trafilatura's elements whose edges are word boundaries even when the page has no space there.
_SPACED = {"p", "lb", "item", "cell", "row", "head", "list", "table"}
# HTML elements that start a block; text between them directly in a container is an anonymous paragraph.
_HTML_BLOCKS = {
    "address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
    "hr", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "table", "ul",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Where a site keeps what is not the text: its navigation, sidebar and footer, and a header.
_PAGE_FRAME = ("nav", "aside", "footer")
_PAGE_PARTS = ("header", *_PAGE_FRAME)
_HIDDEN = "ancestor::script or ancestor::style or ancestor::noscript or ancestor::template or ancestor::svg"
_TEXINFO_LINKS = re.compile(r"^\s*(?:Next|Previous|Prev|Up):", re.IGNORECASE)
# trafilatura drops any element whose text is one of a list of share-button words ("Print", "PDF",
# "Email", "Google", ...); in documentation such a word is a table cell or a list item of its own
# ("Print | Ctrl+P", "• PDF"). A word joiner after it (removed again from every block) keeps it.
_WORD_JOINER = "\u2060"
_LONE_WORD_HOLDERS = ("li", "td", "th", "dt", "dd", "p")
_HTML_CONTAINERS = ("body", "div", "section", "article", "main", "center", "blockquote", "font")
MIN_KNOWN_ROW_CHARACTERS = 20
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_READ_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "windows-1252", "cp1252"}


def read_html(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of the page's main content, each under its nearest heading (from `data` when given,
    else from the file).

    Raises:
        Unreadable: the file cannot be read or holds no text.
    """
    import trafilatura

    data = file_bytes(path, data)
    if looks_binary(data) and _utf16_markup(data) is None:
        raise Unreadable(f"binary data, not HTML; {BINARY_FIX}")
    markup = _as_page(_decoded(data))
    limit = _parser_limit(markup)
    if limit is not None:
        return _flat_result(markup, name, limit)
    page = _page(markup)
    blocks = _main_blocks(page, favor_recall=True)
    unlinked = _with_item_links_as_text(page, blocks)
    if unlinked is not None:
        more = _main_blocks(unlinked, favor_recall=True)
        if _words(blocks) <= _words(more):
            page, blocks = unlinked, more
    if b"<table" in data.lower() and not any(b.kind == "table_row" for b in blocks):
        blocks = _with_tables(blocks, _main_blocks(page, favor_recall=False))
    blocks = _with_title_heading(page, blocks)
    warnings: list[str] = []
    if not blocks:
        text = trafilatura.html2txt(markup) or _visible_text(markup)
        blocks = [Block(line) for line in (one_line(t) for t in text.split("\n")) if line]
        if blocks:
            warnings.append(f"{name}: {NO_MAIN_TEXT}; indexed all of the page's visible text")
    if not blocks:
        raise Unreadable("no text in the page")
    return ReadResult("html", tuple(blocks), tuple(warnings))


BINARY_FIX = "save the page again from its browser or source, or give the file the extension of what it holds"

_PAGE_START = re.compile(rb"<(html|head|!doctype)[\s>]", re.IGNORECASE)


def _as_page(markup: str | bytes) -> str | bytes:
    """A fragment (a snippet opening with <h2>, <p> or <body>, no <html> or <head>) inside an
    <html> element: parsed bare, its blocks ran into one paragraph without headings."""
    sample = markup[:65536]
    if _PAGE_START.search(sample if isinstance(sample, bytes) else sample.encode("utf-8", "replace")):
        return markup
    return b"<html>" + markup + b"</html>" if isinstance(markup, bytes) else "<html>" + markup + "</html>"


def _utf16_markup(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for UTF-16 markup, with a byte order mark or without one (its
    first character a "<"), else None: a page in a non-Latin script has too few NUL bytes for
    base.looks_binary to call it text, and one without a mark is valid UTF-8, NULs and all."""
    sample = data[:1024]
    sample = sample[: len(sample) - len(sample) % 2]
    if b"\x00" not in sample:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        if sample.decode(encoding, errors="replace").lstrip(" \t\r\n\ufeff")[:1] == "<":
            return encoding
    return None


def _parser_limit(markup: str | bytes) -> str | None:
    """Why the HTML parser stops before the end of the page, or None when it reads it all.

    libxml2 stops at a resource limit (elements nested over 255 deep, a text over 10 MB) and keeps
    only what it read before: the rest of the page was lost without a word. lxml's huge_tree only
    raises the limits, so such a page is read as flat text instead (see _flat_result). One parse,
    in linear time: libxml2 gives up at the limit."""
    import lxml.html
    from lxml import etree

    if isinstance(markup, str):
        source, encoding = markup.encode("utf-8", "surrogatepass"), "utf-8"
    else:
        source, encoding = markup, None  # libxml2 finds a byte order mark or a declared charset
    parser = lxml.html.HTMLParser(encoding=encoding, collect_ids=False, remove_comments=True, remove_pis=True)
    try:
        etree.fromstring(source, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        pass
    for entry in parser.error_log:
        if entry.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT or "XML_PARSE_HUGE" in entry.message:
            depth = _EXCESSIVE_DEPTH.search(entry.message)
            if depth:
                return f"elements nested more than {int(depth.group(1)) - 1} deep, past the HTML parser's limit"
            return "a text or tag larger than the HTML parser's size limit"
    return None


_EXCESSIVE_DEPTH = re.compile(r"depth[^0-9]*([0-9]+)", re.IGNORECASE)


_NOT_SHOWN = re.compile(r"<(script|style|noscript|template)\b[^<>]*>|<!--", re.IGNORECASE)
_LINE_TAG = re.compile(
    rf"</?(?:{'|'.join(sorted(_HTML_BLOCKS | {'br', 'tr', 'body', 'head', 'title', 'html'}))})(?![A-Za-z0-9:-])[^<>]*>",
    re.IGNORECASE)
_CELL_TAG = re.compile(r"</?t[dh](?![A-Za-z0-9:-])[^<>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>|<\?[^<>]*>")


def _flat_result(markup: str | bytes, name: str, limit: str) -> ReadResult:
    """The page's text with its tags stripped, one block a line (a block element or a line break
    ends one), for a page the HTML parser cannot read to its end (`limit` says why).

    Raises:
        Unreadable: the page holds no text.
    """
    lines = (one_line(line) for line in _flat_text(markup).split("\n"))
    blocks = tuple(Block(line) for line in lines if line)
    if not blocks:
        raise Unreadable(f"no text in the page ({limit})")
    return ReadResult("html", blocks, (
        f"{name}: {limit}; indexed all of the page's text with its tags stripped, without headings, lists or tables",))


def _flat_text(markup: str | bytes) -> str:
    """The page's text without scripts, styles and comments and with its tags stripped, block
    elements and line breaks as line ends, entities decoded. Each regular expression stops at the
    next "<" or ">" and each search starts where the last ended: linear time on any page."""
    import html

    text = markup if isinstance(markup, str) else decode_bytes(markup)[0]
    shown: list[str] = []
    position = 0
    while (start := _NOT_SHOWN.search(text, position)) is not None:
        shown.append(text[position:start.start()])
        if start.group(1) is None:
            end = text.find("-->", start.end())
            position = len(text) if end < 0 else end + 3
        else:
            close = re.compile(rf"</{start.group(1)}\s*>", re.IGNORECASE).search(text, start.end())
            position = len(text) if close is None else close.end()  # unclosed: a browser shows nothing after it
    shown.append(text[position:])
    text = _CELL_TAG.sub(" ", _LINE_TAG.sub("\n", "".join(shown)))
    return html.unescape(_ANY_TAG.sub("", text))


def _decoded(data: bytes) -> str | bytes:
    """A page that is not UTF-8 as text in the charset it declares (a stray byte replaced), with a
    declared Latin-1 or ASCII read as Windows-1252 as browsers do (its € ’ — are common in such
    pages), and one that declares nothing read as Windows-1252 when it looks like it. trafilatura's
    own detection guessed such pages wrong (Windows-1250 for Windows-1252, EUC-KR for UTF-8 with one
    stray byte), so it only decodes a page that declares nothing and is not Western text. UTF-16
    markup is decoded here: without a byte order mark it passed for UTF-8 and was read as mojibake."""
    utf16 = _utf16_markup(data)
    if utf16 is not None:
        return data.decode(utf16, errors="replace").removeprefix("\ufeff")
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    declared = _DECLARED_CHARSET.search(data[:4096])
    if not declared:
        return data.decode("cp1252", errors="replace") if single_byte_western(data) else data
    charset = (declared.group(1) or declared.group(2)).decode("ascii").lower()
    try:
        return data.decode("cp1252" if charset in _READ_AS_CP1252 else charset, errors="replace")
    except LookupError:
        return data


def _page(data: str | bytes) -> HtmlElement | str | bytes:
    """The page parsed as trafilatura parses it, with prose that sits directly in <body> or a <div>
    beside blocks put in paragraphs: trafilatura reads only text inside elements, so it would lose it.
    The markup itself when trafilatura parses no page (a fragment)."""
    from trafilatura.utils import load_html

    root = load_html(data)
    if root is None:
        return data
    _drop_manual_navigation(root)
    _drop_navigation_landmarks(root)
    _drop_permalinks(root)
    _drop_empty_links(root)
    _keep_boxed_prose(root)
    _keep_facts(root)
    _superscripts_apart(root)
    _captions_as_paragraphs(root)
    _admonitions_as_text(root)
    _credits_as_paragraphs(root)
    _reveal_article_text(root)
    _numbered_list_items(root)
    _drop_tables_of_contents(root)
    _definitions_of_blocks(root)
    _preformatted_as_code(root)
    _row_spans_repeated(root)
    for paragraph in list(root.iter("p")):
        if _paragraph_breaks(list(paragraph)):  # <br><br> in a <p>: a blank line, as a browser shows it
            paragraph.tag = "div"
            _wrap_bare_text(paragraph)
    for container in list(root.iter(*_HTML_CONTAINERS)):
        if any(_is_html_block(child) for child in container) or _div_of_prose(container):
            _wrap_bare_text(container)
    _mark_main_text(root)
    _keep_lone_words(root)
    return root


def _definitions_of_blocks(root: _Element) -> None:
    """A list of definitions holding paragraphs or code (Sphinx's entries of a module's functions:
    each one's description, examples, notes) read as its terms and blocks in order: trafilatura ran
    a <dd>'s paragraphs and code into one line ("... routines. Example: >>> os.environ['TZ'] = ...
    >>> time.tzset() ..."), and a <dd> alone made a <div> put the terms of a list inside it first.
    Their links are text: Sphinx links every name it can, and a <div>'s paragraph dense in links is
    dropped as navigation."""
    for listing in list(root.iter("dl")):
        items = [child for child in listing if child.tag in ("dt", "dd")]
        if not any(item.tag == "dd" and any(_is_html_block(c) for c in item) for item in items):
            continue
        listing.tag = "div"
        for item in items:
            item.tag = "p" if item.tag == "dt" else "div"
            for link in list(item.iter("a")):  # cross-references, which trafilatura's link density
                link.drop_tag()                 # test drops a <div>'s paragraph for


def _keep_lone_words(root: _Element) -> None:
    from trafilatura.utils import RE_FILTER

    for element in root.iter(*_LONE_WORD_HOLDERS):
        text = element.text_content().strip()
        if "\n" in text or not RE_FILTER.match(text):
            continue
        if len(element):
            element[-1].tail = (element[-1].tail or "") + _WORD_JOINER
        else:
            element.text = (element.text or "").rstrip() + _WORD_JOINER


def _drop_manual_navigation(root: _Element) -> None:
    """Texinfo's HTML (GNU manuals, much of /usr/share/doc) opens every node with a link bar
    ("Next: Basic Elements, Previous: Top, Up: Top [Contents]") and lists its subsections in a
    menu table ("• Description"): neither says anything, both would be passages of their own. Only
    in pages Texinfo made (its generator tag says so): elsewhere a "menu" table may list an editor's
    menu commands."""
    generators = " ".join(root.xpath("//meta[@name='Generator' or @name='generator']/@content")).lower()
    if "makeinfo" not in generators and "texi2any" not in generators:
        return
    for element in list(root.iter("div", "p", "table")):
        classes = set((element.get("class") or "").split())
        if element.tag == "table" and "menu" in classes:
            element.drop_tree()
        elif classes & {"header", "nav-panel"} and _TEXINFO_LINKS.match(element.text_content()):
            element.drop_tree()


def _drop_navigation_landmarks(root: _Element) -> None:
    """An element whose ARIA role is navigation (Sphinx's sidebar and relation bars): on a page of
    little text trafilatura kept it, and Python's FAQ index was its sidebar ("Previous topic ...
    Report a Bug Show Source")."""
    for landmark in root.xpath("//*[@role='navigation']"):
        landmark.drop_tree()


_TABLE_OF_CONTENTS = ("//div[contains(concat(' ', normalize-space(@class), ' '), ' toc ')][dl]"  # DocBook's
                      "|//*[contains(concat(' ', normalize-space(@class), ' '), ' toctree-wrapper ')]"  # Sphinx's
                      "|//nav[contains(concat(' ', normalize-space(@class), ' '), ' contents ')]"  # docutils' contents
                      "|//div[contains(concat(' ', normalize-space(@class), ' '), ' contents ')"
                      " and contains(concat(' ', normalize-space(@class), ' '), ' topic ')]")


_CONTENTS_LINK_SHARE = 0.8  # a table of contents is links, but for its title ("Table of Contents")


def _drop_tables_of_contents(root: _Element) -> None:
    """A page's table of contents: its entries are the page's headings again (the Debian
    Reference's "Table of Contents" and its twelve entries were passages before its preface). One
    that is not mostly links is kept: Sphinx's single-page build puts whole documents in one."""
    for contents in root.xpath(_TABLE_OF_CONTENTS):
        if contents.getparent() is None:
            continue
        words = len("".join(contents.itertext()).split())
        linked = sum(len("".join(link.itertext()).split()) for link in contents.iter("a"))
        if words and linked >= _CONTENTS_LINK_SHARE * words:
            contents.drop_tree()


def _drop_empty_links(root: _Element) -> None:
    """A link that shows nothing (DocBook marks every heading and index term with `<a id=...></a>`):
    beside a heading inside a <main>, it made trafilatura drop every heading of the page (all 11
    of a Debian Administrator's Handbook page)."""
    for link in list(root.iter("a")):
        if not len(link) and not (link.text or "").strip():
            link.drop_tree()  # lxml keeps the tail text


_SIDEBAR = re.compile(r"sidebar", re.IGNORECASE)
MIN_BOXED_PROSE_WORDS = 20


def _keep_boxed_prose(root: _Element) -> None:
    """A box of prose set in the running text under a "sidebar" class (DocBook's side notes: "BACK TO
    BASICS", "TOOL", "CULTURE" in a handbook) is text, not a site's sidebar, which trafilatura drops
    by that class: it is kept when it sits among paragraphs and is not mostly links."""
    for box in list(root.iter("div", "section", "p", "span")):
        named = [attribute for attribute in ("class", "id") if _SIDEBAR.search(box.get(attribute) or "")]
        if not named:
            continue
        parent = box.getparent()
        if parent is None or not any(
            sibling is not box and (sibling.tag == "p" or "para" in (sibling.get("class") or "").split())
            for sibling in parent
        ):
            continue
        words, linked = _words_and_linked(box)
        if words >= MIN_BOXED_PROSE_WORDS and linked * 3 < words:
            for attribute in named:
                box.set(attribute, _SIDEBAR.sub("side-note", box.get(attribute) or ""))


# Class and id words trafilatura takes for a page's chrome that name facts of the text as often: a
# figure's caption (mdBook's span.caption), a version note (Node's div.api_metadata: "Added in:
# v0.7.0"), an article's author and byline.
_FACT_CLASS = re.compile(r"caption|meta|author|byline", re.IGNORECASE)


def _keep_facts(root: _Element) -> None:
    """Boxes whose class or id names a caption, metadata, an author or a byline are text when they
    are not mostly links and stand outside the page's navigation, sidebar and footer: their class
    word is renamed, so trafilatura does not drop them by it."""
    for box in list(root.iter("div", "section", "p", "span", "details")):
        named = [attribute for attribute in ("class", "id") if _FACT_CLASS.search(box.get(attribute) or "")]
        if not named or any(ancestor.tag in _PAGE_FRAME for ancestor in box.iterancestors()):
            continue
        words, linked = _words_and_linked(box)
        if words and linked * 2 < words:
            for attribute in named:
                box.set(attribute, _FACT_CLASS.sub("fact", box.get(attribute) or ""))
            if box.tag == "div" and not any(_is_html_block(child) for child in box):
                box.tag = "p"  # a box of spans alone (Node's "Added in: v0.7.0"): trafilatura dropped 76 of 99 on a long page


def _words_and_linked(element: _Element) -> tuple[int, int]:
    """The element's words, and those of them in links: a box mostly of links is a site's chrome."""
    words = len(element.text_content().split())
    return words, sum(len(link.text_content().split()) for link in element.iter("a"))


_PERMALINK_MARKS = {"", "#", "¶", "§", "🔗", "⚓"}
_PERMALINK_WORDS = {"link", "permalink", "anchor"}
_PERMALINK_HOSTS = {"h1", "h2", "h3", "h4", "h5", "h6", "dt", "caption", "figcaption"}
_PERMALINK_CLASS = re.compile(r"headerlink|permalink|anchor|mark", re.IGNORECASE)


def _drop_permalinks(root: _Element) -> None:
    """A heading's link to itself, shown as a mark ("C++ addons#" in Node's docs, "Copyright¶" in
    Sphinx's): the mark would end the heading every passage under it is cited by. A word ("link")
    is such a mark only when the link's class or title says so; and the heading must keep some text
    without it (a heading that is nothing but a link to itself stays)."""
    for link in list(root.iter("a")):
        shown = "".join(link.itertext()).strip()
        marked = f"{link.get('class') or ''} {link.get('title') or ''}"
        if not ((link.get("href") or "").startswith("#") and (
                shown in _PERMALINK_MARKS or (shown.lower() in _PERMALINK_WORDS and _PERMALINK_CLASS.search(marked)))):
            continue
        host = next((a for a in link.iterancestors() if a.tag in _PERMALINK_HOSTS), None)
        if host is not None and "".join(host.itertext()).replace(shown, "", 1).strip():
            link.drop_tree()  # lxml keeps the tail text


def _captions_as_paragraphs(root: _Element) -> None:
    """A figure's caption and a table's caption as paragraphs ("Figure 2: The pump draws 40 W"),
    a figure as a plain box: trafilatura drops a <figure> whole, and reads a <caption> as a row
    of one cell. A table's caption is put just before its table."""
    for caption in list(root.iter("caption")):
        table = caption.getparent()
        if table is None or table.getparent() is None:
            continue
        paragraph = root.makeelement("p", {})
        paragraph.text = caption.text_content()
        caption.drop_tree()
        table.addprevious(paragraph)
    for element in root.iter("figure", "figcaption"):
        element.tag = "div" if element.tag == "figure" else "p"


# DocBook's title page sets its authors, editors and other credits in headings of these classes
_CREDIT_CLASSES = frozenset({"author", "editor", "othercredit", "corpauthor", "collab", "byline"})


_ADMONITIONS = ("note", "tip", "warning", "caution", "important")


def _admonitions_as_text(root: _Element) -> None:
    """DocBook's note, tip or warning box, a layout table of an icon, its label and its text, read
    as its text opened by the label ("Tip: The terminal feature of Ctrl-S can be disabled ..."): its
    first row had been a table row "| Tip" ending the passage before, apart from the tip."""
    for box in root.xpath("//div[" + " or ".join(f"@class='{kind}'" for kind in _ADMONITIONS) + "][table]"):
        table = box.find("table")
        label = (table.get("summary") or "").strip()
        text = box.makeelement("div", {})
        for cell in list(table.iter("td")):
            if cell.find(".//img") is not None or not "".join(cell.itertext()).strip():
                continue  # the icon
            if len(cell):
                text.extend(cell)
            else:
                text.append(_paragraph_of(box, cell.text or ""))
        first = next(text.iter("p"), None)
        if label and first is not None:
            first.text = f"{label}: {first.text or ''}"
        table.getparent().replace(table, text)


def _paragraph_of(parent: _Element, words: str) -> _Element:
    paragraph = parent.makeelement("p", {})
    paragraph.text = words
    return paragraph


def _credits_as_paragraphs(root: _Element) -> None:
    """A heading that names a document's author (DocBook's <h3 class="author">Joey Hess</h3>) is
    a line of its title page, not a section: the licence notice after it was cited under "David
    Mandelberg"."""
    for heading in root.iter(*_HEADINGS):
        if _CREDIT_CLASSES & set((heading.get("class") or "").lower().split()):
            heading.tag = "p"


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _reveal_article_text(root: _Element) -> None:
    """Text a reader of the article sees or opens with a click, which trafilatura drops: a heading
    written as a button (an FAQ's accordion) or wrapped in a link, an <aside> of the text (a
    note, a footnote), and, inside <main> or <article>, a collapsed answer or a hidden tab."""
    for button in list(root.xpath("//button[ancestor::h1 or ancestor::h2 or ancestor::h3 or ancestor::h4 "
                                  "or ancestor::h5 or ancestor::h6 or ancestor::summary or ancestor::dt]")):
        button.drop_tag()
    for link in list(root.xpath("//a[h1 or h2 or h3 or h4 or h5 or h6 or p or div]")):
        link.drop_tag()
    for aside in list(root.iter("aside")):
        if _aside_of_the_text(aside):
            aside.tag = "div"
    for element in root.xpath("//*[ancestor-or-self::article or ancestor-or-self::main][@hidden or @style]"):
        if "hidden" in element.attrib:
            del element.attrib["hidden"]
        style = element.get("style")
        if style and _HIDDEN_STYLE.search(style):
            element.set("style", _HIDDEN_STYLE.sub("", style))


_NOTE_ROLE = re.compile(r"footnote|endnote|rearnote|note", re.IGNORECASE)


def _aside_of_the_text(aside: _Element) -> bool:
    """An <aside> that belongs to the text: in an article or <main>, a footnote (EPUB 3 marks
    them `epub:type="footnote"`, or `role="doc-footnote"`), or a note set among the text's
    paragraphs that is not mostly links; not a site's sidebar."""
    if any(ancestor.tag in ("article", "main") for ancestor in aside.iterancestors()):
        return True
    if _NOTE_ROLE.search(f"{aside.get('epub:type') or ''} {aside.get('role') or ''}"):
        return True
    parent = aside.getparent()
    words, linked = _words_and_linked(aside)
    return parent is not None and words > 0 and linked * 2 < words and any(
        sibling.tag == "p" for sibling in parent if sibling is not aside)


def _row_spans_repeated(root: _Element) -> None:
    """A cell spanning rows (`rowspan="2"`) repeated in each row it spans, as the Word reader
    repeats a merged cell: each row is a passage sentence of its own, and "| Weekends | 06:30"
    no longer says which route it is."""
    for table in root.iter("table"):
        spanning: dict[int, tuple[_Element, int, int]] = {}  # column -> (cell, rows it still spans, its columns)
        for row in table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr"):
            cells = [cell for cell in row if cell.tag in ("td", "th")]
            placed: list[_Element] = []
            column = 0
            for cell in [*cells, None]:
                while column in spanning:
                    above, left, width = spanning.pop(column)
                    placed.append(copy.deepcopy(above))
                    if left > 1:
                        spanning[column] = (above, left - 1, width)
                    column += width
                if cell is None:
                    break
                placed.append(cell)
                rows, columns = _span(cell.get("rowspan")), _span(cell.get("colspan"))
                if rows > 1 and _data_cell(cell):
                    cell.attrib.pop("rowspan")
                    spanning[column] = (cell, rows - 1, columns)
                column += columns
            if len(placed) > len(cells):
                for cell in cells:
                    row.remove(cell)
                row.extend(placed)


MAX_REPEATED_CELL = 120  # characters: a data cell's label, not a layout table's column of text


def _data_cell(cell: _Element) -> bool:
    """A short cell of text: a layout table's cell holding the article, or navigation links, is
    not repeated down the rows it spans."""
    text = " ".join(cell.text_content().split())
    return 0 < len(text) <= MAX_REPEATED_CELL and not _only_links(cell) and not _holds_blocks(cell)


def _holds_blocks(element: _Element) -> bool:
    return any(_is_html_block(inner) for inner in element.iterdescendants())


def _span(value: str | None) -> int:
    return max(1, small_int(value, 1, limit=1000))


def _preformatted_as_code(root: _Element) -> None:
    """A <pre> without <code> in it gets one: trafilatura keeps the lines of code but reads a bare
    <pre> as a quotation run onto one line (a table set in <pre> lost its rows). A <pre> that holds
    headings, lists or paragraphs (an RFC's markup) is left to be read as the page's structure."""
    for pre in list(root.iter("pre")):
        for line_break in list(pre.iter("br")):
            line_break.tail = "\n" + (line_break.tail or "")  # trafilatura drops code after a <br>
            line_break.drop_tag()
        blocks = [inner for inner in pre.iterdescendants() if _is_html_block(inner)]
        if any(block.tag != "div" for block in blocks):
            continue
        _divs_as_lines(blocks)
        if pre.find(".//code") is not None:
            continue
        code = pre.makeelement("code", {})
        code.text, pre.text = pre.text, None
        for child in list(pre):
            code.append(child)
        pre.append(code)


def _divs_as_lines(divs: list[_Element]) -> None:
    """Each <div> inside a <pre> becomes lines of its own (a highlighter writes each line of code
    as a <div>): trafilatura would drop the blocks from code, or run them onto one line."""
    for div in divs:
        div.text = "\n" + (div.text or "")
        div.tail = "\n" + (div.tail or "")
        div.drop_tag()


_LETTER_TYPES = re.compile(r"alpha|roman|latin|greek|georgian|armenian|hebrew|cjk|hiragana|katakana", re.IGNORECASE)
_LETTERED = re.compile(_LETTER_TYPES.pattern + "|none|disc|circle|square")  # in a list's own class or style
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_LIST_STYLE = re.compile(r"list-style(?:-type)?\s*:([^;]*)", re.IGNORECASE)
_CSS_COMPOUND = re.compile(r"([a-z][a-z0-9]*)?((?:[.#][\w-]+)*)", re.IGNORECASE)
_Compound = tuple[str, set[str], str]


_ListRule = tuple[list[tuple[str, _Compound]], bool]  # a selector's chain, and whether its list type is letters


def _list_type_rules(root: _Element) -> list[_ListRule]:
    """The page's <style> rules that set a list's type to letters ("ol ol { list-style-type:
    lower-alpha }") or to decimal, in order: the last that matches a list decides. Only letters
    count; a list a stylesheet shows without markers may number it some other way (a counter in
    ::before). Selectors of tags, classes and ids joined by spaces or ">"; a rule with attributes or
    pseudo-classes, or for print, is not followed."""
    rules: list[_ListRule] = []
    for style in root.iter("style"):
        for selectors, body in _style_rules(style.text or ""):
            types = [value for value in _LIST_STYLE.findall(body) if _LETTER_TYPES.search(value) or "decimal" in value.lower()]
            if types:
                lettered = bool(_LETTER_TYPES.search(types[-1]))
                rules.extend((chain, lettered) for chain in map(_compounds, selectors.split(",")) if chain)
    return rules


def _lettered_by(rules: list[_ListRule], element: _Element) -> bool:
    return next((lettered for chain, lettered in reversed(rules) if _matches(element, chain)), False)


def _style_rules(css: str) -> list[tuple[str, str]]:
    """(selectors, declarations) of each rule of a stylesheet, in order, read in one pass; rules
    inside an @media block for print are left out."""
    css = _CSS_COMMENT.sub("", css)
    rules = []
    open_blocks: list[str] = []
    start = 0
    for brace in re.finditer(r"[{}]", css):
        if brace.group() == "{":
            open_blocks.append(css[start : brace.start()].strip())
        elif open_blocks:
            header = open_blocks.pop()
            printed = any(outer.lower().startswith("@media") and "print" in outer.lower() for outer in open_blocks)
            if not header.startswith("@") and not printed:
                rules.append((header, css[start : brace.start()]))
        start = brace.end()
    return rules


def _compounds(selector: str) -> list[tuple[str, _Compound]] | None:
    """A selector as (combinator, (tag, classes, id)) from outermost to innermost, the combinator
    " " or ">" joining each to the one before; None when it is not followed."""
    chain: list[tuple[str, _Compound]] = []
    combinator = " "
    for part in selector.replace(">", " > ").split():
        if part == ">":
            combinator = ">"
            continue
        match = _CSS_COMPOUND.fullmatch(part)
        if not match:
            return None
        names = re.findall(r"([.#])([\w-]+)", match.group(2))
        chain.append((combinator, ((match.group(1) or "").lower(), {n for kind, n in names if kind == "."},
                                   next((n for kind, n in names if kind == "#"), ""))))
        combinator = " "
    return chain or None


def _matches(element: _Element | None, chain: list[tuple[str, _Compound]]) -> bool:
    """Whether element matches the chain's last compound, and its parent (">") or an ancestor (" ")
    the one before, and so on."""
    if element is None or not chain or not _matches_one(element, chain[-1][1]):
        return False
    if len(chain) == 1:
        return True
    combinator, rest = chain[-1][0], chain[:-1]
    parent = element.getparent()
    if combinator == ">":
        return _matches(parent, rest)
    while parent is not None:
        if _matches(parent, rest):
            return True
        parent = parent.getparent()
    return False


def _matches_one(element: _Element, compound: _Compound) -> bool:
    tag, classes, identifier = compound
    return ((not tag or element.tag == tag) and classes <= set((element.get("class") or "").split())
            and (not identifier or element.get("id") == identifier))


def _numbered_list_items(root: _Element) -> None:
    """Each item of a numbered list (<ol>) opens with its number, as a browser shows it ("3. Connect
    the brown wire ..."): the text refers to steps by number ("if step 3 fails")."""
    rules = _list_type_rules(root)
    for ordered in root.iter("ol"):
        items = ordered.findall("li")
        styled = f"{ordered.get('class') or ''} {ordered.get('style') or ''}".lower()
        if ((ordered.get("type") or "1") != "1" or _LETTERED.search(styled)
                or _lettered_by(rules, ordered) or (items and _lettered_by(rules, items[0]))
                or all(_only_links(item) for item in items)):
            continue  # letters or roman numerals; or a menu of links, whose numbers say nothing
        step = -1 if "reversed" in ordered.attrib else 1
        number = small_int(ordered.get("start"), len(items) if step < 0 else 1)
        for item in items:
            number = small_int(item.get("value"), number)
            item.text = f"{number}. {(item.text or '').lstrip()}"
            number += step


def _only_links(item: _Element) -> bool:
    """Whether all of a list item's text is in links (a table of contents, a version picker)."""
    linked = "".join("".join(link.itertext()) for link in item.iter("a"))
    return "".join(item.itertext()).split() == linked.split()


_FOOTNOTE_CLASS = re.compile(r"foot|note|ref|\bfn", re.IGNORECASE)


def _superscripts_apart(root: _Element) -> None:
    """A footnote mark (a linked <sup>, or one classed as a note) left out, any other superscript
    written "^2": trafilatura ran them into the number before them ("opened in 1932<sup>2</sup>"
    read "opened in 19322", "10<sup>6</sup>" read "106")."""
    for link in list(root.iter("a")):  # EPUB 3's and ARIA's note references and back-links ("↩︎")
        role = f"{link.get('epub:type') or ''} {link.get('role') or ''} {link.get('class') or ''}"
        if _NOTE_LINK.search(role):
            if any(parent.tag in _HEADINGS for parent in link.iterancestors()):
                link.drop_tag()  # Sphinx's heading linking back to the page's contents: the heading's words
            else:
                link.drop_tree()
    for sup in list(root.iter("sup")):
        text = sup.text_content().strip()
        if sup.find(".//a") is not None or _FOOTNOTE_CLASS.search(sup.get("class") or ""):
            sup.drop_tree()
        elif text and not text.startswith(("[", "^")):
            sup.text = "^" + (sup.text or "").lstrip()
            sup.drop_tag()


_NOTE_LINK = re.compile(r"noteref|backlink|footnote-back|footnote-ref", re.IGNORECASE)


def _outside_layout(element: _Element, body: _Element) -> bool:
    """Whether element stands in body itself or in plain <div>/<section> boxes in it, not in a layout
    table (whose pages trafilatura reads better as they are)."""
    parent = element.getparent()
    while parent is not None and parent is not body:
        if parent.tag not in ("div", "section"):
            return False
        parent = parent.getparent()
    return parent is body


def _mark_main_text(root: _Element) -> None:
    """A page with headings but no <main> or <article> (Texinfo's, many hand-written ones) has its
    body's content put in a <main>: without one trafilatura may find no container of the main text
    and keep its paragraphs but none of its headings."""
    from trafilatura.xpaths import BODY_XPATH

    body = root.find("body")
    if body is None or any(next(iter(expression(root)), None) is not None for expression in BODY_XPATH):
        return  # the page has a container trafilatura recognises (<main>, <article>, id="main", ...)
    if not any(_outside_layout(heading, body) for heading in body.iter(*_HEADINGS)):
        return
    main = body.makeelement("main", {})
    main.text, body.text = body.text, None
    children = list(body)
    inside = [child for child in children if child.tag not in _PAGE_PARTS]
    for child in inside:
        main.append(child)  # the site's own header, navigation, sidebar and footer stay outside
    body.insert(children.index(inside[0]) if inside else len(body), main)


def _div_of_prose(element: _Element) -> bool:
    """A <div> with text of its own, not only in inline children (a styled label, a link bar): a
    paragraph written without <p>, whose text up to its first inline element trafilatura drops."""
    own = [element.text or "", *(child.tail or "" for child in element)]
    return element.tag == "div" and any(character.isalnum() for text in own for character in text)


def _is_html_block(element: _Element) -> bool:
    return isinstance(element.tag, str) and element.tag in _HTML_BLOCKS


def _wrap_bare_text(container: _Element) -> None:
    """Each run of text and inline elements between the container's blocks, when it holds a letter or
    digit, becomes a <p> in its place (what a browser shows as a paragraph of its own)."""
    children = list(container)
    lead, container.text = container.text, None
    for child in children:
        container.remove(child)  # lxml moves the tail with its element
    breaks = _paragraph_breaks(children)
    run: list[_Element] = []
    for index, child in enumerate([*children, None]):
        if index in breaks:
            _append_run(container, lead or "", run)
            run, lead = [], child.tail  # type: ignore[union-attr]  # breaks index children
            continue
        if child is not None and not _is_html_block(child):
            run.append(child)
            continue
        _append_run(container, lead or "", run)
        run = []
        if child is not None:
            lead, child.tail = child.tail, None
            container.append(child)


def _paragraph_breaks(children: list[_Element]) -> set[int]:
    """Indexes of line breaks two or more in a row (`<br><br>`, nothing but space between): where a
    page without <p> ends a paragraph, as a browser shows it (a blank line)."""
    breaks: set[int] = set()
    for index in range(1, len(children)):
        previous, child = children[index - 1], children[index]
        if child.tag == "br" and previous.tag == "br" and not (previous.tail or "").strip():
            breaks.update((index - 1, index))
    return breaks


def _append_run(container: _Element, lead: str, run: list[_Element]) -> None:
    text = lead + "".join("".join(element.itertext()) + (element.tail or "") for element in run)
    if any(character.isalnum() for character in text):
        paragraph = container.makeelement("p", {})
        paragraph.text = lead
        paragraph.extend(run)
        container.append(paragraph)
        return
    last = next(container.iterchildren(reversed=True), None)  # len() counts every child: slow in a long run
    if last is not None:
        last.tail = lead
    else:
        container.text = lead
    container.extend(run)


def _main_blocks(page: HtmlElement | str | bytes, *, favor_recall: bool) -> list[Block]:
    import trafilatura

    _without_quadratic_union()
    source = page if isinstance(page, (str, bytes)) else copy.deepcopy(page)  # trafilatura prunes the tree it gets
    xml = trafilatura.extract(
        source, output_format="xml", include_tables=True, include_comments=False,
        include_formatting=False, favor_recall=favor_recall, with_metadata=False,
    )
    return _xml_blocks(xml) if xml else []


@functools.cache
def _without_quadratic_union() -> None:
    """trafilatura's strip_double_tags finds its elements with the XPath union ".//head | .//code |
    .//p", which libxml2 merges in time quadratic in the matches: 11 s of the 26 s trafilatura took
    on Node's 8 MB all.html (47,590 matches). The same elements in the same (document) order, walked
    in linear time; what the function then does is unchanged."""
    import trafilatura.xml

    def strip_double_tags(tree: _Element) -> _Element:
        for element in reversed(list(tree.iterdescendants("head", "code", "p"))):
            for inner in element.iterdescendants("code", "head", "p"):
                if inner.tag == element.tag and inner.getparent().tag not in trafilatura.xml.NESTING_WHITELIST:
                    trafilatura.xml.merge_with_parent(inner)
        return tree

    trafilatura.xml.strip_double_tags = strip_double_tags


def _with_tables(blocks: list[Block], precise: list[Block]) -> list[Block]:
    """Favouring recall, trafilatura drops some small tables (one with <th> header cells) that
    its precise reading keeps, while the precise reading drops headings and lists. The precise
    reading's table rows are put into the recall reading after the paragraph they follow there
    (at the end when it is not found), under that paragraph's heading; rows whose text the recall
    reading has already are not added again, nor one-cell rows: those are a layout table's, whose
    text the recall reading has as paragraphs."""
    merged = list(blocks)
    known = [_squeezed(block.text) for block in blocks]
    cursor = 0
    anchor: str | None = None
    run: list[Block] = []

    def place() -> None:
        nonlocal cursor
        at = next((i + 1 for i in range(cursor, len(merged)) if merged[i].text == anchor), len(merged))
        heading = merged[at - 1].heading if at else None
        merged[at:at] = [Block(row.text, row.page, heading, row.kind) for row in run]
        cursor = at + len(run)
        run.clear()

    for block in precise:
        if block.kind == "table_row":
            if " | " in block.text and not _known_row(_squeezed(block.text), known):
                run.append(block)
            continue
        if run:
            place()
        anchor = block.text
    if run:
        place()
    return merged


def _with_item_links_as_text(page: HtmlElement | str | bytes, blocks: list[Block]) -> HtmlElement | None:
    """A copy of the page whose list items that are mostly words keep their links as plain text;
    None when every such item is already in the blocks read.

    trafilatura drops a list whose text is much of it links, as it drops a site's menus; an API
    reference's parameter lists link every type ("path <string> A sequence of paths", Node.js) and
    went with them. A menu's items are links and nothing else, so they stay links."""
    if isinstance(page, (str, bytes)):
        return None
    read = _squeezed(" ".join(block.text for block in blocks))
    if all(_squeezed(item.text_content()) in read for item in page.iter("li") if _links_in_prose(item)):
        return None
    copied = copy.deepcopy(page)  # only for a page that needs it: a large page's tree is costly to copy
    for item in copied.iter("li"):
        if _links_in_prose(item):
            for link in item.findall(".//a"):
                link.drop_tag()
    return copied


def _links_in_prose(item: _Element) -> bool:
    """A list item with links that are at most half of its two or more words."""
    links = item.findall(".//a")
    words = len(item.text_content().split())
    return bool(links) and words >= 2 and 2 * sum(len(link.text_content().split()) for link in links) <= words


def _words(blocks: list[Block]) -> set[str]:
    return {word for block in blocks for word in block.text.split()}


def _with_title_heading(page: HtmlElement | str | bytes, blocks: list[Block]) -> list[Block]:
    """A page's one <h1>, which trafilatura takes for the page's title and leaves out of the main
    text, put back as the heading of the blocks it stands above. Not when it stands after the first
    of them, nor in a site's header, navigation, sidebar or footer (a site's name, not the text's
    title), nor when trafilatura kept it."""
    if isinstance(page, (str, bytes)) or not blocks:
        return blocks
    found = list(page.iter("h1"))
    if len(found) != 1 or _in_page_frame(found[0]):
        return blocks
    heading = found[0]
    title = one_line(_shown_text(heading))
    squeezed = _squeezed(title)
    if not squeezed or any(squeezed in _squeezed(b.text) for b in blocks if b.kind == "heading"):
        return blocks
    before = _squeezed(_shown_text_before(heading))
    if _squeezed(blocks[0].text)[:80] in before:
        return blocks
    first_heading = next((i for i, block in enumerate(blocks) if block.kind == "heading"), len(blocks))
    under = [Block(b.text, b.page, title, b.kind, b.span) for b in blocks[:first_heading]]
    return [Block(title, None, title, "heading"), *under, *blocks[first_heading:]]


def _in_page_frame(element: _Element) -> bool:
    """Whether an element sits in the page's navigation, sidebar or footer, or in a <header> that is
    not an article's own."""
    ancestors = [str(a.tag) for a in element.iterancestors()]
    if any(tag in _PAGE_FRAME for tag in ancestors):
        return True
    if "header" in ancestors:
        return not any(tag in ("article", "main") for tag in ancestors[ancestors.index("header"):])
    return False


def _shown_text(element: _Element) -> str:
    """The element's text as a browser shows it: without scripts, styles or an icon's <title>."""
    return "".join(element.xpath(f".//text()[not({_HIDDEN})]"))


def _shown_text_before(element: _Element) -> str:
    """The page body's shown text that comes before element."""
    return "".join(element.xpath(f"preceding::text()[ancestor::body][not({_HIDDEN})]")).replace(_WORD_JOINER, "")


def _known_row(row: str, known: list[str]) -> bool:
    """Whether the recall reading has the row already: as a block of its own, or (a row long
    enough not to match by chance, unlike "15" in "06:15") inside one."""
    return any(row == text or (len(row) >= MIN_KNOWN_ROW_CHARACTERS and row in text) for text in known)


def _squeezed(text: str) -> str:
    """Text without spaces or cell bars, to find a row's text however its cells were joined."""
    return "".join(text.replace("|", " ").split())


def _visible_text(data: str | bytes) -> str:
    """The text of a fragment (`<div>...</div>`, a bare `<p>`, plain text saved as .html), which
    trafilatura reads as no page at all: every element's text but scripts and styles, one line per
    element that ends in a line break or a block."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fromstring(data)
    except (etree.ParserError, ValueError):
        return ""
    for element in root.xpath("//script|//style|//noscript|//template"):
        element.drop_tree()
    for element in root.iter("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"):
        element.tail = "\n" + (element.tail or "")
    return root.text_content()


def _xml_blocks(xml: str) -> list[Block]:
    from lxml import etree

    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(recover=True))
    blocks: list[Block] = []
    _read_element(root, None, blocks)
    return blocks


def _read_element(element: _Element, kind: str | None, blocks: list[Block]) -> None:
    """Appends the element's text as blocks of `kind` (None: a container, whose loose text is a
    paragraph). A nested block (a list in a list item, a paragraph in <main>) is read on its own
    and ends the text before it, so each piece of text is in one block only."""
    nested = _NESTED_BLOCKS if kind else _IN_CONTAINERS
    pieces = [element.text or ""]
    for child in element:
        if child.tag in nested and not (kind is None and _inline_code(child)):
            _add(blocks, "".join(pieces), kind or "paragraph")
            pieces = []
            _read_nested(child, blocks)
        else:
            pieces.append(_inline_text(child))
        pieces.append(child.tail or "")
    _add(blocks, "".join(pieces), kind or "paragraph")


def _code_lines(text: str) -> str:
    """Preformatted text keeps its lines and the spaces that align its columns (a table set in
    <pre>, a command and its output), without blank lines or the indent all its lines share."""
    lines = [line.rstrip() for line in text.split("\n") if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
    return "\n".join(line[indent:] for line in lines)


def _inline_code(element: _Element) -> bool:
    """Code on one line that the text after it continues (`<code>'\\0'</code> is a null`): trafilatura
    leaves such inline code loose in <main> when it loses the start of its paragraph."""
    tail = (element.tail or "").lstrip(" \t")
    return element.tag == "code" and "\n" not in (element.text or "").strip() and bool(tail) and tail[0] != "\n"


def _read_nested(element: _Element, blocks: list[Block]) -> None:
    if element.tag == "row":
        _read_row(element, blocks)
    else:
        _read_element(element, _BLOCK_TAGS.get(str(element.tag)), blocks)


def _read_row(row: _Element, blocks: list[Block]) -> None:
    """A row of cells is one `cell | cell` block; a layout row, whose cells hold headings, lists or
    tables, is read cell by cell as the page's structure."""
    cells = [cell for cell in row if cell.tag == "cell"]
    if any(cell.find(f".//{tag}") is not None for cell in cells for tag in _NESTED_BLOCKS):
        for cell in cells:
            _read_element(cell, None, blocks)
        return
    text = " | ".join(one_line(_inline_text(cell)) for cell in cells)
    if text.strip(" |"):
        _add(blocks, text, "table_row")


def _inline_text(element: _Element) -> str:
    """The element's text without its tail, with a space at the edges of elements that are word
    boundaries (paragraphs in a list item, line breaks), where the page may have none."""
    text = (element.text or "") + "".join(_inline_text(child) + (child.tail or "") for child in element)
    return f" {text} " if element.tag in _SPACED else text


def _add(blocks: list[Block], text: str, kind: str) -> None:
    text = text.replace(_WORD_JOINER, "")
    text = _code_lines(text) if kind == "code" else one_line(text)
    if not text:
        return
    heading = text if kind == "heading" else (blocks[-1].heading if blocks else None)
    blocks.append(Block(text, None, heading, kind))
