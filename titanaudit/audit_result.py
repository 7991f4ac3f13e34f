"""What an audit found: :class:`AuditResult`, and the columns of the files it is written to.

Below both the audit that builds it (:mod:`titanaudit.audit`) and the page that shows it
(:mod:`titanaudit.reports`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from titanaudit.decisions import AppliedDecisions
from titanaudit.dedupe.compare import FIELDS
from titanaudit.dedupe.engine import DedupeResult
from titanaudit.display import html_summary
from titanaudit.frames import Frames
from titanaudit.rules import FINDING_COLUMNS, RuleRun

__all__ = ["AUDIT_FINDING_COLUMNS", "DUPLICATE_COLUMNS", "PAIR_COLUMNS", "AuditResult"]

#: findings.csv: the rules' columns and ``status`` (new or persisting since the last audit).
AUDIT_FINDING_COLUMNS = [*FINDING_COLUMNS, "status"]

#: duplicates.csv; ``split_from``: the smallest record of the larger group the strong pairs
#: linked, when the cluster was taken from it (see titanaudit.dedupe.cluster)
DUPLICATE_COLUMNS = [
    "entity",
    "cluster_id",
    "record_id",
    "role",
    "probability",
    "cluster_size",
    "reason",
    "status",
    "split_from",
]
#: pairs.csv; ``decision``: a reviewer's decision that took the pair out of review
#: (``not_duplicate``, or ``protected`` for a pair with a protected record), else empty.
PAIR_COLUMNS = [
    "entity",
    "left_id",
    "right_id",
    "probability",
    "match_weight",
    "evidence",
    "rule_id",
    *FIELDS,
    "decision",
]


@dataclass
class AuditResult:
    """What an audit found. ``duplicates``: one row per record in a duplicate cluster;
    ``pairs``: the pairs worth a look (likely duplicates, household candidates DUP-CUS-003,
    repeated locations DUP-LOC-00x); ``findings``: the rules' findings;
    ``skipped``: rules that could not run; ``summary``: the counts of ``audit.json``;
    ``decisions``: the reviewers' decisions and whether each applied."""

    duplicates: pd.DataFrame
    pairs: pd.DataFrame
    findings: pd.DataFrame
    skipped: pd.DataFrame
    # the stages' own results, for callers that want more than the files hold
    engine: DedupeResult  # the customers' matching (model, every scored pair)
    lead_matches: pd.DataFrame  # match_leads: open leads and bookings of existing customers
    locations: pd.DataFrame  # duplicate_locations: repeated location pairs
    rules: RuleRun  # the rules alone (no status)
    summary: dict[str, Any] = field(default_factory=dict)
    #: one row per location in a cluster of locations that are one (DUPLICATE_COLUMNS,
    #: ``entity`` locations): written into duplicates.csv after the customers
    location_clusters: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=DUPLICATE_COLUMNS)
    )
    decisions: AppliedDecisions = field(default_factory=AppliedDecisions.none)
    #: what the last audit found that this one no longer does (fixed, merged or decided):
    #: ``kind`` (finding or cluster) and ``detail``
    resolved: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["kind", "detail"]))
    report: Any = None  # the review page's ReportContext (titanaudit.reports)
    #: ``fingerprint, kind, detail`` of everything found, as :func:`remember_audit` records it
    fingerprints: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["fingerprint", "kind", "detail"])
    )
    frames: Frames = field(default_factory=Frames)  # the records audited

    def summary_lines(self) -> list[str]:
        """What the audit found, in the sentences ``titanaudit audit`` prints: the counts, the
        reviewers' decisions applied (when there were any), and each rule that could not run."""
        d, f = self.summary["duplicates"], self.summary["findings"]
        severity = ", ".join(
            f"{f['by_severity'].get(s, 0):,} {s}" for s in ("high", "medium", "low", "info")
        )
        lines = [
            f"{d['customer_clusters']:,} duplicate customer clusters ({d['customer_records']:,} "
            f"records), {d['location_clusters']:,} duplicate location clusters, "
            f"{d['household_pairs']:,} household pairs, {sum(d['location_pairs'].values()):,} "
            f"repeated location pairs; {f['total']:,} findings ({severity})"
        ]
        decided = self.summary["decisions"]
        if decided["applied"] or decided["reopened"]:
            gone = decided["suppressed"]
            lines.append(
                f"Reviewers' decisions: {decided['applied']:,} applied, {decided['reopened']:,} "
                f"reopened (the records changed since; look again); suppressed "
                f"{gone['duplicate_pairs']:,} duplicate pairs, {gone['findings']:,} findings"
            )
        reasons = zip(self.skipped["rule_id"], self.skipped["reason"], strict=True)
        return [*lines, *(f"{rule_id} did not run: {reason}" for rule_id, reason in reasons)]

    def _repr_html_(self) -> str:
        d, f = self.summary.get("duplicates", {}), self.summary.get("findings", {})
        change = self.summary.get("change", {})
        rows = [
            ("duplicate customer clusters", d.get("customer_clusters", 0)),
            ("customers in them", d.get("customer_records", 0)),
            ("household pairs (not duplicates)", d.get("household_pairs", 0)),
            ("repeated location pairs", sum(d.get("location_pairs", {}).values())),
            ("findings", f.get("total", 0)),
            *((f"  {k}", v) for k, v in f.get("by_severity", {}).items()),
        ]
        if change.get("previous_audit"):
            rows += [
                ("new since the last audit", change.get("new", 0)),
                ("resolved since", sum(change.get("resolved", {}).values())),
            ]
        return html_summary(f"Audit of {self.summary.get('snapshot', 'a snapshot')}", rows)

    def __repr__(self) -> str:
        d = self.summary.get("duplicates", {})
        return (
            f"AuditResult({d.get('customer_clusters', 0):,} duplicate clusters, "
            f"{d.get('household_pairs', 0):,} household pairs, {len(self.findings):,} findings)"
        )
