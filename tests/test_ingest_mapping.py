"""Mapping files: the shipped ones load, broken ones say exactly what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.errors import MappingInvalid
from steward.ingest.mapping import load_mapping, make_source

SHIPPED = Path(__file__).parents[1] / "steward" / "ingest" / "mappings"

ACCOUNTS = """
name: broken
sources:
  - kind: accounts
    file: accounts.csv
    fields:
{fields}
"""


def write_mapping(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(content)
    return path


def accounts_mapping(tmp_path: Path, fields: str) -> Path:
    indented = "\n".join(f"      {line}" for line in fields.strip().splitlines())
    return write_mapping(tmp_path, ACCOUNTS.format(fields=indented))


@pytest.mark.parametrize("name", ["ravenstack", "telco", "cdnow", "sparkify"])
def test_shipped_mappings_load(name: str) -> None:
    mapping = load_mapping(SHIPPED / f"{name}.yaml")

    assert mapping.name == name
    assert all(source.specs for source in mapping.sources)


def test_yes_and_no_stay_text_in_value_maps() -> None:
    mapping = load_mapping(SHIPPED / "telco.yaml")

    outcomes = mapping.sources[1]
    assert outcomes.specs["kind"].values == {"Yes": "churned", "No": "renewed"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            "external_id: id\nname: name\nacount: acct",
            "mapping team.yaml, source 1 (accounts.csv), field 'acount': accounts "
            "have no such field; the fields are: external_id, name, industry, "
            "country, region, timezone, arr, seats, custom_integrations, tier, "
            "coverage, segment, plan, csm_email, ae_email, lifecycle_stage, "
            "signed_on, tags, attributes",
        ),
        (
            "external_id: id",
            "mapping team.yaml, source 1 (accounts.csv): required field 'name' is "
            "not mapped",
        ),
        (
            "external_id: id\nname: {column: n, value: x}",
            "mapping team.yaml, source 1 (accounts.csv), field 'name': give either "
            "column or value, not both",
        ),
        (
            "external_id: id\nname: {values: {a: b}}",
            "mapping team.yaml, source 1 (accounts.csv), field 'name': give a column "
            "or a value",
        ),
        (
            "external_id: id\nname: name\narr: {column: arr, format: '%Y'}",
            "mapping team.yaml, source 1 (accounts.csv), field 'arr': format, "
            "dayfirst and unit apply only to dates and times",
        ),
        (
            "external_id: id\nname: name\nsigned_on: {column: d, unit: days}",
            "mapping team.yaml, source 1 (accounts.csv), field 'signed_on': unit: "
            "Input should be 's' or 'ms'",
        ),
        (
            "external_id: id\nname: {column: n, colour: red}",
            "mapping team.yaml, source 1 (accounts.csv), field 'name': colour: not a "
            "known option; check its spelling",
        ),
        (
            "external_id: id\nname: name\nattributes: [a, b]",
            "mapping team.yaml, source 1 (accounts.csv), field 'attributes': must "
            "map attribute names to columns",
        ),
        (
            "external_id: id\nname: name\nattributes: {x: {column: x, type: money}}",
            "mapping team.yaml, source 1 (accounts.csv), field 'attributes', "
            "attribute 'x': type: Input should be 'string', 'number', 'integer', "
            "'boolean' or 'date'",
        ),
        (
            "external_id: id\nname: {column: n, lookup: contract}",
            "mapping team.yaml, source 1 (accounts.csv), field 'name': lookup "
            "applies only to account",
        ),
    ],
)
def test_broken_fields_are_named_with_the_rule(
    tmp_path: Path, fields: str, message: str
) -> None:
    path = accounts_mapping(tmp_path, fields)

    with pytest.raises(MappingInvalid) as error:
        load_mapping(path)

    assert str(error.value) == message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "name: x\nsources:\n  - {kind: acounts, file: a.csv, fields: {}}\n",
            "mapping team.yaml, source 1 (a.csv): kind 'acounts' is not one of: "
            "users, accounts, contacts, contracts, outcomes, tickets, nps, efforts, "
            "events",
        ),
        (
            "name: x\nsources:\n  - {kind: events, file: e.csv, delimiter: ':',"
            " fields: {}}\n",
            'mapping team.yaml, source 1 (e.csv): delimiter: must be auto, ",", '
            '";", "\\t", "|" or whitespace',
        ),
        (
            "name: x\nsources:\n  - {kind: events, file: e.csv, header: maybe,"
            " fields: {}}\n",
            "mapping team.yaml, source 1 (e.csv): header: Input should be a valid "
            "boolean, unable to interpret input",
        ),
        (
            "name: x\nsources:\n  - {kind: events, file: e.csv, header: false,"
            " fields: {account: 1, event: 2, ts: 3}}\n",
            "mapping team.yaml, source 1 (e.csv): header: false needs columns: "
            "[names...]",
        ),
        (
            "name: x\nsources:\n  - {kind: events, fields: {}}\n",
            "mapping team.yaml, source 1 (?): give file or table, exactly one of "
            "the two",
        ),
        (
            "name: x\nsources: []\n",
            "mapping team.yaml: sources is empty; list at least one file",
        ),
        (
            "sources: []\n",
            "mapping team.yaml: name: is required",
        ),
        (
            "name: x\nsources: [\n",
            "mapping team.yaml: not valid YAML: line 3, column 1: expected the node "
            "content, but found '<stream end>'",
        ),
    ],
)
def test_broken_sources_are_named_with_the_rule(
    tmp_path: Path, content: str, message: str
) -> None:
    path = write_mapping(tmp_path, content)

    with pytest.raises(MappingInvalid) as error:
        load_mapping(path)

    assert str(error.value) == message


def test_contacts_need_an_id_or_an_email(tmp_path: Path) -> None:
    with pytest.raises(MappingInvalid) as error:
        make_source("contacts", "people.csv", {"account": "acct", "name": "name"})

    assert str(error.value) == (
        "import of people.csv: map external_id or email to identify contacts"
    )


def test_a_missing_mapping_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(MappingInvalid) as error:
        load_mapping(tmp_path / "nope.yaml")

    assert (
        str(error.value)
        == "mapping nope.yaml: cannot be read (No such file or directory)"
    )


def test_field_shorthand_and_options_resolve_to_specs() -> None:
    source = make_source(
        "events",
        "e.csv",
        {
            "account": {"column": "sub", "lookup": "contract"},
            "event": {"value": "login"},
            "ts": {"column": "at", "unit": "ms"},
            "properties": ["a", "b"],
        },
        delimiter="tab",
    )

    assert source.delimiter == "\t"
    assert source.specs["account"].lookup == "contract"
    assert source.specs["event"].is_constant and source.specs["event"].value == "login"
    assert source.specs["ts"].unit == "ms"
    assert source.properties == ["a", "b"]
