"""``steward outbox ...``: what is waiting, sent or failed; deliver; replies."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace, parse_day

if TYPE_CHECKING:
    from steward.workspace import Workspace

app = typer.Typer(
    help="The outbox of emails, Slack messages and webhooks: see, deliver, retry.",
    invoke_without_command=True,
)


@app.callback()
@handles_errors
def outbox(
    ctx: typer.Context,
    status: str = typer.Option(
        None, help="pending, sending, retrying, sent, failed or cancelled."
    ),
    channel: str = typer.Option(None, help="email, slack or webhook."),
    account_id: str = typer.Option(None, "--account", help="Only this account's."),
    limit: int = typer.Option(50, min=1, help="How many rows."),
) -> None:
    """List outbox messages, newest first, with counts per status.

    Example: steward outbox --status failed
    """
    if ctx.invoked_subcommand is not None:
        return
    from steward.notify.views import outbox_counts, outbox_messages

    workspace = open_workspace()
    with workspace.store.session() as session:
        counts = outbox_counts(session)
        rows = outbox_messages(
            session,
            status=status,
            channel=channel,
            account_external_id=account_id,
            limit=limit,
        )
        table = Table(title=f"Outbox ({len(rows)} shown)")
        for column in ("#", "Status", "Channel", "To", "Subject", "Tries", "Note"):
            table.add_column(column)
        for row in rows:
            note = row.last_error or ""
            if row.status == "sent" and row.sent_at:
                note = f"sent {row.sent_at:%Y-%m-%d %H:%M} UTC"
            elif row.status == "retrying":
                note = f"next try {row.next_attempt_at:%Y-%m-%d %H:%M} UTC: {note}"
            table.add_row(
                str(row.id),
                row.status,
                row.channel,
                row.target,
                row.subject or str(row.payload.get("event", "")),
                str(row.attempts),
                note[:120],
            )
    console.print(table)
    console.print(
        "  ".join(f"{name}: {count:,}" for name, count in counts.items()),
        markup=False,
        highlight=False,
    )


@app.command()
@handles_errors
def show(message_id: int = typer.Argument(..., help="The message number.")) -> None:
    """Show one message: where it goes, what it says, how delivery went.

    Example: steward outbox show 12
    """
    from steward.notify.views import outbox_message

    workspace = open_workspace()
    with workspace.store.session() as session:
        message = outbox_message(session, message_id)
        lines = [
            f"#{message.id} {message.channel} to {message.target}: {message.status}",
            f"key: {message.idempotency_key}",
            f"attempts: {message.attempts}; queued {message.created_at:%Y-%m-%d %H:%M}"
            + (f"; sent {message.sent_at:%Y-%m-%d %H:%M}" if message.sent_at else ""),
        ]
        if message.last_error:
            lines.append(f"last error: {message.last_error}")
        if message.subject:
            lines.append(f"subject: {message.subject}")
        body = message.payload.get("text")
        lines.append("")
        lines.append(body if body is not None else str(message.payload))
    console.print("\n".join(lines), markup=False, highlight=False)


def deliver_now(workspace: Workspace) -> None:
    """Deliver what is due and print one line about it."""
    from steward.notify.deliver import deliver_due

    report = deliver_due(workspace.store, workspace.settings)
    console.print(
        f"Outbox: {report.sent} sent, {report.retrying} to retry, "
        f"{report.failed} failed, {report.cancelled} cancelled",
        markup=False,
        highlight=False,
    )
    for line in report.errors[:10]:
        console.print(f"  {line}", markup=False, highlight=False)


@app.command()
@handles_errors
def deliver() -> None:
    """Send every message that is due; failures are retried later with backoff.

    Safe to run often and from several places at once (cron every few
    minutes, say): a message is sent by one deliverer only, and once.

    Example: steward outbox deliver
    """
    deliver_now(open_workspace())


@app.command()
@handles_errors
def retry(
    message_id: int = typer.Argument(None, help="The message; omit with --failed."),
    failed: bool = typer.Option(False, "--failed", help="Every failed message."),
) -> None:
    """Queue a failed or cancelled message again (it is delivered by the next run).

    Example: steward outbox retry --failed
    """
    from steward.notify.views import retry_failed, retry_message

    if (message_id is None) == (not failed):
        raise typer.BadParameter(
            "give a message number or --failed, not both", param_hint="MESSAGE_ID"
        )
    workspace = open_workspace()
    with workspace.store.session() as session:
        if failed:
            count = retry_failed(session, "cli")
        else:
            retry_message(session, message_id, "cli")
            count = 1
    console.print(f"Queued again: {count}")


def _email_event(address: str, kind: str, on: str | None) -> None:
    from steward.notify.responses import record_email_event

    day = parse_day(on, "--on") or dt.datetime.now(dt.UTC).date()
    workspace = open_workspace()
    with workspace.store.session() as session:
        new = record_email_event(session, address, kind, day, "cli")
    what = "unsubscribed" if kind == "unsubscribe" else "replied"
    console.print(
        f"{address} {what} on {day}" + ("" if new else " (already recorded)"),
        markup=False,
        highlight=False,
    )


@app.command()
@handles_errors
def unsubscribe(
    address: str = typer.Argument(..., help="The email address."),
    on: str = typer.Option(None, "--on", help="Day; default today."),
) -> None:
    """Never email this address again; waiting emails to it are cancelled.

    Example: steward outbox unsubscribe pat@customer.example
    """
    _email_event(address, "unsubscribe", on)


@app.command()
@handles_errors
def reply(
    address: str = typer.Argument(..., help="The address that replied."),
    on: str = typer.Option(None, "--on", help="Day of the reply; default today."),
) -> None:
    """Record a reply: sequences that wrote to this address stop on the next run.

    Example: steward outbox reply pat@customer.example --on 2025-01-14
    """
    _email_event(address, "reply", on)
