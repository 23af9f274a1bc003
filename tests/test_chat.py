import re
import shutil

from typer.testing import CliRunner

from conftest import SEEDS, ScriptedGenerator
from rag.cli import app
from rag.repl import is_follow_up

runner = CliRunner()


def test_scripted_session(fake_models: ScriptedGenerator) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    script = "How long did Kerry and Lavrov talk in Geneva?\n/sources\n/open 1\n/k 2\n/bogus\nAnd what did they say after that?\n/quit\nnever asked\n"
    result = runner.invoke(app, ["chat"], input=script)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "They spoke for more than nine hours in Geneva. [1]" in out
    assert ">     3 | Following his latest talks" in out
    assert "Retrieving 2 passages per question." in out
    assert "Unknown command /bogus; type /help" in out
    assert len(fake_models.prompts) == 2
    # the previous answer is told too, without its marks (tester-s47 M1: "and when was that?" after
    # "Geneva" was answered about another meeting)
    assert ("This follows the question: How long did Kerry and Lavrov talk in Geneva? Its answer: They spoke for "
            "more than nine hours in Geneva.)") in fake_models.prompts[1]


NEWS_ENTRY = """dash (0.5.5.1-2.1) unstable; urgency=low

  * The default system shell (/bin/sh) has been changed to dash for
    new installations.  When upgrading existing installations, the
    system shell will not be changed automatically.
  * One can see what the current default system shell on this machine
    is by running 'readlink /bin/sh'.
  * Change it by running 'dpkg-reconfigure dash'.

 -- Luk Claes <luk@debian.org>  Wed, 22 Jul 2009 17:23:20 +0200
"""


def test_a_follow_up_reads_on_from_the_passage_the_answer_before_cited(fake_models: ScriptedGenerator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    corpus = _seed_copy(tmp_path)
    (corpus / "NEWS.Debian").write_text(NEWS_ENTRY, encoding="utf-8")

    def cite_the_first_bullet(prompt: str) -> str:
        if "Question: Is it safe?" in prompt:
            return "NOT FOUND"
        number = re.findall(r"\[(\d+)\] \([^)]*\) [^[]*The default system shell", prompt)
        return f"The default system shell is now dash [{number[-1]}]." if number else "No."

    fake_models.reply = cite_the_first_bullet
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    script = "What is the default system shell for new installations?\n/k 4\nIs it safe?\nWho uploaded that change?\n"
    result = runner.invoke(app, ["chat"], input=script)
    assert result.exit_code == 0, result.output
    first, declined, follow_up = fake_models.prompts
    assert "dpkg-reconfigure" not in first and "Luk Claes" not in first
    assert "The documents do not answer this." in result.output
    # the entry's later bullets, two chunks after the cited one, though only 4 passages are read, and
    # after a follow-up that was not answered
    assert "dpkg-reconfigure" in follow_up and "Luk Claes" in follow_up


def test_follow_up_detection() -> None:
    assert is_follow_up("And what did Lavrov say about that?")
    assert is_follow_up("Why did he do it?")
    assert not is_follow_up("Where did Kerry and Lavrov meet in July 2016?")


def _seed_copy(tmp_path):  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    return corpus


def test_open_reads_a_latin1_source_and_reports_a_vanished_one(fake_models: ScriptedGenerator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    corpus = _seed_copy(tmp_path)
    source = corpus / "000_8d13b83e7b516537.txt"
    source.write_bytes(source.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    question = "How long did Kerry and Lavrov talk in Geneva?\n"
    result = runner.invoke(app, ["chat"], input=question + "/open 1\n")
    assert result.exit_code == 0, result.output
    assert ">     3 | Following his latest talks" in result.output
    source.unlink()
    result = runner.invoke(app, ["chat"], input=question + "/open 1\n/k 3\n")
    assert result.exit_code == 0, result.output
    assert f"{source} cannot be read any more; run /reindex" in result.output
    assert "Retrieving 3 passages per question." in result.output
    shutil.rmtree(corpus)
    result = runner.invoke(app, ["chat"], input=question + "/open 1\n")
    assert f"{source} cannot be read any more: its folder {corpus} is gone; restore it to open the source" in result.output


def test_open_names_a_source_edited_since_indexing_instead_of_showing_shifted_lines(  # type: ignore[no-untyped-def]
    fake_models: ScriptedGenerator, tmp_path
) -> None:
    corpus = _seed_copy(tmp_path)
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    source = corpus / "000_8d13b83e7b516537.txt"
    source.write_text("New first line.\n\n" + source.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["chat"], input="How long did Kerry and Lavrov talk in Geneva?\n/open 1\n")
    assert result.exit_code == 0, result.output
    assert f"{source} has changed since it was indexed; run /reindex" in result.output
    result = runner.invoke(app, ["chat"], input="How long did Kerry and Lavrov talk in Geneva?\n/open 1\n/reindex\n/open 1\n")
    assert result.exit_code == 0, result.output
    assert f"{source} changed since this answer was given; ask again to cite it as it is now" in result.output


def test_library_errors_inside_chat_are_one_line_and_the_session_goes_on(fake_models: ScriptedGenerator, isolated_index) -> None:  # type: ignore[no-untyped-def]
    from rag.store import write_lock

    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    script = "/reindex\n" + "Why? " * 1000 + "\n\x00\x01\nHow long did Kerry and Lavrov talk in Geneva?\n"
    with write_lock(isolated_index):  # another process is writing the index
        result = runner.invoke(app, ["chat"], input=script)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"error: another `rag index` is writing {isolated_index}; wait for it to finish" in lines
    assert any(line.startswith("error: the question is 4999 characters long") and line.endswith("ask a shorter question") for line in lines)
    assert "error: the question is empty; type a question" in lines
    assert "They spoke for more than nine hours in Geneva. [1]" in result.output
    assert len(fake_models.prompts) == 1


def test_unwritable_history_folder_means_no_history_and_one_warning(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from rag.writable import chat_history_path

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert chat_history_path() == (tmp_path / "state" / "rag" / "history", None)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    path, warning = chat_history_path()
    assert path is None
    assert warning == f"cannot write to {blocker / 'rag'} (Not a directory); set XDG_STATE_HOME to a writable folder; this session keeps no history"


def test_ctrl_c_while_the_model_works_stops_the_answer_and_the_session_goes_on(fake_models: ScriptedGenerator) -> None:
    import os
    import signal

    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    pressed: list[str] = []
    # SIG_IGN when the tests run as a background job (`make test &`), which Python then keeps
    before = signal.getsignal(signal.SIGINT)

    def press_ctrl_c_once(prompt: str) -> float:
        if not pressed:
            pressed.append(prompt)
            os.kill(os.getpid(), signal.SIGINT)  # as the terminal does on Ctrl-C
        return 0.9

    fake_models.yes_probability = press_ctrl_c_once  # type: ignore[method-assign]
    question = "How long did Kerry and Lavrov talk in Geneva?\n"
    result = runner.invoke(app, ["chat"], input=question * 2)
    assert result.exit_code == 0, result.output
    assert result.output.count("(stopped)") == 1
    assert "They spoke for more than nine hours" in result.output.split("(stopped)")[1]
    assert signal.getsignal(signal.SIGINT) is before  # Ctrl-C is as it was again after an answer


def test_reindex_stopped_with_ctrl_c_or_failing_leaves_the_session_and_its_engine() -> None:
    from rag.repl import ChatSession

    written: list[str] = []
    engine = object()

    def interrupted(old: object) -> object:
        raise KeyboardInterrupt

    def failing(old: object) -> object:
        raise PermissionError(13, "Permission denied", "notes/locked.txt")

    for reindex in (interrupted, failing):
        session = ChatSession(engine, write=written.append, reindex=reindex, k=5)  # type: ignore[arg-type]
        assert session.handle("/reindex") is True and session.engine is engine
    assert written == ["Reindexing stopped; the index is as it was.\n",
                       "error: reindexing failed ([Errno 13] Permission denied: 'notes/locked.txt'); the index is as it was\n"]


def test_open_shows_a_window_of_a_very_long_line_around_the_quote() -> None:
    from rag.render import line_window

    line = " ".join(f"ZEBRA{n}" for n in range(60000))
    shown = line_window(line, "ZEBRA5250 ZEBRA5251", limit=200)
    assert "ZEBRA5250 ZEBRA5251" in shown and len(shown) < 300
    assert shown.startswith("[… ") and shown.endswith(" characters …]")
    assert line_window("short line", "short") == "short line"
    assert line_window(line, "not there", limit=50).startswith("ZEBRA0 ZEBRA1")


def test_open_shows_the_lines_of_a_gzipped_source(fake_models: ScriptedGenerator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import gzip

    corpus = _seed_copy(tmp_path)
    source = corpus / "000_8d13b83e7b516537.txt"
    (corpus / "000_8d13b83e7b516537.txt.gz").write_bytes(gzip.compress(source.read_bytes()))
    source.unlink()
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    result = runner.invoke(app, ["chat"], input="How long did Kerry and Lavrov talk in Geneva?\n/open 1\n")
    assert result.exit_code == 0, result.output
    assert "000_8d13b83e7b516537.txt.gz ¶2 (line 3)" in result.output
    assert ">     3 | Following his latest talks" in result.output


def test_odd_numbers_after_k_and_open_are_usage_not_a_traceback(fake_models: ScriptedGenerator) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    script = "/k ²\n/k " + "9" * 4301 + "\n/open ²\n/open " + "9" * 4301 + "\n/k 3\n/k\n"
    result = runner.invoke(app, ["chat"], input=script)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines.count("Usage: /k N, with N from 1 to 50") == 2
    assert "Retrieving 3 passages per question; /k N changes it." in result.output  # /k alone tells the setting
    assert lines.count("No answer yet.") == 2  # /open before any question, as /sources says it


def test_commands_are_read_in_any_case(fake_models: ScriptedGenerator) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    result = runner.invoke(app, ["chat"], input="/SOURCES\n/QUIT\nnever asked\n")
    assert result.exit_code == 0, result.output
    assert "No answer yet." in result.output and "Unknown command" not in result.output
    assert "never asked" not in result.output


def test_open_marks_the_quoted_row_of_a_long_table(fake_models: ScriptedGenerator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f"{64000 + n:<6}| user{n}\n" for n in range(20)).replace("user7", "mysql")
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "uids.txt").write_text("Reserved uids:\n\n" + rows, encoding="utf-8")
    fake_models.reply = "The mysql user has uid 64007 [1]."
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    result = runner.invoke(app, ["chat"], input="Which uid is reserved for the mysql user?\n/open 1\n")
    assert result.exit_code == 0, result.output
    assert "uids.txt ¶2 (line 10 of lines 3–22)" in result.output  # tester-s49 L5: not only the whole table's span
    assert "»    10 | 64007 | mysql" in result.output and ">     9 | 64006 | user6" in result.output
