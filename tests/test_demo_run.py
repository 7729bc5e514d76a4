"""`steward demo` end to end, and the learned weights against the known drivers."""

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from steward.cli.main import app
from steward.demo import DRIVERS
from steward.scoring.scorecard import load_scorecard

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo") / "steward-data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEWARD_HOME", str(home))
        patch.delenv("STEWARD_DATABASE_URL", raising=False)
        result = runner.invoke(
            app, ["demo", "--as-of", "2026-06-30", "--seed", "7", "--no-serve"]
        )
    assert result.exit_code == 0, result.output
    return home


def test_demo_fits_and_runs_and_says_where_to_look(demo_home):
    card = load_scorecard(demo_home / "config" / "scorecards" / "default.yaml")

    assert card.version == 2
    assert card.fit.verdict == "new_weights"
    assert card.fit.mode == "time_ordered"
    assert (demo_home / ".steward-demo").exists()


def test_learned_weights_rank_the_known_drivers_in_order(demo_home):
    card = load_scorecard(demo_home / "config" / "scorecards" / "default.yaml")
    weights = {factor.metric: factor.weight for factor in card.factors}

    learned = [weights[driver.metric] for driver in DRIVERS]

    # Each driver's sign: more utilisation and NPS keep accounts, tickets lose them.
    assert [1 if weight > 0 else -1 for weight in learned] == [d.sign for d in DRIVERS]
    # Strongest first, as the simulation set them.
    strengths = [abs(weight) for weight in learned]
    assert strengths == sorted(strengths, reverse=True)


def test_demo_refuses_a_folder_it_did_not_make(tmp_path, monkeypatch):
    home = tmp_path / "real"
    home.mkdir()
    (home / "steward.db").write_text("")
    monkeypatch.setenv("STEWARD_HOME", str(home))

    result = runner.invoke(app, ["demo", "--no-serve"])

    assert result.exit_code == 1
    assert "holds data that steward demo did not make" in result.output
    assert (home / "steward.db").exists()


def _readme_block(heading: str) -> list[str]:
    """The command lines of the first shell block under ``heading`` in README.md."""
    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines()]


def test_the_readme_commands_after_the_demo_run_as_written(demo_home, monkeypatch):
    monkeypatch.setenv("STEWARD_HOME", str(demo_home))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    riskiest = runner.invoke(
        app, ["accounts", "--band", "at_risk", "--limit", "1", "--format", "csv"]
    )
    account = riskiest.output.splitlines()[1].split(",")[0]
    lines = [line for line in _readme_block("After the demo") if "steward " in line]

    outputs = {}
    for line in lines:
        args = shlex.split(line.replace("ACCOUNT_ID", account))[1:]
        args = [{"YYYY-MM-DD": "2026-07-01"}.get(arg, arg) for arg in args]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        outputs[args[0]] = result.output

    assert len(lines) == 5
    assert "Tasks (0 shown)" not in outputs["tasks"]
    assert "Daily run for 2026-07-01" in outputs["run"]
