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
    assert "This follows the question: How long did Kerry and Lavrov talk in Geneva?" in fake_models.prompts[1]


def test_follow_up_detection() -> None:
    assert is_follow_up("And what did Lavrov say about that?")
    assert is_follow_up("Why did he do it?")
    assert not is_follow_up("Where did Kerry and Lavrov meet in July 2016?")
