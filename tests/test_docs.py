"""The README documents every command and every environment variable the code reads."""

from pathlib import Path

import typer.main

from rag.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_command_has_help_and_appears_in_the_readme() -> None:
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help, name
        assert f"rag {name}" in README, name


def test_every_environment_variable_is_documented() -> None:
    source = "".join(p.read_text() for p in (Path(__file__).resolve().parent.parent / "rag").glob("*.py"))
    import re

    for variable in set(re.findall(r'"(RAG_[A-Z_]+)"', source)):
        assert variable in README, variable
