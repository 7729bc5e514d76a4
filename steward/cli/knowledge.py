"""``steward kb``: recorded calls in, reviewed and searchable documents out."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from steward.cli import knowledge_edit as edit
from steward.cli.common import (
    console,
    errors,
    handles_errors,
    open_workspace,
    parse_day,
)
from steward.errors import ModelUnavailable, StewardError, TranscriptInvalid

app = typer.Typer(help="Knowledge base: transcripts become reviewed, searchable docs.")
glossary_app = typer.Typer(help="Terms the glossary check holds documents to.")
app.add_typer(glossary_app, name="glossary")
glossary_app.command("add")(edit.glossary_add)
for command in (
    edit.retitle,
    edit.include,
    edit.snippet,
    edit.snippets,
    edit.template,
    edit.check,
):
    app.command()(command)
app.command("portal-link")(edit.portal_link)
app.command("portal-links")(edit.portal_links)
app.command()(edit.reindex)


class Status(StrEnum):
    """A misspelt status is a usage error, not a search that finds nothing."""

    draft = "draft"
    in_review = "in_review"
    published = "published"


def _index(workspace):  # noqa: ANN001, ANN202 - a Workspace in, an index out
    from steward.knowledge.index import KnowledgeIndex

    return KnowledgeIndex.in_folder(workspace.settings.home)


@app.command("import")
@handles_errors
def import_(
    path: Path = typer.Argument(..., help="A transcript or recording, or a folder."),
    account: str = typer.Option(None, help="External id of the account it is about."),
    segment: str = typer.Option(
        None, help="Customer segment (default: the account's)."
    ),
    title: str = typer.Option(None, help="Title (default: from the file name)."),
    topic: list[str] = typer.Option(None, help="A topic tag; repeat for more."),
    recorded_on: str = typer.Option(None, help="Recording date, YYYY-MM-DD."),
    media_url: str = typer.Option(
        None, help="Where the recording plays (for #t= links)."
    ),
    template: str = typer.Option(None, help="A template's slug (snippets around it)."),
) -> None:
    """Import transcripts (.vtt, .srt, .sbv, .txt, .json) as draft documents.

    Recordings (.mp3, .mp4, ...) are transcribed when STEWARD_WHISPER_MODEL
    points at a local faster-whisper model. Importing a file again changes
    nothing.

    Example: steward kb import calls/sso-setup.vtt --account acme --topic sso
    """
    from steward.knowledge.documents import ImportOptions
    from steward.knowledge.media import MEDIA_SUFFIXES
    from steward.knowledge.readers import FORMATS

    files = [path]
    if path.is_dir():
        readable = set(FORMATS) | MEDIA_SUFFIXES
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in readable)
        if not files:
            raise StewardError(
                f"{path}: no transcript or recording in this folder (Steward reads "
                f"{', '.join(sorted(FORMATS))} and recordings)"
            )
    options = ImportOptions(
        title=title,
        account=account,
        segment=segment,
        topics=topic or [],
        recorded_on=parse_day(recorded_on, "--recorded-on"),
        media_url=media_url,
        template=template,
    )
    workspace = open_workspace()
    failed = 0
    for file in files:
        try:
            _import_one(workspace, file, options)
        except (TranscriptInvalid, ModelUnavailable) as error:
            # One unreadable file in a folder does not stop the others.
            if len(files) == 1:
                raise
            failed += 1
            errors.print(f"Error: {error}", markup=False, highlight=False)
    if failed:
        errors.print(
            f"{failed} of {len(files)} files were not imported; the others were.",
            markup=False,
        )
        raise typer.Exit(1)


def _import_one(workspace, file: Path, options) -> None:  # noqa: ANN001
    from steward.knowledge.documents import import_transcript
    from steward.knowledge.readers import read_transcript
    from steward.knowledge.settings import KnowledgeSettings

    transcript = read_transcript(file, KnowledgeSettings())
    raw = file.read_bytes()
    with workspace.store.session() as session:
        result = import_transcript(session, transcript, raw, options)
        document = result.document
        sections = len(_body(session, document).get("sections", []))
        verb = "Imported" if result.created else "Already imported"
        console.print(
            f"{verb} {file.name} as {document.slug} ({len(transcript.cues)} cues, "
            f"{sections} sections, {len(transcript.speakers)} speakers).",
            markup=False,
        )
        for note in result.notes:
            console.print(f"  note: {note}", markup=False)


@app.command("list")
@handles_errors
def list_(
    status: Status = typer.Option(None, help="draft, in_review or published."),
) -> None:
    """List documents, most recently changed first."""
    from steward.knowledge.documents import list_documents

    workspace = open_workspace()
    table = Table("slug", "title", "status", "version", "published", "segment")
    with workspace.store.session() as session:
        for d in list_documents(session, status and status.value):
            table.add_row(
                d.slug,
                d.title,
                d.status,
                str(d.current_version),
                str(d.published_version or ""),
                d.segment or "",
            )
    console.print(table)


@app.command()
@handles_errors
def show(
    doc: str = typer.Argument(..., help="The document's slug or id."),
    published: bool = typer.Option(False, help="The version customers see."),
) -> None:
    """Print a document: sections, speakers, times, steps, glossary flags.

    Example: steward kb show sso-setup
    """
    from steward.knowledge.documents import get_document
    from steward.knowledge.search import format_time
    from steward.knowledge.views import document_view

    workspace = open_workspace()
    with workspace.store.session() as session:
        view = document_view(session, get_document(session, doc), published=published)
        d = view.document
        console.print(f"# {d.title}", markup=False)
        console.print(
            f"{d.status.replace('_', ' ')}, version {view.version}; speakers: "
            f"{', '.join(view.speakers) or 'none named'}",
            markup=False,
        )
        for number, section in enumerate(view.sections, start=1):
            console.print(f"\n## {number}. {section['title']}", markup=False)
            for step in section.get("steps", []):
                console.print(f"  step {step['number']}: {step['text']}", markup=False)
            for paragraph in section["paragraphs"]:
                for turn in paragraph["turns"]:
                    if not turn["text"]:
                        continue
                    when = format_time(turn.get("start"))
                    who = turn.get("speaker") or ""
                    lead = f"[{when}] " if when else ""
                    lead += f"{who}: " if who else ""
                    console.print(
                        f"{lead}{turn['text']}", markup=False, highlight=False
                    )
        for flag in view.flags:
            console.print(f"glossary: {flag.message()}", markup=False)


@app.command()
@handles_errors
def search(
    query: str = typer.Argument(..., help="Words to look for; 'step 3 of ...' works."),
    topic: str = typer.Option(None, help="Only passages tagged with this topic."),
    step: int = typer.Option(None, help="Only passages holding this step number."),
    segment: str = typer.Option(None, help="Only documents for this segment."),
    speaker: str = typer.Option(None, help="Only passages where this speaker talks."),
    since: str = typer.Option(None, help="Recorded on or after, YYYY-MM-DD."),
    until: str = typer.Option(None, help="Recorded on or before, YYYY-MM-DD."),
    status: Status = typer.Option(None, help="draft, in_review or published."),
    limit: int = typer.Option(10, min=1, max=100),
    semantic: bool = typer.Option(False, help="Re-rank with the sentence model."),
) -> None:
    """Search every document's passages (BM25), best first.

    Example: steward kb search "step 3 of the SSO setup" --segment enterprise
    """
    from steward.knowledge.search import Filters, format_time
    from steward.knowledge.search import search as run

    filters = Filters(
        topic=topic,
        step=step,
        segment=segment,
        speaker=speaker,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
        status=status and status.value,
    )
    workspace = open_workspace()
    index = _index(workspace)
    with workspace.store.session() as session:
        index.sync(session)
    hits = run(index, query, filters, limit=limit, semantic=semantic)
    if not hits:
        console.print("No passage matches.")
        return
    for rank, hit in enumerate(hits, start=1):
        when = format_time(hit.start)
        console.print(
            f"{rank}. {hit.title} › {hit.section_title}"
            + (f" at {when}" if when else "")
            + f"  {hit.link()}",
            markup=False,
            highlight=False,
        )
        text = hit.text if len(hit.text) <= 300 else hit.text[:297] + "..."
        console.print(f"   {text}", markup=False, highlight=False)


@app.command()
@handles_errors
def review(doc: str = typer.Argument(..., help="The document's slug or id.")) -> None:
    """Send a draft for review."""
    _workflow(doc, "review")


@app.command()
@handles_errors
def publish(doc: str = typer.Argument(..., help="The document's slug or id.")) -> None:
    """Publish a document in review: the portal shows this version."""
    _workflow(doc, "publish")


@app.command()
@handles_errors
def changes(
    doc: str = typer.Argument(..., help="The document's slug or id."),
    comment: str = typer.Option(..., help="What should change."),
) -> None:
    """Send a document in review back to draft, with a comment."""
    _workflow(doc, "changes", comment)


@app.command()
@handles_errors
def comment(
    doc: str = typer.Argument(..., help="The document's slug or id."),
    text: str = typer.Argument(..., help="The comment."),
    section: int = typer.Option(None, help="The section it is about (from 1)."),
) -> None:
    """Comment on the current version of a document."""
    from steward.knowledge.documents import get_document
    from steward.knowledge.review import add_comment

    workspace = open_workspace()
    with workspace.store.session() as session:
        document = get_document(session, doc)
        add_comment(session, document, text, None, section)
        console.print(f"Commented on {document.slug}.", markup=False)


def _workflow(doc: str, step: str, text: str = "") -> None:
    from steward.knowledge import review as flow
    from steward.knowledge.documents import get_document

    workspace = open_workspace()
    with workspace.store.session() as session:
        document = get_document(session, doc)
        if step == "review":
            flow.send_for_review(session, document, None)
        elif step == "publish":
            flow.publish(session, document, None)
        else:
            flow.request_changes(session, document, text, None)
        shown = document.status.replace("_", " ")
        console.print(
            f"{document.slug} is {shown} (version {document.current_version}).",
            markup=False,
        )


def _body(session, document) -> dict:  # noqa: ANN001
    from steward.knowledge.documents import version_body

    return version_body(session, document, document.current_version)
