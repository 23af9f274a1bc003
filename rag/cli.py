"""The `rag` command: parse arguments, call the library, print. Nothing else lives here."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Collection, TypeVar

import typer

from rag import config
from rag.errors import RagError, cannot_read

FLAG = ""  # a flag's metavar: typer would show "<bool>" beside it


class _FlagHelp:
    """--help shown with no "<bool>" beside it, like the other flags."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.metavar = FLAG
        return option


class _Command(_FlagHelp, typer.core.TyperCommand):
    pass


class _Group(_FlagHelp, typer.core.TyperGroup):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Runs the command; a usage error is one line on stderr and exit code 2, like every
        other error (Typer would draw a box of five lines)."""
        errors = _click_errors()
        no_args = getattr(errors, "NoArgsIsHelpError", ())  # click 8.2+; `except ()` matches nothing
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except no_args as error:  # bare `rag`: the help, as before (rich has printed it already)
            if error.format_message().strip():
                sys.stderr.write(error.format_message() + "\n")
            sys.exit(2)
        except errors.UsageError as error:
            argv = kwargs.get("args") or (args[0] if args else sys.argv[1:])
            _usage_error(error, self._path_of(list(argv)))
            sys.exit(2)
        except errors.ClickException as error:
            fail(error.format_message())
            sys.exit(1)
        except typer.Abort:
            sys.stderr.write("Aborted!\n")
            sys.exit(1)
        sys.exit(code if type(code) is int else 0)

    def _path_of(self, argv: list[str]) -> str:
        """`rag server status`: the commands named at the start of argv."""
        path, group = ["rag"], self
        for word in argv:
            command = group.commands.get(word) if isinstance(group, typer.core.TyperGroup) else None
            if command is None:
                break
            path.append(word)
            group = command
        return " ".join(path)


def _click_errors() -> Any:
    """The exception classes of the click Typer itself uses (newer Typer carries its own copy)."""
    import typer.core

    return (getattr(typer.core, "_click", None) or typer.core.click).exceptions  # type: ignore[attr-defined]


def _usage_error(error: Any, path: str = "rag") -> None:
    """`error: rag ask: missing argument 'question' (see `rag ask --help`)`, on one line; `path`
    names the command when click's error carries no context (an option missing its value)."""
    from rich.markup import escape

    message = error.format_message().rstrip(".")
    message = message[:1].lower() + message[1:]
    # click names its range types ("'abc' is not a valid int range"), not what to type
    message = message.replace("is not a valid int range", "is not a whole number").replace(
        "is not a valid float range", "is not a number")
    command = error.ctx.command_path if error.ctx is not None else path
    line = f"{command}: {message} (see `{command} --help`)"
    _stderr().print(f"[red]error:[/red] {escape(_safe(line))}", markup=True, soft_wrap=True)


app = typer.Typer(
    cls=_Group,
    help="Ask questions about a folder of documents; answers cite the paragraphs they come from. "
    "Runs offline with local models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(shown: bool) -> None:
    if shown:
        from rag import __version__

        typer.echo(f"rag {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", help="Show rag's version and exit", callback=_show_version,
                                          is_eager=True, metavar=FLAG)] = False,
) -> None:
    """Options of `rag` itself, before any command."""


F = TypeVar("F", bound=Callable[..., Any])
INDEX_DIR_FIX = "pass a writable folder with --index or RAG_INDEX"


def _index_folder(value: str) -> Path:
    """The --index folder; an empty one would put the index's files in the current folder."""
    if not value.strip():
        raise typer.BadParameter("is empty; pass an index folder, or leave --index out for .rag")
    return Path(value)


IndexOption = Annotated[
    Path | None,
    typer.Option("--index", help="Index directory (env RAG_INDEX; default .rag)", show_default=False, parser=_index_folder, metavar="<path>"),
]
# Every Path parameter says readable=False: typer checks readability by default and refuses an
# unreadable path as a usage error (exit 2) in click's words; rag reads each path itself and says
# what to fix (exit 1), as it does for a missing one.
ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="GGUF model file (env RAG_MODEL; default the bundled Qwen2.5-Coder-1.5B)", show_default=False,
                 readable=False),
]
KOption = Annotated[int | None, typer.Option("--k", "-k", min=1, max=50, help="Passages to retrieve (env RAG_TOP_K; default 6)", show_default=False)]


def _json_option(what: str) -> Any:
    return Annotated[bool, typer.Option("--json", help=f"Print {what} as JSON", metavar=FLAG)]


SearchJsonOption = _json_option("the passages (a list)")
AskJsonOption = _json_option("the answer, its citations and signals")
EvalJsonOption = _json_option("the scores")
DoctorJsonOption = _json_option("the checks")

ModeOption = Annotated[str, typer.Option("--mode", help="Retrieval: hybrid, dense or keyword", metavar="hybrid|dense|keyword")]
NoServerOption = Annotated[
    bool, typer.Option("--no-server", help="Load the models in this process, not in the warm background server (env RAG_NO_SERVER=1)", metavar=FLAG)
]
StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Where the index lives: faiss, or milvus:URI (milvus:./rag.db, milvus:http://HOST:19530) (env RAG_STORE; default faiss)",
                 show_default=False, callback=lambda value: check_store(value)),
]
RayOption = Annotated[bool, typer.Option("--ray", help="Fan the work out over Ray workers (a local cluster unless --ray-address or RAY_ADDRESS)", metavar=FLAG)]
RayAddressOption = Annotated[
    str | None, typer.Option("--ray-address", metavar="ADDRESS", help="Ray cluster to join, e.g. HOST:6379 (implies --ray)", show_default=False)
]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, max=1024, help="Ray workers, each with its own models")]


def _a_number(value: float | None) -> float | None:
    """NaN passes a range check (every comparison with it is false): refused here as the usage error it is."""
    if value is not None and value != value:
        raise typer.BadParameter("nan is not a number; give one in the range the help shows.")
    return value


ThresholdOption = Annotated[
    float | None,
    typer.Option("--threshold", min=0.0, max=1.0, callback=_a_number,
                 help="Abstain below this P(answerable) (env RAG_ABSTAIN_THRESHOLD)", show_default=False),
]


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _progress(label: str, *, counts: str = "{task.completed}/{task.total}", enabled: bool = True,
              plain_every: float | None = None) -> Any:
    """A transient progress bar with ETA on stderr on a terminal; elsewhere (a log, CI, nohup) a
    plain line every plain_every seconds when given, else nothing."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    err = _stderr()
    if enabled and plain_every is not None and not err.is_terminal:
        return _PlainProgress(label, plain_every)
    return Progress(
        TextColumn(label), BarColumn(), TextColumn(counts), TimeRemainingColumn(),
        console=err, transient=True, disable=not (enabled and err.is_terminal),
    )


class _PlainProgress:
    """Progress told in plain lines on stderr, for a run whose stderr is a file: "indexing:
    embedding passages 12,000 of 54,663 (21 %), about 20 min left", at most every `every` seconds
    of a stage, so a short run tells nothing (tester-s50 M1: a 34-minute index wrote nothing to its log)."""

    def __init__(self, label: str, every: float) -> None:
        self.label = label
        self.every = every
        self.tasks: list[tuple[str, int, int, float, float]] = []  # name, total, done, started, last told

    def __enter__(self) -> _PlainProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def add_task(self, name: str, total: int) -> int:
        now = time.monotonic()
        self.tasks.append((name, total, 0, now, now))
        return len(self.tasks) - 1

    def advance(self, task: int, done: float = 1) -> None:
        name, total, count, started, told = self.tasks[task]
        count += int(done)
        now = time.monotonic()
        if now - told >= self.every and count > 0:
            left = f", about {_duration((now - started) / count * (total - count))} left" if count < total else ""
            share = f" ({100 * count // total} %)" if total else ""
            print(f"{self.label}: {name} {count:,} of {total:,}{share}{left}", file=sys.stderr, flush=True)
            told = now
        self.tasks[task] = (name, total, count, started, told)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def fail(message: str) -> typer.Exit:
    from rich.markup import escape

    _stderr().print(f"[red]error:[/red] {escape(_safe(message))}", markup=True, soft_wrap=True)
    return typer.Exit(code=1)


def _safe(text: str) -> str:
    """A message that may name a file or quote a document, with its control characters made
    visible (rich passes ESC through), on one line."""
    from rag.render import newlines_shown, terminal_safe

    return newlines_shown(terminal_safe(text))


# What a Ctrl-C leaves behind, for the commands that write (an answer cut short says so itself).
STOPPED = {
    "index": "stopped (Ctrl-C): the index is as it was; the next `rag index` reuses the passages embedded so far (saved 256 at a time)",
    "batch": "stopped (Ctrl-C): the answers written so far are kept; with -o FILE, the same command again answers "
             "the rest",
}


def handles_errors(command: F) -> F:
    """Turn library errors into one line on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RagError as error:
            _warn_first(getattr(error, "warnings", ()))
            raise fail(str(error)) from None
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
            raise typer.Exit(code=128 + signal.SIGPIPE) from None
        except OSError as error:  # a path the checks above did not foresee: still one line
            if not error.filename:  # no file named: most often the output (a full disk, a closed pipe)
                raise fail(f"cannot write ({error.strerror or error}); check the free disk space, or where the "
                           "output goes") from None
            raise fail(f"cannot use {error.filename} ({error.strerror or error}); check that it exists and is "
                       "writable") from None
        except KeyboardInterrupt:
            if command.__name__ in STOPPED:
                _stderr().print(STOPPED[command.__name__], markup=False, soft_wrap=True)
            raise typer.Exit(code=130) from None

    return wrapper  # type: ignore[return-value]


def check_store(value: str | None) -> str | None:
    """A store the library can open, else a usage error (exit 2)."""
    if value is not None and config.normalised_store(value) is None:
        raise typer.BadParameter(f"{value!r} is not a store; {config.STORE_FIX}", param_hint="--store")
    return value


def settings_for(
    index: Path | None = None,
    model: Path | None = None,
    k: int | None = None,
    threshold: float | None = None,
    store: str | None = None,
    unread: Collection[str] = (),
) -> config.Settings:
    """The settings from the flags and environment; an unusable environment value of a setting in
    unread (the command never reads it) is a warning, not an error."""
    changes: dict[str, Any] = {}  # built in one step: the defaults a flag replaces are never checked
    if store is not None:
        changes["store"] = store
    if index is not None:
        changes["index_dir"] = index
    if model is not None:
        changes["model_path"] = model
    if k is not None:
        changes["top_k"] = k
    if threshold is not None:
        changes["abstain_threshold"] = threshold
    settings, set_aside = config.settings_ignoring(unread, **changes)
    for error in set_aside:
        _warn(f"{error} (ignored: this command does not use it)")
    return settings


def _warn(text: str) -> None:
    _stderr().print(f"warning: {_safe(text)}", markup=False, soft_wrap=True)


PLAIN_PROGRESS_SECONDS = 30.0  # between the lines telling progress in a log (stderr not a terminal)
SHOWN_WARNINGS = 20  # of an error's warnings (a folder of thousands of unreadable files), then a count


def _warn_first(warnings: Sequence[str]) -> None:
    for warning in warnings[:SHOWN_WARNINGS]:
        _warn(warning)
    if len(warnings) > SHOWN_WARNINGS:
        _warn(f"and {len(warnings) - SHOWN_WARNINGS:,} more warnings")


def text_suffixes(listed: str | None) -> list[str] | None:
    """`--as-text .py,conf` as [".conf", ".py"]; None when not given (the index keeps its own).
    A suffix with other than letters, digits, "_" or "-" after its dot is a usage error (exit 2)."""
    if listed is None:
        return None
    suffixes = {"." + part.strip().lower().lstrip(".") for part in listed.split(",") if part.strip()}
    wrong = sorted(s for s in suffixes if not re.fullmatch(r"\.[a-z0-9_-]{1,16}", s))
    if wrong:
        raise typer.BadParameter(f"{wrong[0]} is not a file extension; give extensions such as .py,.conf",
                                 param_hint="--as-text")
    return sorted(suffixes)


def question_argument(text: str, hint: str) -> str:
    """The cleaned question (QUESTION) or query (QUERY); an empty or overlong one is a usage error (exit 2)."""
    from rag.errors import InputError
    from rag.questions import check_question

    try:
        return check_question(text, search=hint == "QUERY")
    except InputError as error:
        raise typer.BadParameter(str(error), param_hint=hint) from None


def check_mode(mode: str) -> str:
    from rag.retrieval import MODES

    if mode not in MODES:
        raise typer.BadParameter(f"must be one of {', '.join(MODES)}", param_hint="--mode")
    return mode


def open_engine(settings: config.Settings) -> Any:
    from rag.models import open_engine as open_with_models

    return open_with_models(settings)


@app.command(cls=_Command)
@handles_errors
def index(
    corpus: Annotated[Path | None, typer.Argument(help="Folder of .txt, .md, .rst, .pdf, .html, .docx, .pptx, .epub, .odt and .odp files, Jupyter notebooks (.ipynb), e-mail (.eml, .mbox) and spreadsheets (.xlsx, .xls, .ods, .csv) (and plain text with no extension; also compressed as .gz, .bz2, .xz); default: the folder the index was built from, else seeds", show_default=False, readable=False)] = None,
    index: IndexOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List each file read in this run with its passages, however many files", metavar=FLAG)] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List added, changed and removed files and what would be embedded; write nothing", metavar=FLAG)] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Read every file again and build a new index (for a damaged one); cached embeddings are reused", metavar=FLAG)] = False,
    as_text: Annotated[str | None, typer.Option("--as-text", help="Also read files with these extensions as plain text, comma-separated (.py,.conf,.log); kept for later runs; \"\" reads none again", metavar="EXTS", show_default=False)] = None,
    store: StoreOption = None,
    ray: RayOption = False,
    ray_address: RayAddressOption = None,
    workers: WorkersOption = 2,
) -> None:
    """Build or refresh the index of a folder (only changed files are read, only new passages embedded)."""
    from rag.indexing import build_index, folder_to_refresh
    from rag.render import files_text, index_report_text
    from rag.writable import ensure_writable_dir, refuse_a_file, removed_if_first_run_fails
    from rag.models import LazyEmbedder

    settings = settings_for(index, store=store, unread=config.LLM_SETTINGS)
    err = _stderr()
    if corpus is None:
        corpus = folder_to_refresh(settings.index_dir, settings.store)
        if corpus is None and not config.DEFAULT_CORPUS.is_dir():
            raise typer.BadParameter(
                f"no folder given, and there is no index at {settings.index_dir} to refresh nor a {config.DEFAULT_CORPUS}/ "
                f"folder here; pass the folder to index, such as `rag index .`", param_hint="CORPUS")
        corpus = corpus or config.DEFAULT_CORPUS
        if corpus.resolve() != config.DEFAULT_CORPUS.resolve():
            err.print(_safe(f"note: indexing {corpus}, the folder this index was built from"), markup=False, soft_wrap=True)
    with removed_if_first_run_fails(settings.index_dir):
        if not dry_run:
            ensure_writable_dir(settings.index_dir, INDEX_DIR_FIX)
        else:
            refuse_a_file(settings.index_dir, INDEX_DIR_FIX)  # what the run itself would say
        embedder: Any = LazyEmbedder(settings)
        if (ray or ray_address) and not dry_run:
            from rag import fanout

            fanout.start(ray_address, workers)
            embedder = fanout.RayEmbedder(embedder.name, embedder.dimension, settings, workers=workers,
                                          cpus=fanout.cpus_per_worker(workers))
        with _progress("indexing", counts="{task.description} {task.completed}/{task.total}",
                       plain_every=PLAIN_PROGRESS_SECONDS) as progress:

            def stage(name: str) -> Callable[[int], Callable[[int], None]]:
                def start(total: int) -> Callable[[int], None]:
                    task = progress.add_task(name, total=total)
                    return lambda done: progress.advance(task, done)

                return start

            report = build_index(corpus, settings.index_dir, embedder, settings.chunking, stage("embedding passages"),
                                 on_building=stage("building search index"), dry_run=dry_run, store=settings.store,
                                 rebuild=rebuild, text_suffixes=text_suffixes(as_text))
    for warning in report.warnings:
        _warn(warning)
    listing = files_text(report.passages, verbose)
    if listing:
        typer.echo(listing)
    typer.echo(index_report_text(report))


def notice_if_stale(settings: config.Settings) -> None:
    """One line on stderr when the indexed folder changed since the index was built (a stat of
    each file; the index's own problems are reported by the command itself)."""
    from rag.indexing import folder_changes, skipped_files
    from rag.render import stale_index_text
    from rag.store import index_option, live_files, outdated_rules_note, read_manifest

    try:
        manifest = read_manifest(settings.index_dir, settings.store)
        outdated = outdated_rules_note(manifest, settings.index_dir, settings.store)
        if outdated:
            _stderr().print(f"note: {_safe(outdated)}", markup=False, soft_wrap=True)
            return
        indexed = live_files(settings.index_dir, settings.store)
        changes = folder_changes(manifest.corpus_root, indexed, skipped_files(settings.index_dir), manifest.text_suffixes)
    except (RagError, OSError):  # a note only: a folder out of reach must not stop the answer
        return
    note = stale_index_text(changes, manifest.corpus_root, len(indexed), index_option(settings.index_dir, settings.store),
                            settings.index_dir)
    if note is not None:
        _stderr().print(f"note: {_safe(note)}", markup=False, soft_wrap=True)  # a folder's name may hold escapes


@app.command(cls=_Command)
@handles_errors
def extract(
    file: Annotated[Path, typer.Argument(help="A .pdf, .html, .docx, .pptx, .epub, .odt, .odp, .xlsx, .xls, .ods, .csv, .ipynb, .eml, .mbox, .md, .rst or .txt file (or one compressed as .gz, .bz2, .xz)", readable=False)],
    plain: Annotated[bool, typer.Option("--plain", help="Only the text, a blank line between paragraphs, headings underlined (to save as a .txt file)")] = False,
) -> None:
    """Print the text rag reads from a file, one paragraph a line with its location (check quotes here)."""
    from rag.corpus import FORMATS_HINT, file_kind, is_document, read_document
    from rag.render import document_text, plain_text
    from rag.store import shell_word

    if file.is_dir():
        raise fail(f"{file} is a folder; pass one document file (`rag index {shell_word(file)}` reads a folder)")
    try:
        file.stat()
    except FileNotFoundError:
        raise fail(f"{file} not found; pass an existing document file") from None
    except OSError as error:  # a symbolic link loop, a name too long
        raise fail(f"cannot read {file} ({error.strerror}); check the path") from None
    if not file.is_file():  # a pipe or a device: reading it could block or never end
        raise fail(f"{file} is not a regular file; pass a document file")
    try:
        file.open("rb").close()
    except PermissionError:  # unread, it would pass for a binary below
        raise fail(cannot_read(str(file))) from None
    except OSError as error:
        raise fail(f"cannot read {file} ({error.strerror or error}); check the disk") from None
    if not is_document(file):  # `rag index` leaves such files out
        kind = file_kind(file) or "binary"
        raise fail(f"{file} is not a document rag reads ({kind} files are left out of the index); rag reads {FORMATS_HINT}")
    document, warnings = read_document(file.parent, file)
    if document is None:  # the reader's own reason ("skipped x.pdf: encrypted PDF; ...") is the one error line
        reason = warnings[-1] if warnings else "no text found"
        for named in (f"skipped {file.name}: ", f"{file.name}: "):  # the file is named once, below
            reason = reason.removeprefix(named)
        raise fail(f"no text read from {file}: {reason}")
    for warning in warnings:
        _warn(warning)
    typer.echo(plain_text(document) if plain else document_text(document))


@app.command(cls=_Command)
@handles_errors
def search(
    query: Annotated[str, typer.Argument(help="What to look for")],
    k: KOption = None,
    mode: ModeOption = "hybrid",
    json_output: SearchJsonOption = False,
    index: IndexOption = None,
    store: StoreOption = None,
    no_server: NoServerOption = False,
) -> None:
    """Show the best-matching passages with their scores (no language model needed)."""
    from rag import client
    from rag.render import hits_text, json_text

    query = question_argument(query, "QUERY")
    check_mode(mode)
    settings = settings_for(index, k=k, store=store)
    notice_if_stale(settings)
    hits = client.search(settings, query, k=k, mode=mode, use_server=client.enabled(no_server))
    if json_output:
        from rag.pipeline import hit_passage

        typer.echo(json_text([dataclasses.asdict(hit_passage(h)) for h in hits]))
    else:
        typer.echo(hits_text(hits, mode))


@app.command(cls=_Command)
@handles_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question")],
    k: KOption = None,
    mode: ModeOption = "hybrid",
    json_output: AskJsonOption = False,
    threshold: ThresholdOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
    store: StoreOption = None,
    no_server: NoServerOption = False,
) -> None:
    """Answer a question from the documents, citing file and paragraph, or say they do not answer it."""
    from rag import client
    from rag.render import answer_json, answer_text

    question = question_argument(question, "QUESTION")
    check_mode(mode)
    settings = settings_for(index, model, k, threshold, store)
    notice_if_stale(settings)
    stream = sys.stdout.isatty() and not json_output
    printer = _StreamPrinter() if stream else None
    try:
        answer = client.ask(settings, question, k=k, mode=mode, on_token=printer, use_server=client.enabled(no_server))
    except BaseException:  # Ctrl-C or an error mid-draft: the terminal must not stay dim
        if printer is not None:
            printer.abandon()
        raise
    if json_output:
        typer.echo(answer_json(answer))
    elif printer is not None:
        printer.finish(answer)
    else:
        typer.echo(answer_text(answer))


@app.command(cls=_Command)
@handles_errors
def batch(
    questions_file: Annotated[Path, typer.Argument(help="Questions: .txt (one a line), .jsonl {id, question} or .csv (id,question)", readable=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (resumes if it exists) instead of stdout", readable=False)] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl, csv or md (default: from the -o file's extension, else jsonl)", show_default=False, metavar="jsonl|csv|md")] = None,
    retrieve_only: Annotated[bool, typer.Option("--retrieve-only", help="Only fill `retrieved`; no language model", metavar=FLAG)] = False,
    k: KOption = None,
    mode: ModeOption = "hybrid",
    threshold: ThresholdOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
    store: StoreOption = None,
    ray: RayOption = False,
    ray_address: RayAddressOption = None,
    workers: WorkersOption = 2,
) -> None:
    """Answer a file of questions with the models loaded once; a killed run resumes where it stopped."""
    from rag.batch import FORMATS, AnswerWriter, Resume, format_of, open_output, read_questions, resume_from

    fmt = fmt or format_of(output)
    if fmt not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}", param_hint="--format")
    check_mode(mode)
    questions, warnings = read_questions(questions_file)
    err = _stderr()
    for warning in warnings:
        _warn(warning)
    existed = bool(output and output.exists())
    stream, new_file, cut = open_output(output, fmt, questions_file) if output else (sys.stdout, True, None)
    written: list[Any] = []
    resume: Resume | None = None
    try:
        if cut:
            _warn(cut)
        resume = resume_from(output, questions, fmt, retrieve_only=retrieve_only)
        todo = resume.todo
        did = "retrieved" if retrieve_only else "answered"
        if resume.resumed:
            err.print(_safe(f"resuming: {resume.done} of {resume.asked} already {did} in {output}"), markup=False, soft_wrap=True)
        if resume.passages_only:
            count = resume.passages_only
            err.print(_safe(f"note: {output} holds {count} --retrieve-only record{'s' if count > 1 else ''} "
                            "(passages, no answer); their questions are answered and written after them, under the same id"),
                      markup=False, soft_wrap=True)
        settings = settings_for(index, model, k, threshold, store)
        writer = AnswerWriter(stream, fmt, new_file=new_file)
        with _progress("retrieving" if retrieve_only else "answering", enabled=bool(todo)) as progress:
            task = progress.add_task("batch", total=len(todo))

            def write(item: Any, answer: Any) -> None:
                writer.write(item, answer)
                written.append(item)
                progress.advance(task)

            if (ray or ray_address) and todo:
                _answer_with_ray(todo, settings, k, mode, retrieve_only, ray_address, workers, write)
            elif todo:  # a finished run resumed loads no model
                engine = open_engine(settings)
                for item in todo:
                    if retrieve_only:
                        write(item, engine.retrieve(item.question, k, mode))  # type: ignore[arg-type]
                    else:
                        write(item, engine.ask(item.question, k=k, mode=mode))  # type: ignore[arg-type]
        summary = f"{len(todo)} {did}, {resume.done} from an earlier run → {output}"
    finally:
        if output:
            stream.close()
            if not existed and not written and (resume is None or resume.todo) and output.is_file():  # failed before its first answer
                output.unlink(missing_ok=True)
    if output:
        err.print(_safe(summary), markup=False, soft_wrap=True)


def _answer_with_ray(
    todo: list[Any], settings: config.Settings, k: int | None, mode: str, retrieve_only: bool,
    address: str | None, workers: int, write: Callable[[Any, Any], None],
) -> None:
    from rag import fanout

    fanout.start(address, workers)
    # absolute: a worker need not run in this folder
    settings = dataclasses.replace(settings, index_dir=settings.index_dir.resolve(), model_path=settings.model_path.resolve())
    pool = fanout.AnswerPool(fanout.Job(settings, k, mode, retrieve_only), workers=workers,
                             cpus=fanout.cpus_per_worker(workers))
    try:
        pool.run(todo, write)
    finally:
        pool.close()


@app.command(cls=_Command)
@handles_errors
def chat(
    k: KOption = None,
    threshold: ThresholdOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
    store: StoreOption = None,
) -> None:
    """Interactive questions and answers with the models kept loaded; /help lists the commands."""
    from rag.repl import ChatSession

    settings = settings_for(index, model, k, threshold, store)
    notice_if_stale(settings)
    engine = open_engine(settings)

    from rag.models import reindexed

    session = ChatSession(engine, write=_write_out, reindex=lambda old: reindexed(old, settings, INDEX_DIR_FIX))
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    read = _terminal_reader() if interactive else _plain_reader()
    typer.echo(_safe(f"rag chat: {engine.index.count} passages from {engine.index.manifest.corpus_root}. "
                     "Type /help for commands, /quit to leave."))
    while True:
        try:
            line = read()
        except EOFError:
            break
        except KeyboardInterrupt:
            continue
        if not session.handle(line, stream=interactive):
            break


def _write_out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _plain_reader() -> Callable[[], str]:
    def read() -> str:
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line

    return read


def _terminal_reader() -> Callable[[], str]:
    """prompt_toolkit line editing with a history file that persists between sessions, when its
    folder is writable (otherwise one warning and an in-memory history)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    from rag.writable import chat_history_path

    path, warning = chat_history_path()
    if warning:
        _warn(warning)
    prompt = PromptSession(history=FileHistory(str(path)) if path else InMemoryHistory())
    return lambda: prompt.prompt("? ")


@app.command(name="eval", cls=_Command)
@handles_errors
def evaluate(
    gold_file: Annotated[Path, typer.Argument(help="Gold JSONL: id, type, question, must_include, evidence", readable=False)],
    json_output: EvalJsonOption = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write each answer as JSONL here", readable=False)] = None,
    k: KOption = None,
    mode: ModeOption = "hybrid",
    threshold: ThresholdOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
    store: StoreOption = None,
) -> None:
    """Answer a gold file and report answer, abstention, citation and retrieval quality per question type."""
    from rag.evaluation import evaluate as run_evaluation
    from rag.evaluation import gold_warnings, read_gold
    from rag.render import answer_json, scores_table

    from rag.batch import check_fresh_output, open_fresh_output

    check_mode(mode)
    gold = read_gold(gold_file)
    if output:
        check_fresh_output(output, gold_file)
    engine = open_engine(settings_for(index, model, k, threshold, store))
    for warning in gold_warnings(gold, engine.index.files()):
        _warn(warning)
    sinks: list[Any] = []  # opened at the first answer: a run that fails before one leaves the old file whole
    try:
        with _progress("evaluating") as progress:
            task = progress.add_task("eval", total=len(gold))

            def on_answer(question: Any, answer: Any) -> None:
                if output:
                    if not sinks:
                        sinks.append(open_fresh_output(output, gold_file))
                    sinks[0].write(answer_json(answer, id=question.id) + "\n")
                    sinks[0].flush()
                progress.advance(task)

            results = run_evaluation(gold, lambda q: engine.ask(q, k=k, mode=mode), on_answer)  # type: ignore[arg-type]
    finally:
        for sink in sinks:
            sink.close()
    typer.echo(json.dumps(results, indent=2) if json_output else scores_table(results))


@app.command(cls=_Command)
def doctor(
    json_output: DoctorJsonOption = False,
    index: IndexOption = None,
    model: ModelOption = None,
    store: StoreOption = None,
) -> None:
    """Check Python, packages, model, llama.cpp, index, server and disk; each problem names its fix."""
    from rag.doctor import healthy, run_checks

    checks = run_checks(lambda: settings_for(index, model, store=store))
    if json_output:
        typer.echo(json.dumps({"healthy": healthy(checks), "checks": [dataclasses.asdict(c) for c in checks]}))  # ASCII: a path may hold undecodable bytes
    else:
        for check in checks:
            fix = f" → {check.fix}" if check.fix and not check.ok else ""
            typer.echo(_safe(f"{'ok' if check.ok else 'FAIL':4} {check.name}: {check.detail}{fix}"))
    raise typer.Exit(0 if healthy(checks) else 1)


server_app = typer.Typer(
    cls=_Group,
    help="The warm background server that `rag ask` and `rag search` start and reuse.", no_args_is_help=True
)
app.add_typer(server_app, name="server")


@server_app.command("status", cls=_Command)
@handles_errors
def server_status(index: IndexOption = None) -> None:
    """Show the running server: pid, uptime, idle time left, index, model and memory."""
    from rag import client
    from rag.render import server_status_text

    settings = settings_for(index, unread=config.LLM_SETTINGS)
    _refuse_a_file(settings.index_dir)
    typer.echo(server_status_text(client.status(settings.index_dir), settings.index_dir,
                                  index_exists=settings.index_dir.exists()))


@server_app.command("stop", cls=_Command)
@handles_errors
def server_stop(index: IndexOption = None) -> None:
    """Stop the server of an index now instead of at its idle timeout."""
    from rag import client

    settings = settings_for(index, unread=config.LLM_SETTINGS)
    _refuse_a_file(settings.index_dir)
    pid = client.stop(settings.index_dir)
    typer.echo(_safe(f"Stopped the server for {settings.index_dir} (pid {pid})." if pid
                     else f"No server running for {settings.index_dir}."))


def _refuse_a_file(index_dir: Path) -> None:
    """`rag server status --index notes.txt` is a mistake to name, not "no server running"."""
    from rag.store import no_index_error

    if index_dir.is_file():
        raise no_index_error(index_dir)


@server_app.command("start", cls=_Command)
@handles_errors
def server_start(
    idle: Annotated[float | None, typer.Option("--idle", min=1, max=7 * 24 * 3600, callback=_a_number, help="Stop after this many idle seconds (env RAG_SERVER_IDLE; default 600)", show_default=False)] = None,
    index: IndexOption = None,
    model: ModelOption = None,
) -> None:
    """Start the server now (ask and search also start it on demand) and wait until it listens."""
    from rag import client

    pid = client.start_and_wait(settings_for(index, model), idle=idle)
    typer.echo(f"Server running for {settings_for(index).index_dir} (pid {pid}).")


class _StreamPrinter:
    """Shows the draft as it is generated, dim, then replaces it with the checked answer."""

    def __init__(self) -> None:
        self.streamed = ""

    def __call__(self, piece: str) -> None:
        from rag.render import pending_piece

        sys.stdout.write(pending_piece(piece, not self.streamed))
        sys.stdout.flush()
        self.streamed += piece

    def abandon(self) -> None:
        """End a draft cut short: normal text again, on a new line, marked as no answer."""
        from rag.render import RESET

        if self.streamed:
            sys.stdout.write(RESET + "\n(stopped: no answer)\n")
            sys.stdout.flush()

    def finish(self, answer: Any) -> None:
        import shutil

        from rag.render import after_stream_text

        sys.stdout.write(after_stream_text(answer, self.streamed, shutil.get_terminal_size().columns))
        sys.stdout.flush()


def main() -> None:
    if sys.stdin is None:  # started with its input closed (`<&-`): read as an empty input
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the whole run
    if sys.stdout is None:  # `>&-`: an answer would be lost without a word
        if sys.stderr is not None:
            sys.stderr.write("error: standard output is closed; send it to a terminal, a file or /dev/null\n")
        raise SystemExit(1)
    app()


if __name__ == "__main__":
    main()
