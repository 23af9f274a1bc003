"""Bad environment values end in one line naming the variable and the fix, exit code 1."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ScriptedGenerator
from rag import config
from rag.cli import app
from rag.errors import SettingsError

runner = CliRunner()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RAG_TOP_K", "abc", "RAG_TOP_K='abc' is not a whole number; set it to one such as 6 or unset it"),
        ("RAG_TOP_K", "0", "RAG_TOP_K=0 is out of range; set it to a value from 1 to 50 or unset it"),
        ("RAG_THREADS", "-3", "RAG_THREADS=-3 is out of range; set it to a value from 1 to 256 or unset it"),
        ("RAG_ABSTAIN_THRESHOLD", "2", "RAG_ABSTAIN_THRESHOLD=2 is out of range; set it to a value from 0.0 to 1.0 or unset it"),
        ("RAG_ABSTAIN_THRESHOLD", "nan", "RAG_ABSTAIN_THRESHOLD=nan is out of range; set it to a value from 0.0 to 1.0 or unset it"),
        ("RAG_ABSTAIN_THRESHOLD", "half", "RAG_ABSTAIN_THRESHOLD='half' is not a number; set it to a number such as 0.5 or unset it"),
        ("RAG_CONTEXT_WORDS", "-1", "RAG_CONTEXT_WORDS=-1 is out of range; set it to a value of at least 1 or unset it"),
        ("RAG_CHUNK_WORDS", "many", "RAG_CHUNK_WORDS='many' is not a whole number; set it to one such as 400 or unset it"),
        ("RAG_CHUNK_OVERLAP", "-2", "RAG_CHUNK_OVERLAP=-2 is out of range; set it to a value of at least 0 or unset it"),
        ("RAG_STORE", "milvus", "RAG_STORE='milvus' is not a store; use faiss, milvus:FILE.db (Milvus Lite) or "
         "milvus:http://HOST:19530 or unset it"),
    ],
)
def test_bad_environment_value_is_one_line_naming_it(
    fake_models: ScriptedGenerator, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    read_by_index = variable.startswith(("RAG_CHUNK", "RAG_STORE"))
    for command in (["search", "Geneva"], ["ask", "Geneva?"]) + ((["index", "seeds"],) if read_by_index else ()):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, result.output
        assert result.output == f"error: {message}\n"
        assert isinstance(result.exception, SystemExit)  # not a traceback


@pytest.mark.parametrize(("variable", "value"), [("RAG_TOP_K", "abc"), ("RAG_ABSTAIN_THRESHOLD", "nan"),
                                                 ("RAG_PROMPT_CACHE_MB", "-1"), ("RAG_THREADS", "0")])
def test_a_bad_value_the_command_never_reads_is_a_warning(
    fake_models: ScriptedGenerator, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """`rag index` and `rag server status` read no setting of the language model's."""
    monkeypatch.setenv(variable, value)
    indexed = runner.invoke(app, ["index", "seeds", "--dry-run"])
    assert indexed.exit_code == 0, indexed.output
    assert indexed.output.startswith(f"warning: {variable}=")
    assert "(ignored: this command does not use it)\n" in indexed.output
    assert "Would index 5 files" in indexed.output
    assert runner.invoke(app, ["server", "status"]).exit_code == 0


def test_settings_ignoring_uses_the_default_of_what_it_sets_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "abc")
    monkeypatch.setenv("RAG_THREADS", "0")
    settings, set_aside = config.settings_ignoring(config.LLM_SETTINGS)
    assert (settings.top_k, settings.threads) == (6, config.available_cpus())
    assert [message.split("=")[0] for message in set_aside] == ["RAG_TOP_K", "RAG_THREADS"]
    with pytest.raises(SettingsError, match="RAG_TOP_K='abc'"):
        config.settings_ignoring({"threads"})


def test_blank_environment_value_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "  ")
    assert config.Settings().top_k == 6
    monkeypatch.setenv("RAG_INDEX", "  ")
    assert config.Settings().index_dir == config.DEFAULT_INDEX_DIR


def test_settings_made_in_code_are_checked_too() -> None:
    with pytest.raises(SettingsError, match="top_k=0 is out of range; set it to a value from 1 to 50$"):
        config.Settings(top_k=0)


def test_cpu_count_without_sched_getaffinity(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS has no os.sched_getaffinity."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.delenv("RAG_THREADS", raising=False)
    assert config.available_cpus() == (os.cpu_count() or 1)
    assert config.Settings().threads == config.available_cpus()


def test_store_setting_is_normalised_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert config.Settings().store == "faiss"
    assert config.Settings(store="milvus:./rag.db").store == f"milvus:{tmp_path / 'rag.db'}"
    assert config.Settings(store="milvus:http://db:19530").store == "milvus:http://db:19530"
    with pytest.raises(SettingsError, match="^store 'milvus:x.txt' is not a store; use faiss, milvus:FILE.db"):
        config.Settings(store="milvus:x.txt")
    assert config.Settings(store="milvus:HTTPS://db:443").store == "milvus:HTTPS://db:443"
    with pytest.raises(SettingsError, match="^store 'milvus:ftp://x' is not a store"):  # no Milvus speaks ftp
        config.Settings(store="milvus:ftp://x")
    result = runner.invoke(app, ["search", "Geneva", "--store", "chroma"])
    assert result.exit_code == 2 and "'chroma' is not a store" in " ".join(result.output.split())


def test_the_state_folder_is_absolute_off_or_the_users_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_STATE_DIR", "states")
    assert config.Settings().state_dir == tmp_path / "states"  # a server started from / finds the same folder
    monkeypatch.setenv("RAG_STATE_DIR", "OFF")
    assert config.Settings().state_dir is None
    monkeypatch.delenv("RAG_STATE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert config.Settings().state_dir == tmp_path / "cache" / "rag"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # ignored, as the XDG spec asks
    assert config.Settings().state_dir == Path.home() / ".cache" / "rag"


def test_an_index_path_that_is_not_utf8_is_one_line_before_anything_is_written(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    odd = tmp_path / os.fsdecode(b"idx\xff")
    with pytest.raises(SettingsError, match=r"index folder .*idx\? is not valid UTF-8"):
        config.Settings(index_dir=odd)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Kerry and Lavrov spoke for more than nine hours in Geneva.\n")
    result = CliRunner().invoke(app, ["index", str(corpus), "--index", str(odd)])
    assert result.exit_code == 1 and "is not valid UTF-8" in result.output and not odd.exists()


def test_a_folder_name_that_is_not_utf8_matters_only_for_the_index_folder_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.cli import settings_for

    odd = tmp_path / os.fsdecode(b"here\xff")
    odd.mkdir()
    monkeypatch.chdir(odd)  # the default .rag would be under it; --index names a sound folder
    assert settings_for(index=tmp_path / "idx").index_dir == tmp_path / "idx"
    monkeypatch.delenv("RAG_INDEX", raising=False)  # the default, ./.rag
    with pytest.raises(SettingsError, match="is not valid UTF-8"):
        settings_for()


def test_rag_embed_bf16_is_a_yes_or_a_no(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.embedding import bf16_wanted

    monkeypatch.setenv("RAG_EMBED_BF16", " Off ")
    assert bf16_wanted() is False
    monkeypatch.setenv("RAG_EMBED_BF16", "abc")
    with pytest.raises(SettingsError, match=r"^RAG_EMBED_BF16=abc is neither yes nor no; set it to 0 to embed in "
                                            r"float32, or unset it$") as raised:
        bf16_wanted()
    assert raised.value.variable == "RAG_EMBED_BF16"
