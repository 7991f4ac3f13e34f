"""Run the rules: every finding of every enabled rule, and the rules that could not run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from titanaudit.clock import Clock, reference_time
from titanaudit.rules.base import FINDING_COLUMNS, SEVERITIES, Context, Frames, MissingColumn, Rule
from titanaudit.rules.catalogue import RULES
from titanaudit.rules.settings import RuleSettings

__all__ = ["RuleRun", "check_rules", "run_rules"]

log = logging.getLogger(__name__)


@dataclass
class RuleRun:
    """``findings`` (columns ``rule_id, severity, entity, record_id, message, value, fix,
    customer_id``), ``skipped`` (``rule_id, reason``: rules that could not run) and the
    seconds each rule took."""

    findings: pd.DataFrame
    skipped: pd.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Findings per rule and severity."""
        return (
            self.findings.groupby(["rule_id", "severity"]).size().rename("findings").reset_index()
        )

    def _repr_html_(self) -> str:
        from titanaudit.display import html_summary

        counts = self.findings["severity"].value_counts()
        return html_summary(
            "Data-quality findings",
            [
                ("findings", len(self.findings)),
                *((s, int(counts.get(s, 0))) for s in SEVERITIES),
                ("rules that could not run", len(self.skipped)),
            ],
        )

    def __repr__(self) -> str:
        counts = self.findings["severity"].value_counts()
        said = ", ".join(f"{counts.get(s, 0):,} {s}" for s in SEVERITIES)
        return (
            f"RuleRun({len(self.findings):,} findings: {said}; {len(self.skipped)} rules skipped)"
        )


def check_rules(
    frames: Frames,
    settings: RuleSettings | None = None,
    *,
    as_of: pd.Timestamp | datetime | str | None = None,
    rules: Sequence[Rule] = RULES,
    lead_matches: pd.DataFrame | None = None,
    clock: Clock | None = None,
    progress: Callable[[str], None] | None = None,
) -> RuleRun:
    """Run ``rules`` over ``frames`` (:func:`titanaudit.frames.read_frames`). ``as_of`` is the
    reference time of rules that depend on time (default: the ``clock``'s now, by default the
    system's; see :mod:`titanaudit.clock`). ``lead_matches`` (from
    :func:`~titanaudit.dedupe.leads.match_leads`) feeds DUP-LEAD-001, which is skipped without
    them: the rules never run the matching engine themselves
    (:func:`titanaudit.audit.check_rules` runs both over a snapshot)."""
    settings = settings or RuleSettings()
    ctx = Context(frames, settings, reference_time(as_of, clock), lead_matches=lead_matches)
    found, skipped, seconds = [], [], {}
    for rule in rules:
        if rule.id in settings.disable:
            continue
        if progress:
            progress(f"{rule.id} {rule.title}")
        start = time.perf_counter()
        try:
            hits = rule.check(ctx)
        except MissingColumn as exc:
            skipped.append({"rule_id": rule.id, "reason": str(exc)})
            log.info("rule %s skipped: %s", rule.id, exc)
            continue
        seconds[rule.id] = time.perf_counter() - start
        found.append(_complete(hits, rule, settings, ctx))
    nonempty = [f for f in found if len(f)]
    findings = (
        pd.concat(nonempty, ignore_index=True)
        if nonempty
        else pd.DataFrame(columns=FINDING_COLUMNS)
    )
    return RuleRun(
        findings[FINDING_COLUMNS], pd.DataFrame(skipped, columns=["rule_id", "reason"]), seconds
    )


def _complete(hits: pd.DataFrame, rule: Rule, settings: RuleSettings, ctx: Context) -> pd.DataFrame:
    """A rule's findings with the runner's columns: id, severity (the configured one wins over
    the rule's own grading), entity, and the customer each record belongs to."""
    out = hits.reset_index(drop=True).copy()
    out["rule_id"] = rule.id
    graded = out["severity"] if "severity" in out else pd.Series(None, index=out.index)
    out["severity"] = settings.severity.get(rule.id) or graded.fillna(rule.severity)
    if "entity" not in out:
        out["entity"] = rule.entity
    for column in ("value", "fix"):
        if column not in out:
            out[column] = None
    out["customer_id"] = _owners(out, ctx)
    return out


def _owners(out: pd.DataFrame, ctx: Context) -> pd.Series:
    """The customer of each finding's record (for links and grouping in the report)."""
    owner = pd.Series(pd.NA, index=out.index, dtype="Int64")
    lookups = {
        "customers": None,
        "locations": ("locations", "customer_id"),
        "contacts": ("contacts", "customer_id"),
        "leads": ("leads", "customer_id"),
    }
    for entity, source in lookups.items():
        rows = out["entity"] == entity
        if not rows.any():
            continue
        if source is None:
            owner[rows] = out.loc[rows, "record_id"].astype("Int64")
            continue
        frame = getattr(ctx.frames, source[0])
        if source[1] in frame and "id" in frame:
            mapping = frame.drop_duplicates("id").set_index("id")[source[1]]
            owner[rows] = out.loc[rows, "record_id"].map(mapping).astype("Int64")
    return owner


def run_rules(
    frames: Frames,
    settings: RuleSettings | None = None,
    *,
    as_of: pd.Timestamp | datetime | str | None = None,
    lead_matches: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every finding of the built-in rules over ``frames`` (columns of :class:`RuleRun`); rules
    that could not run are logged (:func:`check_rules` returns them)."""
    return check_rules(frames, settings, as_of=as_of, lead_matches=lead_matches).findings
