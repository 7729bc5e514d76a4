"""``steward kb`` commands that change wording: sections, snippets, templates,
the glossary; and the portal's links and the search index."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace


@handles_errors
def retitle(
    doc: str = typer.Argument(..., help="The document's slug or id."),
    section: int = typer.Argument(..., help="The section's number (from 1)."),
    title: str = typer.Argument(..., help="The new title."),
) -> None:
    """Give a section a better title (a new version, back to draft)."""
    from steward.knowledge.documents import get_document, retitle_section

    workspace = open_workspace()
    with workspace.store.session() as session:
        document = get_document(session, doc)
        version = retitle_section(session, document, section, title, None)
        console.print(f"{document.slug} is at version {version.number}.", markup=False)


@handles_errors
def include(
    doc: str = typer.Argument(..., help="The document's slug or id."),
    snippet: str = typer.Argument(..., help="The snippet's slug."),
    before: int = typer.Option(0, help="Put it before this section (0: at the end)."),
) -> None:
    """Include a snippet in a document (a new version, back to draft)."""
    from steward.knowledge.documents import get_document, include_snippet

    workspace = open_workspace()
    with workspace.store.session() as session:
        document = get_document(session, doc)
        version = include_snippet(session, document, snippet, before, None)
        console.print(f"{document.slug} is at version {version.number}.", markup=False)


@handles_errors
def snippet(
    slug: str = typer.Argument(..., help="Its name, e.g. sso-prerequisites."),
    text: str = typer.Option(None, help="The wording (blank lines part paragraphs)."),
    file: Path = typer.Option(None, help="Read the wording from this file."),
    title: str = typer.Option("", help="Its heading in documents."),
) -> None:
    """Create or change a snippet; every document including it shows the change.

    Example: steward kb snippet sso-prerequisites --title "Before you start"
    --text "You need an admin account in your identity provider."
    """
    from steward.errors import InputInvalid
    from steward.knowledge.reuse import documents_including, save_snippet

    if (text is None) == (file is None):
        raise InputInvalid("give the wording with --text or with --file (one of them)")
    wording = text if text is not None else file.read_text(encoding="utf-8")
    workspace = open_workspace()
    with workspace.store.session() as session:
        saved = save_snippet(session, slug, title, wording, None)
        users = documents_including(session, slug)
        console.print(
            f"Saved snippet {saved.slug} (revision {saved.revision}); "
            f"{len(users)} documents include it.",
            markup=False,
        )


@handles_errors
def snippets() -> None:
    """List the snippets and how many documents include each."""
    from steward.knowledge.reuse import documents_including, list_snippets

    workspace = open_workspace()
    with workspace.store.session() as session:
        found = list_snippets(session)
        for saved in found:
            users = len(documents_including(session, saved.slug))
            console.print(
                f"{saved.slug}  {saved.title}  (revision {saved.revision}, "
                f"{users} documents)",
                markup=False,
            )
    if not found:
        console.print("No snippets yet: `steward kb snippet NAME --text ...`.")


@handles_errors
def template(
    slug: str = typer.Argument(..., help="Its name, e.g. onboarding-call."),
    before: str = typer.Option("", help="Snippets before the body, comma-separated."),
    after: str = typer.Option("", help="Snippets after the body, comma-separated."),
    title: str = typer.Option("", help="What the template is for."),
) -> None:
    """Create or change a template, used with `steward kb import --template`."""
    from steward.knowledge.reuse import save_template

    workspace = open_workspace()
    with workspace.store.session() as session:
        saved = save_template(session, slug, title, _names(before), _names(after), None)
        console.print(f"Saved template {saved.slug}.", markup=False)


@handles_errors
def glossary_add(
    term: str = typer.Argument(..., help="The term as documents should write it."),
    variant: list[str] = typer.Option(None, help="A form to flag; repeat for more."),
    note: str = typer.Option("", help="Why, for reviewers."),
) -> None:
    """Add a term to the glossary (or replace its variants).

    Example: steward kb glossary add SSO --variant "single sign-on"
    """
    from steward.knowledge.reuse import add_term

    workspace = open_workspace()
    with workspace.store.session() as session:
        entry = add_term(session, term, variant or [], note, None)
        console.print(f"Glossary: {entry.term}.", markup=False)


@handles_errors
def check(doc: str = typer.Argument(..., help="The document's slug or id.")) -> None:
    """List the glossary's flags for a document; exit status 3 when there are any."""
    from steward.knowledge.documents import get_document
    from steward.knowledge.views import document_view

    workspace = open_workspace()
    with workspace.store.session() as session:
        flags = document_view(session, get_document(session, doc)).flags
    for flag in flags:
        console.print(flag.message(), markup=False)
    if flags:
        raise typer.Exit(3)
    console.print("No glossary flags.")


@handles_errors
def portal_link(
    label: str = typer.Option(..., help="Whom the link is for."),
    segment: str = typer.Option(None, help="Only documents for this segment."),
    days: int = typer.Option(90, min=1, max=365, help="How long the link works."),
) -> None:
    """Make a customer's link to the onboarding portal (published documents)."""
    from steward.knowledge.portal import create_link

    workspace = open_workspace()
    with workspace.store.session() as session:
        link, secret = create_link(session, label, segment, None, days=days)
        expires = link.expires_at.date()
    base = workspace.settings.public_url.rstrip("/")
    console.print(f"{base}/portal/{secret}", markup=False)
    console.print(f"Works until {expires}; revoke it sooner with the API.")


@handles_errors
def portal_links() -> None:
    """List the portal links: whom for, until when, visits and last use."""
    from steward.knowledge.portal import list_links
    from steward.store.models import utcnow

    workspace = open_workspace()
    now = utcnow()
    with workspace.store.session() as session:
        rows = [
            (
                str(link.id),
                f"{link.prefix}...",
                link.label,
                link.segment or "every",
                str(link.expires_at.date()),
                "revoked"
                if link.revoked_at
                else "expired"
                if link.expires_at <= now
                else "live",
                f"{visits:,}",
                str(link.last_used_at.date()) if link.last_used_at else "",
            )
            for link, visits in list_links(session, None)
        ]
    table = Table(title=f"Portal links ({len(rows)})")
    for column in ("Id", "Link", "For", "Segment", "Until", "State", "Visits", "Last"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@handles_errors
def reindex() -> None:
    """Rebuild the search index from the store (it is derived, never edited)."""
    from steward.knowledge.index import KnowledgeIndex

    workspace = open_workspace()
    index = KnowledgeIndex.in_folder(workspace.settings.home)
    with workspace.store.session() as session:
        documents = index.rebuild(session)
    console.print(f"Indexed {documents} documents, {index.count()} passages.")


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]
