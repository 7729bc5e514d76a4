"""docs/web.md lists every page and every API group the app serves."""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

import steward.web.pages
from steward.web.app import create_app
from steward.workspace import Workspace

GUIDE = Path(__file__).parents[1] / "docs" / "web.md"
# The guide names path parameters as a person reads them: /kb/SLUG, /p/SECRET.
PLACEHOLDER = re.compile(r"\{[^}]+\}|\b(?:ID|SLUG|SECRET|TOKEN|NAME)\b")


def _shape(path: str) -> str:
    return PLACEHOLDER.sub("*", path.split("?")[0])


def _paths_in_guide(text: str) -> set[str]:
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    spans = re.findall(r"`([^`]+)`", prose)
    words = (word for span in spans for word in span.split())
    return {_shape(word.rstrip(",")) for word in words if word.startswith("/")}


def test_every_page_is_in_the_guide():
    documented = _paths_in_guide(GUIDE.read_text(encoding="utf-8"))
    modules = [
        importlib.import_module(f"steward.web.pages.{info.name}")
        for info in pkgutil.iter_modules(steward.web.pages.__path__)
    ]
    pages = {
        route.path
        for module in modules
        for route in module.router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods
    }

    missing = sorted(path for path in pages if _shape(path) not in documented)

    assert len(pages) > 20
    assert missing == []


def test_every_api_group_is_in_the_guide(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    text = GUIDE.read_text(encoding="utf-8")
    schema = create_app(Workspace()).openapi()
    groups = {
        tag
        for operations in schema["paths"].values()
        for operation in operations.values()
        for tag in operation.get("tags", [])
    }
    table = {
        row.split("|")[1].split("(")[0].strip()
        for row in text.splitlines()
        if row.startswith("| ") and "`" in row
    }

    missing = sorted(group for group in groups - {"tracking"} if group not in table)

    assert len(groups) > 10
    assert missing == []
    assert "/v1/track" in text
