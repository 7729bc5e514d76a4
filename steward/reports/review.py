"""Making a business review's files: the service behind ``steward qbr`` and the
account page's button.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.auth.permissions import check_account
from steward.reports.pdf import pptx_to_pdf
from steward.reports.qbr import build_deck
from steward.reports.qbr_facts import ReviewFacts, review_facts
from steward.store.models import Account, User
from steward.store.plans import BusinessReview
from steward.workspace import Workspace

if TYPE_CHECKING:
    from steward.reports.benchmark import Benchmark

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReviewFiles:
    pptx: Path
    pdf: Path | None
    facts: ReviewFacts


# The media types of the files a review is made as.
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def make_review(
    workspace: Workspace,
    account_key: str,
    *,
    as_of: dt.date,
    out_dir: Path,
    strategic: bool = False,
    pdf: bool = True,
    record_held: bool = False,
    viewer: User | None = None,
    actor: str = "cli",
) -> ReviewFiles:
    """Write the deck (and its PDF) for the review of ``account_key`` on ``as_of``.

    With ``record_held`` the day is logged as a review held, so the next deck
    measures its results from it.
    """
    with workspace.store.session() as session:
        if record_held and viewer is not None:
            # Logging the review as held changes the account: not for read-only.
            account = session.scalar(
                select(Account).where(Account.external_id == account_key)
            )
            check_account(viewer, account, account_key, change=True)
        facts = review_facts(session, workspace.events, account_key, as_of, viewer)
        benchmark = (
            _peer_benchmark(workspace, session, account_key, viewer)
            if strategic
            else None
        )
        deck = build_deck(facts, strategic=strategic, benchmark=benchmark)
        out_dir.mkdir(parents=True, exist_ok=True)
        kind = "svr" if strategic else "qbr"
        path = out_dir / f"{kind}-{_file_safe(account_key)}-{as_of}.pptx"
        deck.save(str(path))
        if record_held:
            record_review(session, facts, "svr" if strategic else "qbr", actor)
    log.info("review.deck account=%s as_of=%s kind=%s", account_key, as_of, kind)
    # Rendering takes seconds; it runs after the store's transaction is closed.
    rendered = pptx_to_pdf(path, out_dir) if pdf else None
    return ReviewFiles(path, rendered, facts)


def record_review(
    session: Session, facts: ReviewFacts, variant: str, actor: str
) -> BusinessReview:
    """Log the review as held on ``facts.as_of`` (once per account and day)."""
    account_id = session.scalar(
        select(Account.id).where(Account.external_id == facts.account_key)
    )
    review = session.scalar(
        select(BusinessReview).where(
            BusinessReview.account_id == account_id,
            BusinessReview.held_on == facts.as_of,
        )
    )
    if review is None:
        review = BusinessReview(account_id=account_id, held_on=facts.as_of)
        session.add(review)
    review.variant = variant
    review.plan_versions = facts.plan_versions
    review.created_by = actor
    session.flush()
    record(
        session,
        actor,
        "review.held",
        "account",
        facts.account_key,
        held_on=facts.as_of.isoformat(),
        variant=variant,
    )
    return review


def _peer_benchmark(
    workspace: Workspace, session: Session, key: str, viewer: User | None
) -> Benchmark | None:
    try:
        from steward.accounts.coverage import load_coverage_rules
        from steward.reports.benchmark import account_benchmark
    except ImportError:  # an installation without the peer benchmark
        return None
    rules = load_coverage_rules(workspace.coverage_path())
    return account_benchmark(session, rules, key, viewer)


def _file_safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-.") or "account"
