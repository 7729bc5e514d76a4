"""Every YAML config loader: a broken file is named, with the line and the problem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from steward.accounts.coverage import load_coverage_rules
from steward.accounts.renewals import load_renewal_settings
from steward.errors import ConfigInvalid
from steward.ingest.mapping import load_mapping
from steward.journeys.journey import load_journey
from steward.metrics.config import load_events_config
from steward.notify.sequences import load_sequences
from steward.notify.templates import load_email_template
from steward.playbooks.model import load_playbook
from steward.playbooks.settings import load_automation_settings
from steward.reports.voice import load_voice_config
from steward.scoring.expansion import load_expansion_config
from steward.scoring.scorecard import load_scorecard

# A tab cannot indent a YAML key: the parser stops on line 3, column 1.
TAB_ON_LINE_3 = "name: broken\ndescription: a tab below\n\tsteps: 2\n"
TAB_PROBLEM = "line 3, column 1: found character '\\t' that cannot start any token"
A_LIST = "- name: broken\n- description: a list, not a mapping\n"


@dataclass(frozen=True)
class Loader:
    """How the code calls one loader, and the messages it gives.

    The messages are templates: ``{path}`` is the file written, ``{name}`` its
    name and ``{problem}`` the YAML problem; None where the case cannot arise.
    """

    load: Callable[[Path], object]
    bad_yaml: str
    a_list: str
    unreadable: str | None


def _shared(fields: str, what: str) -> dict[str, str]:
    """The messages of the loaders that read through steward.config_file."""
    return {
        "bad_yaml": "{path}: not valid YAML: {problem}",
        "a_list": (
            "{path}: the top level is a list, not a mapping; write its fields "
            f"({fields}) as key: value lines"
        ),
        "unreadable": f"{{path}}: cannot read {what}: Is a directory",
    }


LOADERS = {
    "journey": Loader(
        load_journey,
        **_shared(
            "name, description, window_days, grace_business_days, "
            "escalate_after_misses, task_due_business_days, alert_within_days, "
            "milestones",
            "journey file",
        ),
    ),
    "email template": Loader(
        lambda path: load_email_template(path.parent, path.stem),
        **{
            **_shared("subject, text, html", "email template"),
            # A folder in the template's place is no template at all.
            "unreadable": None,
        },
    ),
    "sequences folder": Loader(
        lambda path: load_sequences(path.parent),
        **_shared(
            "name, description, to, coverage, stop_on_reply, goal, params, steps",
            "sequence file",
        ),
    ),
    "event vocabulary": Loader(
        load_events_config, **_shared("events", "event vocabulary")
    ),
    "automation settings": Loader(
        load_automation_settings,
        **_shared("hours, tiers, portal", "automation settings"),
    ),
    "expansion": Loader(
        load_expansion_config,
        **_shared("name, sponsor_engagement_days, components", "expansion file"),
    ),
    "voice": Loader(
        load_voice_config,
        **_shared("categories, webhook, trend_months, quotes", "the voice settings"),
    ),
    "coverage": Loader(
        load_coverage_rules,
        **_shared(
            "tiers, coverage, capacity_per, size_bands, min_peers", "coverage rules"
        ),
    ),
    "renewals": Loader(
        load_renewal_settings,
        **_shared("windows, term_months, reason_tags, growth_tags", "renewal settings"),
    ),
    "playbook": Loader(
        load_playbook,
        bad_yaml="{path}: not valid YAML: {problem}",
        a_list=(
            "{path}: a playbook file is a YAML mapping with name, trigger, "
            "conditions and actions"
        ),
        unreadable=(
            "{path}: cannot read playbook file: [Errno 21] Is a directory: '{path}'"
        ),
    ),
    "scorecard": Loader(
        load_scorecard,
        bad_yaml="scorecard {path} is not valid YAML: {problem}",
        a_list=(
            "scorecard {path} must be a mapping of fields (name, version, "
            "factors, ...), not a bare value or list"
        ),
        unreadable="scorecard file {path} cannot be read: Is a directory",
    ),
    # A mapping's messages name the file alone: its sources sit beside it.
    "mapping": Loader(
        load_mapping,
        bad_yaml="mapping {name}: not valid YAML: {problem}",
        a_list="mapping {name}: must be a YAML mapping with name and sources",
        unreadable="mapping {name}: cannot be read (Is a directory)",
    ),
}


def _expected(template: str, path: Path) -> str:
    return template.format(path=path, name=path.name, problem=TAB_PROBLEM)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("loader", LOADERS.values(), ids=LOADERS.keys())
def test_a_yaml_syntax_error_names_the_file_and_the_line(tmp_path, loader):
    path = _write(tmp_path, TAB_ON_LINE_3)

    with pytest.raises(ConfigInvalid) as error:
        loader.load(path)

    assert str(error.value) == _expected(loader.bad_yaml, path)


@pytest.mark.parametrize("loader", LOADERS.values(), ids=LOADERS.keys())
def test_a_file_that_is_a_list_is_told_to_be_a_mapping(tmp_path, loader):
    path = _write(tmp_path, A_LIST)

    with pytest.raises(ConfigInvalid) as error:
        loader.load(path)

    assert str(error.value) == _expected(loader.a_list, path)


READABLE = {key: loader for key, loader in LOADERS.items() if loader.unreadable}


@pytest.mark.parametrize("loader", READABLE.values(), ids=READABLE.keys())
def test_a_file_that_cannot_be_read_is_not_called_bad_yaml(tmp_path, loader):
    path = tmp_path / "broken.yaml"
    path.mkdir()

    with pytest.raises(ConfigInvalid) as error:
        loader.load(path)

    assert loader.unreadable is not None
    assert str(error.value) == _expected(loader.unreadable, path)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("", "empty"), ("just words\n", "a text value"), ("42\n", "a single value (42)")],
)
def test_a_journey_that_is_no_mapping_says_what_it_is(tmp_path, text, kind):
    path = _write(tmp_path, text)

    with pytest.raises(ConfigInvalid) as error:
        load_journey(path)

    assert str(error.value) == (
        f"{path}: the top level is {kind}, not a mapping; write its fields (name, "
        "description, window_days, grace_business_days, escalate_after_misses, "
        "task_due_business_days, alert_within_days, milestones) as key: value lines"
    )
