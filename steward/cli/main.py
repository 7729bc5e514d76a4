"""The ``steward`` command."""

from __future__ import annotations

import typer

from steward.cli import (
    benchmark,
    capacity,
    daily,
    data,
    demo,
    knowledge,
    outbox,
    plans,
    playbooks,
    renewals,
    reports,
    serve,
    setup,
    users,
    views,
    voice,
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
app.add_typer(renewals.app, name="renewals")
app.add_typer(reports.app, name="report")
app.command()(capacity.capacity)
app.add_typer(capacity.effort_app, name="effort")
app.command()(benchmark.benchmark)
app.add_typer(plans.app, name="plan")
app.command()(plans.qbr)
app.add_typer(voice.app, name="voice")
app.add_typer(knowledge.app, name="kb")
