"""The coverage step of the daily run: every live account's tier and model again.

Runs before the playbooks, in the day's transaction, so playbook conditions
on tier and coverage see today's values. Each change is written to the
account and to the audit log with the rule that made it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from steward.accounts.coverage import CoverageRules, classify, explain_all
from steward.metrics.facts import AccountFacts
from steward.store.models import Account, AuditEntry, utcnow
from steward.store.upsert import columns_of, insert_columns, update_columns

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoverageOutcome:
    tier_changes: int = 0
    coverage_changes: int = 0


def coverage_step(
    session: Session,
    rules: CoverageRules,
    live: pd.DataFrame,
    facts: AccountFacts,
    as_of: dt.date,
    actor: str,
) -> CoverageOutcome:
    """Re-evaluate the live accounts (``live``: the day's metrics by external id)."""
    if live.empty:
        return CoverageOutcome()
    columns = ["id", "tier", "coverage", "custom_integrations", "segment"]
    stored = facts.accounts.set_index("account_id")[columns]
    accounts = stored.join(live[["arr", "seats"]], how="inner")
    decided = classify(rules, accounts)

    changed = accounts.index[
        (decided["tier"] != accounts["tier"])
        | (decided["coverage"] != accounts["coverage"])
    ]
    if len(changed):
        _write(
            session, rules, accounts.loc[changed], decided.loc[changed], as_of, actor
        )
    # The playbooks read tier and coverage from the facts loaded before.
    for column in ("tier", "coverage"):
        now = facts.accounts["account_id"].map(decided[column])
        facts.accounts[column] = now.fillna(facts.accounts[column])

    moved = decided.loc[changed] != accounts.loc[changed, ["tier", "coverage"]]
    outcome = CoverageOutcome(
        tier_changes=int(moved["tier"].sum()),
        coverage_changes=int(moved["coverage"].sum()),
    )
    log.info(
        "coverage.done as_of=%s tier_changes=%s coverage_changes=%s",
        as_of,
        outcome.tier_changes,
        outcome.coverage_changes,
    )
    return outcome


def _write(
    session: Session,
    rules: CoverageRules,
    before: pd.DataFrame,
    after: pd.DataFrame,
    as_of: dt.date,
    actor: str,
) -> None:
    """Set the new tier and model, and log each field that moved, with why.

    Column by column: the first run may change every account of the book.
    """
    now = utcnow()
    reasons = explain_all(rules, before, after["tier"], after["coverage"])
    tiers, models = after["tier"].tolist(), after["coverage"].tolist()
    update_columns(
        session,
        Account.__table__,
        "id",
        {
            "id": before["id"].astype("int64").tolist(),
            "tier": tiers,
            "coverage": models,
            "updated_at": [now] * len(before),
        },
    )
    entries = []
    changed = zip(
        before.index.tolist(),
        before["tier"].tolist(),
        before["coverage"].tolist(),
        tiers,
        models,
        reasons,
        strict=True,
    )
    for key, old_tier, old_model, tier, model, because in changed:
        for field, old, new in (
            ("tier", old_tier, tier),
            ("coverage", old_model, model),
        ):
            if new == old:
                continue
            detail = {
                "from": None if pd.isna(old) else old,
                "to": new,
                "because": because[field],
                "as_of": as_of.isoformat(),
            }
            action = f"account.{field}_changed"
            entries.append((actor, action, "account", key, now, detail))
    names = ("actor", "action", "entity", "entity_id", "at", "detail")
    insert_columns(session, AuditEntry.__table__, columns_of(names, entries))
