"""What every command shares: the workspace, output, and turning errors into exits."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from steward.errors import StewardError
from steward.workspace import Workspace

# Piped output is not cut to 80 columns: tables stay readable in files and CI.
console = Console(width=None if sys.stdout.isatty() else 140)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 140)

F = TypeVar("F", bound=Callable[..., Any])


def handles_errors(command: F) -> F:
    """Print a domain error as ``Error: ...`` on stderr and exit with status 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except StewardError as error:
            errors.print(
                f"Error: {error}", markup=False, highlight=False, soft_wrap=True
            )
            raise typer.Exit(1) from error
        except BrokenPipeError:
            raise  # `steward accounts | head`: Click ends quietly
        except OSError as error:
            # A folder that is a file, a disk that is full, a file we may not
            # write: the person fixes the path, a traceback would not help.
            errors.print(
                f"Error: {_os_problem(error)}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from error

    return wrapper  # type: ignore[return-value]


def _os_problem(error: OSError) -> str:
    reason = error.strerror or str(error)
    if error.filename is None:
        return f"{reason}; check STEWARD_HOME and the files the command names"
    return (
        f"{error.filename}: {reason}; check the path (STEWARD_HOME and the files "
        "the command names) and its permissions"
    )


def open_workspace(*, must_exist: bool = True) -> Workspace:
    workspace = Workspace()
    home = workspace.settings.home
    local = not workspace.settings.database_url
    if must_exist and local and not (home / "steward.db").exists():
        raise StewardError(
            f"no Steward data folder at {home.resolve()}: run `steward init` "
            "(or `steward demo`), or point STEWARD_HOME at an existing one"
        )
    if must_exist and not local and not workspace.store.holds_steward():
        raise StewardError(
            f"no Steward store at {workspace.store.shown_url}: run `steward init` "
            "(or `steward import`) with this STEWARD_DATABASE_URL first, or point "
            "it at an existing store"
        )
    if must_exist:
        workspace.store.upgrade()
    return workspace


def parse_day(value: str | None, flag: str = "--as-of") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-06-30",
            param_hint=flag,
        ) from None


@contextmanager
def steps(names: tuple[str, ...], title: str) -> Iterator[Callable[[str], None]]:
    """A progress bar over named steps; yields the callback a job reports to."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(title, total=len(names))
        seen: list[str] = []

        def advance(name: str) -> None:
            if seen:
                progress.advance(task)
            seen.append(name)
            progress.update(task, description=f"{title}: {name}")

        yield advance
        progress.update(task, completed=len(names))
