"""The steward command: set-up, and errors that name the flag or file and the fix."""

import csv
import io
import re
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from steward.cli.main import app
from tests.conftest import PG_ADMIN_URL, clean_pg_schema

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    return tmp_path / "home"


def invoke(*args: object):
    return runner.invoke(app, [str(arg) for arg in args])


def plain(output: str) -> str:
    """Usage errors come in a box that wraps lines: read them as one line."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def test_init_creates_the_store_and_default_config(home):
    result = invoke("init")

    assert result.exit_code == 0, result.output
    assert (home / "steward.db").exists()
    assert (home / "config" / "scorecards" / "default.yaml").exists()
    assert (home / "config" / "journeys" / "onboarding.yaml").exists()
    assert (home / "config" / "events.yaml").exists()


def test_init_leaves_a_teams_own_config_alone(home):
    invoke("init")
    scorecard = home / "config" / "scorecards" / "default.yaml"
    scorecard.write_text(scorecard.read_text() + "# ours\n")

    result = invoke("init")

    assert result.exit_code == 0
    assert scorecard.read_text().endswith("# ours\n")
    assert "wrote" not in result.output


def test_commands_before_init_say_how_to_start(home):
    result = invoke("run")

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: no Steward data folder at {home.resolve()}: run `steward init` "
        "(or `steward demo`), or point STEWARD_HOME at an existing one"
    )


def test_a_database_that_does_not_exist_is_named_with_the_fix(home, monkeypatch):
    name = f"steward_missing_{uuid.uuid4().hex[:8]}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("STEWARD_DATABASE_URL", url)

    result = invoke("accounts")

    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith(f"Error: cannot open the store at {url!r}: ")
    assert f'database "{name}" does not exist' in message
    assert message.endswith(
        "; check STEWARD_DATABASE_URL, that the server is running and that the "
        "database exists (createdb NAME)"
    )


def test_a_read_command_on_an_empty_database_creates_nothing(home, monkeypatch, pg_url):
    from sqlalchemy import create_engine, inspect

    clean_pg_schema(pg_url)
    engine = create_engine(pg_url)
    monkeypatch.setenv("STEWARD_DATABASE_URL", pg_url)

    result = invoke("accounts")

    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: no Steward store at ")
    assert result.output.strip().endswith(
        "run `steward init` (or `steward import`) with this STEWARD_DATABASE_URL "
        "first, or point it at an existing store"
    )
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_a_sqlite_url_to_a_missing_file_is_refused_not_created(
    home, monkeypatch, tmp_path
):
    target = tmp_path / "elsewhere" / "store.db"
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{target}")

    result = invoke("tasks")

    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: no Steward store at ")
    assert not target.exists()


def test_a_database_url_that_is_not_one_says_how_to_write_it(home, monkeypatch):
    monkeypatch.setenv("STEWARD_DATABASE_URL", "postgres-on-the-nas")

    result = invoke("init")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: cannot use the database URL 'postgres-on-the-nas' (Could not parse "
        "SQLAlchemy URL from given URL string); set STEWARD_DATABASE_URL to "
        "postgresql+psycopg://user@host:5432/dbname, or unset it to keep the store "
        "in STEWARD_HOME"
    )


def test_a_data_folder_inside_a_file_names_the_path(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("not a folder")
    home = tmp_path / "notes.txt" / "steward-data"
    monkeypatch.setenv("STEWARD_HOME", str(home))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)

    result = invoke("init")

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {home}: Not a directory; check the path (STEWARD_HOME and the "
        "files the command names) and its permissions"
    )


def test_bad_date_names_the_flag(home):
    invoke("init")

    result = invoke("run", "--as-of", "31/12/2024")

    assert result.exit_code == 2
    assert "--as-of" in result.output
    assert "'31/12/2024' is not a date; write it as YYYY-MM-DD" in plain(result.output)


def test_unknown_band_lists_the_bands(home):
    invoke("init")

    result = invoke("accounts", "--band", "red")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: --band: unknown band 'red'; use one of healthy, neutral, at_risk, "
        "insufficient_data"
    )


def test_unknown_stage_lists_the_stages(home):
    invoke("init")

    result = invoke("accounts", "--stage", "renewing")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: --stage: unknown lifecycle stage 'renewing'; use one of "
        "contract_signed, onboarding, training_setup, adoption, qbr, renewal_risk, "
        "recovery, expansion, renewal, churned"
    )


def test_tasks_for_an_unknown_email_is_an_error_not_an_empty_inbox(home, tmp_path):
    users = tmp_path / "users.csv"
    users.write_text("email,name,role\nana@example.com,Ana,csm\n")
    invoke("import", users, "--kind", "users")

    unknown = invoke("tasks", "--for", "csm1@demo.steward.example")
    known = invoke("tasks", "--for", "ANA@example.com")

    assert unknown.exit_code == 1
    assert unknown.output.strip() == (
        "Error: --for: no user with email 'csm1@demo.steward.example'; "
        "no task is assigned yet"
    )
    assert known.exit_code == 0
    assert known.output.strip() == "Tasks (0 shown): none."


def test_tasks_of_an_unknown_account_is_an_error(home):
    invoke("init")

    result = invoke("tasks", "--account", "A-404")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: no account with id 'A-404'; `steward accounts` lists them"
    )


def test_unknown_account_says_where_to_look(home):
    invoke("init")

    result = invoke("account", "A-404")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: no account with id 'A-404'; `steward accounts` lists them"
    )


def test_import_needs_a_mapping_or_a_kind(home, tmp_path):
    data = tmp_path / "accounts.csv"
    data.write_text("external_id,name\nA-1,Acme\n")

    result = invoke("import", data)

    assert result.exit_code == 2
    assert "--mapping" in result.output
    assert "say how to read the data" in plain(result.output)


def test_import_rejects_an_unknown_kind_and_mapping(home, tmp_path):
    data = tmp_path / "accounts.csv"
    data.write_text("external_id,name\nA-1,Acme\n")

    kind = invoke("import", data, "--kind", "acounts")
    mapping = invoke("import", tmp_path, "--mapping", "salesforce-2019")

    assert kind.exit_code == 2
    assert "'acounts' is not a kind; use one of users, accounts" in plain(kind.output)
    assert mapping.exit_code == 2
    assert "'salesforce-2019' is neither a mapping file nor a shipped mapping" in (
        plain(mapping.output)
    )


def test_import_help_names_every_shipped_mapping_and_kind():
    from steward.cli.data import SHIPPED
    from steward.ingest.targets import KINDS

    result = invoke("import", "--help")

    assert result.exit_code == 0
    options = plain(result.output).split("Options")[1]
    mappings = options[options.index("--mapping") : options.index("--kind")]
    kinds = options[options.index("--kind") : options.index("--errors-csv")]
    assert [m.stem for m in SHIPPED.glob("*.yaml") if m.stem not in mappings] == []
    assert [kind for kind in KINDS if kind not in kinds] == []


def test_import_by_kind_needs_the_required_columns(home, tmp_path):
    data = tmp_path / "accounts.csv"
    data.write_text("id,name\nA-1,Acme\n")

    result = invoke("import", data, "--kind", "accounts")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: accounts.csv: no column named external_id, which accounts need; "
        "rename the columns or write a mapping file (docs/importing.md)"
    )


def test_import_reports_rejected_rows_and_exits_3(home, tmp_path):
    data = tmp_path / "accounts.csv"
    data.write_text("external_id,name,seats\nA-1,Acme,10\nA-2,Beta,ten\n")
    problems = tmp_path / "problems.csv"

    result = invoke("import", data, "--kind", "accounts", "--errors-csv", problems)

    assert result.exit_code == 3
    assert "accounts.csv, row 3, column 'seats'" in result.output
    lines = problems.read_text().strip().splitlines()
    assert lines[0] == "level,file,row,column,rule,value"
    assert lines[1].startswith("error,accounts.csv,3,seats,")


def test_a_problems_file_that_cannot_be_written_is_refused_before_importing(
    home, tmp_path, monkeypatch
):
    invoke("init")
    monkeypatch.chdir(tmp_path)
    Path("accounts.csv").write_text("external_id,name\nA-1,Acme\n")

    result = invoke(
        "import", "accounts.csv", "--kind", "accounts", "--errors-csv", "no/p.csv"
    )
    listing = invoke("accounts", "--format", "csv")

    assert result.exit_code == 2
    assert (
        "Invalid value for --errors-csv: no/p.csv is in no, which is not a folder "
        "that exists"
    ) in plain(result.output)
    assert listing.output.strip().splitlines()[1:] == []  # no account imported


def test_an_empty_file_is_called_empty(home, tmp_path):
    invoke("init")
    empty = tmp_path / "accounts.csv"
    empty.write_text("\n")

    result = invoke("import", empty, "--kind", "accounts")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: accounts.csv: the file is empty (it has no columns); nothing was "
        "imported"
    )


def test_accounts_csv_export_neutralises_formulas(home, tmp_path):
    data = tmp_path / "accounts.csv"
    data.write_text('external_id,name\nA-1,"=HYPERLINK(""http://x"")"\n')
    invoke("import", data, "--kind", "accounts")

    result = invoke("accounts", "--format", "csv")

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[0]["name"] == '\'=HYPERLINK("http://x")'
