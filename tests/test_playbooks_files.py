"""Playbook files: `steward playbook check` and its error messages, and listing."""

from pathlib import Path

import pytest

from steward.playbooks.service import list_playbooks
from tests.playbook_company import build, invoke, run

BUILT_IN = (
    "digital-led-activation",
    "expansion",
    "incident-recovery",
    "onboarding-portal-review",
    "onboarding-rescue",
    "onboarding-tier1",
    "onboarding-tier2-intervention",
    "onboarding-tier2",
    "recovery-exit",
    "recovery-review",
    "tech-touch-adoption",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    invoke("init")
    return tmp_path / "home"


def test_every_built_in_playbook_passes_check(home):
    result = invoke("playbook", "check")

    assert result.exit_code == 0, result.output
    folder = home / "config" / "playbooks"
    assert sorted(result.output.strip().splitlines()) == sorted(
        f"ok: {folder / name}.yaml ({name})" for name in BUILT_IN
    )


TASK = "actions:\n  - type: task\n    title: Call {{ account.name }}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: nudge\ntrigger:\n  kind: milestone_late\n" + TASK,
            "trigger.kind: unknown kind 'milestone_late'; use one of "
            "milestone_overdue, score_crosses, band_changes, renewal_within, "
            "nps_detractor, incident, tag, schedule, onboarding_day, band_held",
        ),
        (
            "name: nudge\ntrigger:\n  kind: milestone_overdue\n"
            "  more_than_business_days: -1\n" + TASK,
            "trigger.more_than_business_days: Input should be greater than or "
            "equal to 0",
        ),
        (
            "name: nudge\ntrigger:\n  kind: schedule\n  every: week\n  on: monday\n"
            + TASK,
            "trigger: a key reads as True: YAML takes an unquoted on, off, yes or "
            "no for true or false; quote the key",
        ),
        (
            "name: nudge\ntrigger:\n  kind: schedule\n  every: week\n" + TASK,
            "trigger: a weekly schedule needs weekday: e.g. monday",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nconditions:\n  tiers: [Tier 1]\n"
            + TASK,
            "conditions.tiers: not a known field here (check the spelling)",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nconditions:\n  stage: [won]\n"
            + TASK,
            "conditions.stage: unknown lifecycle stage 'won'; use one of "
            "contract_signed, onboarding, training_setup, adoption, qbr, "
            "renewal_risk, recovery, expansion, renewal, churned",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nactions:\n  - type: emal\n",
            "actions[0].type: unknown type 'emal'; use one of task, escalate, "
            "email, slack, webhook, tag, stage, sequence, timeline",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nactions:\n  - type: task\n"
            "    title: x\n    due: {business_days: 2, days: 3}\n",
            "actions[0].due: give exactly one of business_days, days or months",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nactions:\n  - type: task\n"
            "    title: x\n    journey_alert: true\n",
            "actions[0].journey_alert: needs the milestone_overdue trigger, not "
            "incident",
        ),
        (
            "name: nudge\ntrigger:\n  kind: schedule\n  every: day\n"
            "  per: portfolio\nactions:\n  - type: tag\n    add: Seen\n",
            "actions[0].type: a tag action changes one account, and a playbook run "
            "once for the whole book (schedule per: portfolio) has none; use per: "
            "account",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nactions:\n  - type: task\n"
            "    title: 'Call {{ acount.name }}'\n",
            "actions[0].title: template error: 'acount' is undefined",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nactions:\n  - type: slack\n"
            "    text: '{{ trigger.sumary }}'\n",
            "actions[0].text: template error: 'dict object' has no attribute 'sumary'",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nactions:\n  - type: sequence\n"
            "    enrol: welcome\n",
            "actions[0].enrol: no sequence named 'welcome' in the sequences folder "
            "(known: digital-led-activation, tech-touch-adoption, tier2-onboarding)",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nactions\n  - type: task\n",
            "not valid YAML: line 5, column 9: could not find expected ':' (while "
            "scanning a simple key at line 4, column 1)",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nactions:\n  - type: task\n"
            "    title: x\n    assignee: cms\n",
            "actions[0].assignee: unknown assignee 'cms'; use csm, ae, manager or "
            "a user's email",
        ),
        (
            "name: nudge\ntrigger:\n  kind: incident\nactions:\n  - type: email\n"
            "    template: sorry\n    to: [admin, champoin]\n",
            "actions[0].to: unknown recipient 'champoin'; use a contact role "
            "(executive_sponsor, champion, admin, user), csm, ae or an email address",
        ),
    ],
)
def test_check_names_the_file_the_field_and_the_rule(home, tmp_path, text, message):
    path = tmp_path / "nudge.yaml"
    path.write_text(text)

    result = invoke("playbook", "check", path)

    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {path}: {message}"


def test_a_missing_email_template_lists_the_ones_there_are(home, tmp_path):
    path = tmp_path / "nudge.yaml"
    path.write_text(
        "name: nudge\ntrigger:\n  kind: incident\nactions:\n  - type: email\n"
        "    template: sorry\n    to: [executive_sponsor]\n"
    )

    result = invoke("playbook", "check", path)

    emails = home / "config" / "emails"
    there = ", ".join(sorted(file.stem for file in emails.glob("*.yaml")))
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {path}: actions[0].template: {emails / 'sorry.yaml'}: no such "
        f"email template; write it, or use one of: {there}"
    )
    assert "onboarding-rescue, tech-touch-checkin" in there


def test_a_mistake_inside_an_email_template_names_that_file(home, tmp_path):
    emails = home / "config" / "emails"
    (emails / "sorry.yaml").write_text(
        "subject: Sorry {{ contact.frist_name }}\ntext: x\n"
    )
    path = tmp_path / "nudge.yaml"
    path.write_text(
        "name: nudge\ntrigger:\n  kind: incident\nactions:\n  - type: email\n"
        "    template: sorry\n    to: [executive_sponsor]\n"
    )

    result = invoke("playbook", "check", path)

    assert result.output.strip() == (
        f"Error: {path}: actions[0].template: {emails / 'sorry.yaml'}: subject: "
        "template error: 'dict object' has no attribute 'frist_name'"
    )


OVERDUE = "name: nudge\ntrigger:\n  kind: milestone_overdue\n  journey: {}\n" + TASK
# A journey is known by its name field, not its file name.
ADOPTION = (
    "name: adoption\nmilestones:\n  - key: first_login\n    title: First login\n"
    "    signal: first_login\n    due_days: 7\n"
)


def test_a_trigger_naming_an_unknown_journey_lists_the_ones_there_are(home, tmp_path):
    journeys = home / "config" / "journeys"
    (journeys / "later.yaml").write_text(ADOPTION)
    path = tmp_path / "nudge.yaml"
    path.write_text(OVERDUE.format("later"))

    result = invoke("playbook", "check", path)

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {path}: trigger.journey: no journey named 'later' in {journeys} "
        "(known: adoption, onboarding)"
    )


def test_a_trigger_naming_a_journey_by_its_name_passes_check(home, tmp_path):
    (home / "config" / "journeys" / "later.yaml").write_text(ADOPTION)
    path = tmp_path / "nudge.yaml"
    path.write_text(OVERDUE.format("adoption"))

    result = invoke("playbook", "check", path)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"ok: {path} (nudge)"


MILESTONES = (
    "name: nudge\ntrigger:\n  kind: milestone_overdue\n{journey}"
    "  milestones: [first_login, {key}]\n" + TASK
)


def test_a_trigger_naming_a_milestone_its_journey_lacks_fails_check(home, tmp_path):
    (home / "config" / "journeys" / "later.yaml").write_text(ADOPTION)
    path = tmp_path / "nudge.yaml"
    path.write_text(MILESTONES.format(journey="  journey: adoption\n", key="frist"))

    result = invoke("playbook", "check", path)

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {path}: trigger.milestones[1]: no milestone 'frist' in journey "
        "'adoption' (known: first_login)"
    )


def test_without_a_journey_named_milestones_are_looked_for_in_every_journey(
    home, tmp_path
):
    journeys = home / "config" / "journeys"
    (journeys / "later.yaml").write_text(ADOPTION)
    path = tmp_path / "nudge.yaml"
    # seat_activation is the built-in onboarding journey's, not adoption's.
    path.write_text(MILESTONES.format(journey="", key="seat_activation"))
    assert invoke("playbook", "check", path).exit_code == 0

    path.write_text(MILESTONES.format(journey="", key="seat_activaton"))
    result = invoke("playbook", "check", path)

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {path}: trigger.milestones[1]: no milestone 'seat_activaton' in any "
        f"journey in {journeys} (known: first_core_workflow, first_login, "
        "seat_activation)"
    )


def test_check_goes_on_past_a_bad_file_and_fails_at_the_end(home, tmp_path):
    good = home / "config" / "playbooks" / "expansion.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")

    result = invoke("playbook", "check", bad, good)

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {bad}: a playbook file is a YAML mapping with name, trigger, "
        "conditions and actions",
        f"ok: {good} (expansion)",
    ]


ONE_ACCOUNT = {
    "accounts": "external_id,name,country\nA-1,Acme,GB\n",
    "contracts": "external_id,account,start_date\nk1,A-1,2024-01-01\n",
    "events": "account,event,ts\nA-1,login,2024-12-02T09:00:00Z\n",
}


def test_the_daily_run_skips_a_broken_playbook_and_says_so(tmp_path, monkeypatch):
    workspace = build(tmp_path, monkeypatch, ONE_ACCOUNT)
    broken = workspace.playbooks_dir / "broken.yaml"
    broken.write_text("name: broken\ntrigger:\n  kind: nope\n")

    result = invoke("run", "--as-of", "2024-12-02", "--no-deliver")

    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (
        f"Note: playbook file skipped: {broken}: trigger.kind: unknown kind 'nope'"
    ) in text


def test_playbook_list_shows_triggers_runs_and_broken_files(tmp_path, monkeypatch):
    workspace = build(tmp_path, monkeypatch, ONE_ACCOUNT)
    (workspace.playbooks_dir / "broken.yaml").write_text("name: broken\n")
    invoke("incident", "A-1", "--on", "2024-12-02")
    run(workspace, "2024-12-02")

    result = invoke("playbook", "list")
    with workspace.store.session() as session:
        rows = {
            row.name: row for row in list_playbooks(workspace.playbooks_dir, session)
        }

    assert result.exit_code == 0, result.output
    assert "incident-recovery" in result.output
    rescue = rows["onboarding-rescue"]
    assert (rescue.enabled, rescue.trigger, rescue.runs) == (
        True,
        "any milestone of onboarding more than 5 business days late",
        0,
    )
    recovery = rows["incident-recovery"]
    assert (recovery.runs, str(recovery.last_fired)) == (1, "2024-12-02")
    assert rows["recovery-exit"].trigger == (
        "healthy for 2 months since the Recovery tag"
    )
    broken = rows["broken"]
    assert broken.enabled is False
    assert broken.problem == (
        f"{workspace.playbooks_dir / 'broken.yaml'}: trigger: Field required "
        "(1 more problem(s) after this one)"
    )
