"""Mapping files: how a team's export becomes Steward records, without code.

A mapping is YAML (see docs/importing.md). Each source names a file or a
database table, its kind and, for each Steward field, the column that fills
it. Loading checks every rule and raises ``MappingInvalid`` naming the mapping
file, the source, the field and the rule broken.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from steward.errors import MappingInvalid, yaml_problem
from steward.ingest.targets import DATE_TYPES, KINDS, TARGETS

DELIMITER_NAMES = {
    "comma": ",",
    "semicolon": ";",
    "tab": "\t",
    "\\t": "\t",
    "pipe": "|",
    "space": "whitespace",
}
DELIMITERS = ("auto", ",", ";", "\t", "|", "whitespace")
# "column", or "column desc" / "column asc" (any case) in order_by.
_ORDER = re.compile(r"^\s*(?P<column>.+?)(?:\s+(?P<way>asc|desc))?\s*$", re.IGNORECASE)


class _Loader(yaml.SafeLoader):
    """YAML where only true/false are booleans: ``{Yes: churned}`` keeps "Yes"."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class _FileOrTable(BaseModel):
    """Something read from a file or from a database table: exactly one of the two."""

    file: str | None = None
    table: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> _FileOrTable:
        if (self.file is None) == (self.table is None):
            raise ValueError("give file or table, exactly one of the two")
        return self

    @property
    def label(self) -> str:
        """The file or the table, as reports name it."""
        return self.file if self.file is not None else str(self.table)


class Via(_FileOrTable):
    """Read a field through a second file or table: ``key`` column to ``value``.

    For association tables a connector lands beside the main one, e.g.
    HubSpot's deal-to-company table (``deal_id`` to ``company_id``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    value: str


class FieldSpec(BaseModel):
    """Where a Steward field comes from (a column or a constant) and how to read it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str | None = None
    value: Any = None
    values: dict[str, Any] | None = None
    format: str | None = None
    dayfirst: bool | None = None
    unit: Literal["s", "ms"] | None = None
    type: Literal["string", "number", "integer", "boolean", "date"] | None = None
    lookup: Literal["contract"] | None = None
    split: str | None = None
    allow_blank: bool = False
    via: Via | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_text(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        return {_key_text(key): value for key, value in values.items()}

    @property
    def is_constant(self) -> bool:
        return "value" in self.model_fields_set

    @property
    def input_column(self) -> str | None:
        """The column read: the file's own, or the one looked up through ``via``."""
        if self.via is None:
            return self.column
        return f"{self.column} via {self.via.label}"


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


class Source(_FileOrTable):
    """One file (or glob) or table of one kind, and how its columns fill fields."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    order_by: list[str] | None = None
    format: Literal["auto", "csv", "jsonl", "parquet"] = "auto"
    delimiter: str = "auto"
    header: bool = True
    columns: list[str] | None = None
    encoding: str = "auto"
    dayfirst: bool | Literal["auto"] = "auto"
    create_accounts: bool = False
    fields: dict[str, Any]

    _specs: dict[str, FieldSpec] = PrivateAttr(default_factory=dict)
    _attributes: dict[str, FieldSpec] = PrivateAttr(default_factory=dict)
    _properties: list[str] = PrivateAttr(default_factory=list)

    @field_validator("delimiter", mode="before")
    @classmethod
    def _delimiter(cls, value: Any) -> Any:
        value = DELIMITER_NAMES.get(value, value)
        if value not in DELIMITERS:
            raise ValueError('must be auto, ",", ";", "\\t", "|" or whitespace')
        return value

    @field_validator("order_by", mode="before")
    @classmethod
    def _order_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def order(self) -> list[tuple[str, bool]]:
        """``order_by`` as (column, descending) pairs; checked on loading."""
        pairs = []
        for item in self.order_by or []:
            match = _ORDER.match(item)
            if match is not None:
                descending = (match["way"] or "").lower() == "desc"
                pairs.append((match["column"], descending))
        return pairs

    @property
    def specs(self) -> dict[str, FieldSpec]:
        """Each mapped Steward field (not attributes or properties) and its spec."""
        return self._specs

    @property
    def attributes(self) -> dict[str, FieldSpec]:
        return self._attributes

    @property
    def properties(self) -> list[str]:
        return self._properties

    @property
    def default_dayfirst(self) -> bool | None:
        return None if self.dayfirst == "auto" else self.dayfirst


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    sources: list[Source]


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; ``MappingInvalid`` says what to fix."""
    where = f"mapping {path.name}"
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as error:
        raise MappingInvalid(f"{where}: cannot be read ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise MappingInvalid(
            f"{where}: not valid YAML: {yaml_problem(error)}"
        ) from error
    if not isinstance(raw, dict):
        raise MappingInvalid(f"{where}: must be a YAML mapping with name and sources")
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as error:
        raise MappingInvalid(_pydantic_message(where, raw, error)) from None
    if not mapping.sources:
        raise MappingInvalid(f"{where}: sources is empty; list at least one file")
    for index, source in enumerate(mapping.sources, start=1):
        check_source(source, f"{where}, source {index} ({source.label})")
    return mapping


def make_source(kind: str, file: str, fields: dict[str, Any], **options: Any) -> Source:
    """A checked source for a one-off import of ``file`` (``steward import --kind``)."""
    where = f"import of {Path(file).name}"
    raw = {"kind": kind, "file": file, "fields": fields, **options}
    try:
        source = Source.model_validate(raw)
    except ValidationError as error:
        raise MappingInvalid(_pydantic_message(where, raw, error)) from None
    check_source(source, where)
    return source


def check_source(source: Source, where: str) -> None:
    """Check the fields against the kind's targets and resolve them into specs."""
    if source.kind not in KINDS:
        kinds = ", ".join(KINDS)
        raise MappingInvalid(f"{where}: kind '{source.kind}' is not one of: {kinds}")
    if not source.header and not source.columns:
        raise MappingInvalid(f"{where}: header: false needs columns: [names...]")
    for item in source.order_by or []:
        if _ORDER.match(item) is None:
            raise MappingInvalid(
                f"{where}: order_by: '{item}' is not 'column', 'column asc' or "
                "'column desc'"
            )
    targets = TARGETS[source.kind]
    specs: dict[str, FieldSpec] = {}
    for name, raw in source.fields.items():
        if name not in targets:
            raise MappingInvalid(
                f"{where}, field '{name}': {source.kind} have no such field; "
                f"the fields are: {', '.join(targets)}"
            )
        kind = targets[name].type
        if kind == "attributes":
            source._attributes = _attributes(raw, f"{where}, field 'attributes'")
        elif kind == "properties":
            source._properties = _properties(raw, f"{where}, field 'properties'")
        else:
            specs[name] = _spec(raw, kind, name, f"{where}, field '{name}'")
    _check_required(source.kind, specs, where)
    source._specs = specs


def _spec(raw: Any, kind: str, name: str, where: str) -> FieldSpec:
    spec = _parse_spec(raw, where)
    if spec.type is not None:
        raise MappingInvalid(f"{where}: type applies only to attributes")
    if spec.split is not None and kind != "tags":
        raise MappingInvalid(f"{where}: split applies only to tags")
    if spec.lookup is not None and name != "account":
        raise MappingInvalid(f"{where}: lookup applies only to account")
    dated = spec.format or spec.dayfirst is not None or spec.unit
    if dated and kind not in DATE_TYPES:
        raise MappingInvalid(
            f"{where}: format, dayfirst and unit apply only to dates and times"
        )
    if spec.allow_blank and kind not in ("number", "integer"):
        raise MappingInvalid(f"{where}: allow_blank applies only to numbers")
    return spec


def _parse_spec(raw: Any, where: str) -> FieldSpec:
    if isinstance(raw, str):
        return FieldSpec(column=raw)
    if not isinstance(raw, dict):
        raise MappingInvalid(f"{where}: must be a column name or a mapping with column")
    try:
        spec = FieldSpec.model_validate(raw)
    except ValidationError as error:
        raise MappingInvalid(_pydantic_message(where, raw, error)) from None
    if spec.column is not None and spec.is_constant:
        raise MappingInvalid(f"{where}: give either column or value, not both")
    if spec.column is None and not spec.is_constant:
        raise MappingInvalid(f"{where}: give a column or a value")
    return spec


def _attributes(raw: Any, where: str) -> dict[str, FieldSpec]:
    if not isinstance(raw, dict):
        raise MappingInvalid(f"{where}: must map attribute names to columns")
    specs: dict[str, FieldSpec] = {}
    for name, item in raw.items():
        spec = _parse_spec(item, f"{where}, attribute '{name}'")
        if spec.split or spec.lookup:
            raise MappingInvalid(
                f"{where}, attribute '{name}': split and lookup do not apply here"
            )
        specs[str(name)] = spec
    return specs


def _properties(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise MappingInvalid(f"{where}: must be a list of column names")
    return list(raw)


def _check_required(kind: str, specs: dict[str, FieldSpec], where: str) -> None:
    for name, target in TARGETS[kind].items():
        if target.required and name not in specs:
            raise MappingInvalid(f"{where}: required field '{name}' is not mapped")
    if kind == "contacts" and not {"external_id", "email"} & set(specs):
        raise MappingInvalid(f"{where}: map external_id or email to identify contacts")


def _pydantic_message(where: str, raw: dict[str, Any], error: ValidationError) -> str:
    first = error.errors()[0]
    location = list(first["loc"])
    if location[:1] == ["sources"] and len(location) > 1:
        index = int(location[1])
        source = raw["sources"][index] if isinstance(raw.get("sources"), list) else {}
        label = "?"
        if isinstance(source, dict):
            label = source.get("file") or source.get("table") or "?"
        where = f"{where}, source {index + 1} ({label})"
        location = location[2:]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "not a known option; check its spelling"
    if first["type"] == "missing":
        message = "is required"
    if location:
        return f"{where}: {'.'.join(str(part) for part in location)}: {message}"
    return f"{where}: {message}"
