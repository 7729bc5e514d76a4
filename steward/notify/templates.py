"""Jinja2 templates for emails, Slack messages and task text.

Templates are written by a CS operations team, so they render in Jinja2's
sandbox, and a name that does not exist is an error rather than an empty
string: ``steward playbook check`` renders every template with a sample
account to catch typos before a customer sees one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from steward.config_file import read_mapping
from steward.errors import PlaybookInvalid

BUILT_IN = Path(__file__).with_name("emails")


class EmailTemplate(BaseModel):
    """An email file: ``config/emails/NAME.yaml`` with subject, text and html."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1)
    text: str = Field(min_length=1)
    html: str | None = None


def _pick(mapping: Mapping[str, Any], key: Any, fallback: str = "default") -> Any:
    """``{{ params.guides | pick(account.industry) }}``: by key, else the default."""
    if key is not None and key in mapping:
        return mapping[key]
    return mapping.get(fallback)


def _money(value: Any) -> str:
    if value is None:
        return "-"
    return f"{float(value):,.0f}"


def _environment(html: bool) -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=html,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["pick"] = _pick
    environment.filters["money"] = _money
    return environment


_TEXT = _environment(html=False)
_HTML = _environment(html=True)


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool) -> Any:
    return (_HTML if html else _TEXT).from_string(source)


def render(source: str, context: Mapping[str, Any], *, html: bool = False) -> str:
    """Render a template; raises jinja2's TemplateError on a mistake."""
    return _compiled(source, html).render(context).strip()


def render_checked(source: str, context: Mapping[str, Any], where: str) -> str:
    """:func:`render`, with a mistake reported as ``where: template error: ...``."""
    try:
        return render(source, context)
    except TemplateError as error:
        raise PlaybookInvalid(f"{where}: template error: {error}") from error


def load_email_template(folder: Path, name: str) -> EmailTemplate:
    path = Path(folder) / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in Path(folder).glob("*.yaml")))
        raise PlaybookInvalid(
            f"{path}: no such email template; write it, or use one of: "
            f"{known or '(none)'}"
        )
    raw = read_mapping(path, PlaybookInvalid, "email template", EmailTemplate)
    try:
        return EmailTemplate.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise PlaybookInvalid(f"{path}: {where}: {first['msg']}") from error


class EmailTemplates:
    """Email templates of one config folder, read once per run."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._cache: dict[str, EmailTemplate] = {}

    def get(self, name: str) -> EmailTemplate:
        if name not in self._cache:
            self._cache[name] = load_email_template(self.folder, name)
        return self._cache[name]
