"""Jupyter notebooks read by rag.readers.notebook: the cells as Jupyter shows them, not their JSON."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from rag import readers
from rag.chunking import chunk_document
from rag.cli import app
from rag.config import ChunkSettings
from rag.corpus import is_document, read_document
from rag.pipeline import hit_passage
from rag.readers.notebook import MAX_OUTPUT_CHARS
from rag.render import location
from rag.retrieval import Hit

runner = CliRunner()
IMAGE = base64.b64encode(bytes(range(256)) * 12).decode()


def markdown(*lines: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": [line + "\n" for line in lines]}


def code(source: str, *outputs: dict[str, Any], count: int | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": count, "metadata": {}, "source": source, "outputs": list(outputs)}


def result(text: str, count: int, **more: str) -> dict[str, Any]:
    return {"output_type": "execute_result", "execution_count": count, "metadata": {},
            "data": {"text/plain": text.splitlines(keepends=True), **more}}


def printed(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def figure() -> dict[str, Any]:
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": IMAGE, "text/plain": ["<Figure size 640x480 with 1 Axes>"]}}


def notebook(*cells: dict[str, Any]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3"}},
                       "cells": list(cells)}, indent=1)


CHURN = notebook(
    markdown("# Churn analysis", "", "We fit a logistic regression to predict which customers cancel within 90 days."),
    code("import pandas as pd\ndf = pd.read_csv('churn.csv')\ndf.shape", result("(7043, 21)", 1), count=1),
    markdown("## Results", "", "The model reaches an AUC of 0.84 on the held-out month.",
             f"![roc](data:image/png;base64,{IMAGE})"),
    code("print('accuracy', 0.803)\nplt.plot(x)", printed("accuracy 0.803\n"), figure(),
         result("[<matplotlib.lines.Line2D at 0x7f3a2c1b5d90>]", 2), count=2),
    code(""),
    code("model.fit(X, y)", printed("epoch 1 loss 0.9\repoch 2 loss 0.5\repoch 3 loss 0.31\n", "stderr"),
         {"output_type": "error", "ename": "ValueError", "evalue": "\x1b[0;31mInput contains NaN\x1b[0m",
          "traceback": ["\x1b[0;31m---------------------------------------------------------------\x1b[0m", "Traceback..."]},
         count=3),
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_notebook_reads_as_its_cells_each_a_page_with_outputs_as_jupyter_shows_them(tmp_path: Path) -> None:
    read = readers.read(write(tmp_path, "churn.ipynb", CHURN))
    assert read.format == "notebook" and read.warnings == ()
    assert [(b.page, b.kind, b.heading, b.text) for b in read.blocks] == [
        (1, "heading", "Churn analysis", "Churn analysis"),
        (1, "paragraph", "Churn analysis", "We fit a logistic regression to predict which customers cancel within 90 days."),
        (2, "code", "Churn analysis", "import pandas as pd\ndf = pd.read_csv('churn.csv')\ndf.shape"),
        (2, "code", "Churn analysis", "Out[1]: (7043, 21)"),
        (3, "heading", "Results", "Results"),
        (3, "paragraph", "Results", "The model reaches an AUC of 0.84 on the held-out month.\nroc"),
        (4, "code", "Results", "print('accuracy', 0.803)\nplt.plot(x)"),
        (4, "code", "Results", "accuracy 0.803"),
        (6, "code", "Results", "model.fit(X, y)"),
        (6, "code", "Results", "epoch 3 loss 0.31"),
        (6, "code", "Results", "ValueError: Input contains NaN"),
    ]


def test_a_notebook_is_a_document_and_its_passages_are_cited_by_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "churn.ipynb", CHURN)
    assert is_document(path)
    document, warnings = read_document(tmp_path, path)
    assert document is not None and warnings == []
    assert "base64" not in document.text and IMAGE[:40] not in document.text and "0x7f3a" not in document.text
    chunks = chunk_document(document, ChunkSettings(max_words=12, min_words=2))
    chunk = next(c for c in chunks if "AUC of 0.84" in c.text)
    assert location(hit_passage(Hit(chunk, 0.9, 0.9, 0.0))) == 'churn.ipynb cell 3 ¶2 (under "Results")'


def test_extract_prints_a_notebook_cell_by_cell(tmp_path: Path) -> None:
    outcome = runner.invoke(app, ["extract", str(write(tmp_path, "churn.ipynb", CHURN))])
    assert outcome.exit_code == 0, outcome.output
    assert "cell 2 ¶2 | Out[1]: (7043, 21)" in outcome.output
    assert "cell 4 ¶2 | accuracy 0.803" in outcome.output


def test_an_nbformat_3_notebook_reads_its_worksheets_heading_cells_and_old_output_names(tmp_path: Path) -> None:
    old = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "survey"}, "worksheets": [{"cells": [
        {"cell_type": "heading", "level": 1, "metadata": {}, "source": ["Survey of harbour traffic"]},
        {"cell_type": "code", "language": "python", "input": ["len(ships)"], "prompt_number": 4, "outputs": [
            {"output_type": "pyout", "prompt_number": 4, "text": ["312"], "metadata": {}},
            {"output_type": "pyerr", "ename": "KeyError", "evalue": "'tonnage'", "traceback": []}]},
    ]}]}
    read = readers.read(write(tmp_path, "survey.ipynb", json.dumps(old)))
    assert [(b.page, b.text, b.heading) for b in read.blocks] == [
        (1, "Survey of harbour traffic", "Survey of harbour traffic"),
        (2, "len(ships)", "Survey of harbour traffic"),
        (2, "Out[4]: 312", "Survey of harbour traffic"),
        (2, "KeyError: 'tonnage'", "Survey of harbour traffic"),
    ]


def test_a_long_output_is_read_up_to_its_limit_at_a_line_end_with_a_warning(tmp_path: Path) -> None:
    log = "".join(f"step {n} loss {1 / n:.4f}\n" for n in range(1, 2000))
    read = readers.read(write(tmp_path, "train.ipynb", notebook(code("train()", printed(log)))))
    output = read.blocks[1].text
    assert len(output) <= MAX_OUTPUT_CHARS and log.startswith(output + "\n")
    assert read.warnings == (f"train.ipynb: read the first {MAX_OUTPUT_CHARS:,} characters of 1 long output; "
                             "the rest is left out",)


def test_a_broken_notebook_is_skipped_with_the_line_of_its_json_and_the_fix(tmp_path: Path) -> None:
    conflicted = CHURN.replace('"cells": [', '"cells": [\n<<<<<<< HEAD', 1)
    document, warnings = read_document(tmp_path, write(tmp_path, "churn.ipynb", conflicted))
    assert document is None
    assert warnings == [
        "skipped churn.ipynb: not a Jupyter notebook: broken JSON at line 10, column 1 (Expecting value); open it "
        "in Jupyter and save it again, or fix its JSON (a merge conflict leaves <<<<<<< lines in it)"]
    _, warnings = read_document(tmp_path, write(tmp_path, "config.ipynb", '{"name": "not a notebook"}'))
    assert warnings[0].startswith("skipped config.ipynb: not a Jupyter notebook: JSON without a list of cells;")


def test_a_notebook_of_empty_cells_and_pictures_only_says_so(tmp_path: Path) -> None:
    _, warnings = read_document(tmp_path, write(tmp_path, "plots.ipynb", notebook(code(""), code("  \n", figure()))))
    assert warnings == ["skipped plots.ipynb: no text in any cell of the notebook"]


def test_nbformat_2_lines_without_newlines_are_joined_as_lines(tmp_path: Path) -> None:
    ancient = {"nbformat": 2, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": ["# Tides", "", "High water at 06:12,", "low water at 12:30."]},
        {"cell_type": "code", "input": ["x = 1", "print(x)"], "outputs": [
            {"output_type": "stream", "text": ["1", "done"]}]},
    ]}]}
    read = readers.read(write(tmp_path, "tides.ipynb", json.dumps(ancient)))
    assert [b.text for b in read.blocks] == ["Tides", "High water at 06:12,\nlow water at 12:30.", "x = 1\nprint(x)", "1\ndone"]


def test_rich_outputs_read_as_jupyter_shows_them_and_widgets_and_tags_are_left_out(tmp_path: Path) -> None:
    styled = {"output_type": "execute_result", "execution_count": 4, "metadata": {}, "data": {
        "text/html": "<table><tr><th>region</th><th>sales</th></tr><tr><td>North</td><td>1,204</td></tr></table>",
        "text/plain": "<pandas.io.formats.style.Styler at 0x7f3a2c1b5d90>"}}
    said = {"output_type": "execute_result", "execution_count": 5, "metadata": {}, "data": {
        "text/markdown": "**Final learning rate: 0.0032**", "text/plain": "<IPython.core.display.Markdown object>"}}
    slider = {"output_type": "display_data", "metadata": {}, "data": {
        "application/vnd.jupyter.widget-view+json": {"model_id": "a1"}, "text/plain": "IntSlider(value=0)"}}
    read = readers.read(write(tmp_path, "rich.ipynb", notebook(
        markdown("## `nbsphinx` Packages", "", '<div class="alert alert-info">', "", "![chart](attachment:chart.png)"),
        code("df.style", styled, count=4), code("Markdown(x)", said, count=5), code("w.IntSlider()", slider))))
    assert [(b.page, b.kind, b.text) for b in read.blocks] == [
        (1, "heading", "nbsphinx Packages"), (1, "paragraph", "chart"),
        (2, "code", "df.style"), (2, "code", "Out[4]: region | sales\nNorth | 1,204"),
        (3, "code", "Markdown(x)"), (3, "code", "Out[5]: Final learning rate: 0.0032"),
        (4, "code", "w.IntSlider()"),
    ]


def test_a_notebooks_passages_end_with_cells_so_short_cells_after_a_long_log_have_their_own(tmp_path: Path) -> None:
    log = "".join(f"epoch {n} loss {1 / n:.4f} val_acc {0.5 + n / 1000:.4f}\n" for n in range(1, 120))
    path = write(tmp_path, "train.ipynb", notebook(
        code("train(model)", printed(log), count=1),
        code("best = max(history)\nbest", result("0.8693", 2), count=2),
        code("print('DONE checkpoint saved to /models/best.pt')", printed("DONE checkpoint saved to /models/best.pt\n")),
        code("evaluate(model)", result("{'top1': 0.8693, 'top5': 0.9951}", 4), count=4)))
    document, _ = read_document(tmp_path, path)
    assert document is not None
    chunks = chunk_document(document, ChunkSettings())
    assert {c.page for c in chunks if "epoch" in c.text} == {1}
    assert [c.text.splitlines() for c in chunks if c.page != 1] == [[  # the last cell, short, joins its section's passage
        "best = max(history)", "best", "", "Out[2]: 0.8693", "", "print('DONE checkpoint saved to /models/best.pt')", "",
        "DONE checkpoint saved to /models/best.pt", "", "evaluate(model)", "", "Out[4]: {'top1': 0.8693, 'top5': 0.9951}"]]
