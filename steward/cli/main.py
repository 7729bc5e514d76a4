"""The ``steward`` command."""

from __future__ import annotations

import typer

from steward.cli import (
    daily,
    data,
    demo,
    outbox,
    playbooks,
    serve,
    setup,
    users,
    views,
    writekeys,
)

app = typer.Typer(
    help="Steward: customer success on your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(setup.init)
app.command()(daily.fit)
app.command()(daily.run)
app.command()(views.accounts)
app.command()(views.account)
app.command()(views.tasks)
app.command("import")(data.import_)
app.command()(demo.demo)
app.command()(serve.serve)
app.add_typer(users.app, name="user")
app.add_typer(playbooks.app, name="playbook")
app.add_typer(outbox.app, name="outbox")
app.command()(playbooks.incident)
app.add_typer(writekeys.app, name="writekey")
