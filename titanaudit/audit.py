"""The monthly audit: the matching engine and the rules over one snapshot, composed.

:func:`run_audit` reads the snapshot's frames (:func:`~titanaudit.frames.read_frames`) and what
it recorded (decisions, earlier audits) once, and :func:`audit_frames` runs the stages over that
data, in order: duplicate customers (and household candidates), open leads and bookings of
existing customers, repeated locations and contacts, the data-quality rules, and the review
page's context. It returns an :class:`AuditResult` of frames with the columns of
``ARCHITECTURE.md`` and writes nothing; its caller takes the two steps that do:
:func:`write_audit` (``duplicates.csv``, ``pairs.csv``, ``findings.csv``, ``audit.json``,
``index.html``) and :func:`remember_audit` (the run in the snapshot's history).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from titanaudit.__version__ import __version__
from titanaudit.audit_result import (
    AUDIT_FINDING_COLUMNS,
    DUPLICATE_COLUMNS,
    PAIR_COLUMNS,
    AuditResult,
)
from titanaudit.clock import Clock, reference_time, utc_now
from titanaudit.decisions import AppliedDecisions, apply_decisions, suppressed_findings
from titanaudit.dedupe.compare import FIELDS
from titanaudit.dedupe.customers import NORMALISING, dedupe_customers
from titanaudit.dedupe.engine import EVIDENCE_FROM, DedupeResult
from titanaudit.dedupe.entities import CustomerValues
from titanaudit.dedupe.leads import match_leads
from titanaudit.dedupe.locations import duplicate_locations, location_clusters
from titanaudit.defaults import MATCH_THRESHOLD
from titanaudit.export import write_csv
from titanaudit.frames import Frames, read_frames
from titanaudit.privacy import check_folder, make_folder, write_whole
from titanaudit.reports.context import report_context
from titanaudit.reports.render import write_report
from titanaudit.rules import RULES, Rule, RuleRun, RuleSettings
from titanaudit.rules import runner as rules_runner
from titanaudit.store import DECISION_COLUMNS, PastAudit, Snapshot, open_snapshot

__all__ = [
    "AUDIT_FINDING_COLUMNS",
    "DUPLICATE_COLUMNS",
    "PAIR_COLUMNS",
    "AuditResult",
    "Recorded",
    "audit",
    "audit_frames",
    "check_rules",
    "remember_audit",
    "run_audit",
    "run_rules",
    "write_audit",
]


def _duplicates(customers: DedupeResult) -> pd.DataFrame:
    c = customers.clusters
    return pd.DataFrame(
        {
            "entity": "customers",
            "cluster_id": c["cluster_id"],
            "record_id": c["id"],
            "role": c["role"],
            "probability": c["probability"],
            "cluster_size": c["cluster_size"],
            "reason": c["reason"],
            "status": "new",
            "split_from": c["split_from"],
        },
        columns=DUPLICATE_COLUMNS,
    )


def _location_duplicates(customers: DedupeResult, locations: pd.DataFrame) -> pd.DataFrame:
    """Clusters of locations that are one place (:func:`location_clusters`), the location of the
    customer kept (else the lowest id) to keep."""
    c = customers.clusters
    found = location_clusters(locations, c.set_index("id")["cluster_id"])
    if found.empty:
        return pd.DataFrame(columns=DUPLICATE_COLUMNS)
    found["kept"] = found["customer_id"].isin(set(c.loc[c["role"] == "keep", "id"]))
    found = found.sort_values(["cluster_id", "kept", "record"], ascending=[True, False, True])
    keep = ~found.duplicated("cluster_id")
    why = np.where(
        found["kept"], "; kept: its customer is the one kept", "; kept: it has the lowest id"
    )
    return pd.DataFrame(
        {
            "entity": "locations",
            "cluster_id": found["cluster_id"],
            "record_id": found["record"],
            "role": np.where(keep, "keep", "merge"),
            "probability": np.nan,
            "cluster_size": found.groupby("cluster_id")["record"].transform("size"),
            "reason": np.where(keep, found["reason"] + why, ""),
            "status": "new",
        },
        columns=DUPLICATE_COLUMNS,
    ).reset_index(drop=True)


def _pairs(
    customers: DedupeResult, threshold: float, locations: pd.DataFrame, decided: AppliedDecisions
) -> pd.DataFrame:
    likely = customers.pairs[customers.pairs["probability"] >= EVIDENCE_FROM]
    likely_decision = decided.pair_decision("customers", likely["left_id"], likely["right_id"])
    rule = np.where(
        (likely["probability"] >= threshold) & (likely_decision == ""), "DUP-CUS-001", ""
    )
    homes = customers.households
    pieces = [
        likely.assign(entity="customers", rule_id=rule, decision=likely_decision),
        homes.assign(
            entity="customers",
            rule_id="DUP-CUS-003",
            probability=np.nan,
            match_weight=np.nan,
            decision=decided.pair_decision("customers", homes["left_id"], homes["right_id"]),
        ),
        locations.assign(
            entity="locations",
            probability=np.nan,
            match_weight=np.nan,
            decision=decided.pair_decision(
                "locations", locations["left_id"], locations["right_id"]
            ),
        ),
    ]
    kept = [p.reindex(columns=PAIR_COLUMNS) for p in pieces if len(p)]
    pairs = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=PAIR_COLUMNS)
    return pairs.astype({f: "Int64" for f in FIELDS})  # levels stay whole numbers beside gaps


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:20]


def fingerprints(result: AuditResult) -> pd.DataFrame:
    """``fingerprint, kind`` of everything the audit found, stable from one audit to the next: a
    finding by its rule, record and value (a corrected value is a new finding); a duplicate
    cluster by its members."""
    f = result.findings
    found = [
        _digest(f"{r}|{e}|{i}|{v}")
        for r, e, i, v in zip(f["rule_id"], f["entity"], f["record_id"], f["value"], strict=True)
    ]
    said = [
        f"{r} on {e.rstrip('s')} #{i}" + (f": {str(v)[:80]}" if pd.notna(v) and str(v) else "")
        for r, e, i, v in zip(f["rule_id"], f["entity"], f["record_id"], f["value"], strict=True)
    ]
    return pd.concat(
        [
            pd.DataFrame({"fingerprint": found, "kind": "finding", "detail": said}),
            _cluster_prints(result.duplicates, "cluster", "duplicate customers"),
            _cluster_prints(result.location_clusters, "location_cluster", "duplicate locations"),
        ],
        ignore_index=True,
    )


def _cluster_prints(clusters: pd.DataFrame, kind: str, said: str) -> pd.DataFrame:
    """A cluster's fingerprint is its members (locations' get their own kind: their ids may
    coincide with customers')."""
    members = clusters.groupby("cluster_id")["record_id"].agg(
        lambda ids: ",".join(map(str, sorted(ids)))
    )
    return pd.DataFrame(
        {
            "fingerprint": [_digest(f"{kind}|{m}") for m in members],
            "kind": kind,
            "cluster_id": members.index,
            "detail": f"{said} " + members.str.replace(",", ", #").radd("#").to_numpy(),
        }
    )


@dataclass(frozen=True)
class Recorded:
    """What an audit reads from its snapshot besides the frames: the file's name, the records
    per feed, the newest change the data holds, the reviewers' decisions and the audits recorded
    before (:meth:`read` takes them from a snapshot; a test or notebook may build its own)."""

    snapshot: str = ""
    records: dict[str, int] = field(default_factory=dict)
    data_through: datetime | None = None
    decisions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DECISION_COLUMNS))
    previous: PastAudit | None = None
    history: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["id", "run_at", "as_of", "summary"])
    )

    @classmethod
    def read(cls, snapshot: Snapshot) -> Recorded:
        return cls(
            snapshot=snapshot.path.name,
            records=snapshot.counts(),
            data_through=snapshot.newest_change("customers"),
            decisions=snapshot.decisions(),
            previous=snapshot.last_audit(),
            history=snapshot.audit_history(),
        )


def _history(
    result: AuditResult, customers: pd.DataFrame, previous: PastAudit | None
) -> dict[str, Any]:
    """Mark findings and clusters new or persisting since the ``previous`` audit, and count
    what was resolved and the merges done in ServiceTitan since."""
    prints = fingerprints(result)
    seen = set(previous.items["fingerprint"]) if previous else set()
    known = prints["fingerprint"].isin(seen).to_numpy()
    is_finding = (prints["kind"] == "finding").to_numpy()
    quiet = (result.findings["status"] == "suppressed").to_numpy()
    result.findings["status"] = np.where(
        quiet, "suppressed", np.where(known[is_finding], "persisting", "new")
    )
    for kind, frame in (
        ("cluster", result.duplicates),
        ("location_cluster", result.location_clusters),
    ):
        persisting = set(prints.loc[(prints["kind"] == kind).to_numpy() & known, "cluster_id"])
        frame["status"] = np.where(frame["cluster_id"].isin(persisting), "persisting", "new")
    open_items = np.ones(len(prints), dtype=bool)
    open_items[np.flatnonzero(is_finding)[quiet]] = False
    change: dict[str, Any] = {
        "previous_audit": previous.run_at if previous else None,
        "new": int((open_items & ~known).sum()),
        "persisting": int((open_items & known).sum()),
    }
    if previous:
        gone = previous.items[~previous.items["fingerprint"].isin(set(prints["fingerprint"]))]
        change["resolved"] = {str(k): int(v) for k, v in gone["kind"].value_counts().items()}
        result.resolved = pd.DataFrame(
            {
                "kind": gone["kind"].to_numpy(),
                "detail": gone["detail"].fillna("(recorded without details)").to_numpy(),
            }
        )
        change["merged_since"] = _merged_since(customers, previous)
    return change | {"fingerprints": prints}


def _merged_since(customers: pd.DataFrame, previous: PastAudit) -> int:
    """Customers merged in ServiceTitan since the last audit: merged records changed after the
    newest change that audit's data held (not after the moment it ran: a merge made before the
    last audit ran but pulled only since is new to this one, and no clock is involved)."""
    since = pd.Timestamp(previous.summary.get("data_through") or previous.run_at)
    merged = customers["merged_to_id"].notna() & (customers["modified_on"] > since)
    return int(merged.sum())


def run_audit(
    snapshot: Snapshot,
    *,
    settings: RuleSettings | None = None,
    as_of: pd.Timestamp | datetime | str | None = None,
    threshold: float = MATCH_THRESHOLD,
    ui_url: str | None = None,
    progress: Callable[[str], None] | None = None,
    clock: Clock | None = None,
) -> AuditResult:
    """Audit ``snapshot`` (see the module docstring): read its frames and what it recorded
    (:class:`Recorded`), then :func:`audit_frames`. ``as_of`` is the reference time of the
    time-dependent rules (default: the moment the audit runs); ``threshold`` the probability
    from which a pair is a duplicate; ``ui_url`` the ServiceTitan web app the page links to
    (default: production); ``progress`` hears of each stage; ``clock`` tells the moment the
    audit runs (default: the system's, in UTC), read once. Nothing is written: the caller
    writes the files (:func:`write_audit`) and records the run in the snapshot's history
    (:func:`remember_audit`), for the next audit to tell new from persisting. A snapshot no
    pull into has finished is refused (:class:`~titanaudit.errors.ConfigError`)."""
    snapshot.require_fetched()  # an empty or half-pulled snapshot would audit as clean
    now = (clock or utc_now)()
    if progress:
        progress("reading the snapshot")
    frames, recorded = read_frames(snapshot), Recorded.read(snapshot)
    return audit_frames(
        frames,
        recorded,
        settings=settings,
        as_of=reference_time(as_of, lambda: now),
        now=now,
        threshold=threshold,
        ui_url=ui_url,
        progress=progress,
    )


def remember_audit(snapshot: Snapshot, result: AuditResult) -> int:
    """Record ``result`` in ``snapshot``'s history (its summary and fingerprints); returns the
    run's id."""
    return snapshot.record_audit(
        result.summary["generated_at"], result.summary["as_of"], result.summary, result.fingerprints
    )


def audit_frames(
    frames: Frames,
    recorded: Recorded | None = None,
    *,
    settings: RuleSettings | None = None,
    as_of: pd.Timestamp,
    now: datetime,
    threshold: float = MATCH_THRESHOLD,
    ui_url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> AuditResult:
    """The audit's stages over ``frames`` and what the snapshot ``recorded``, composed; a
    function of its inputs alone (no store, no clock: ``now`` is the moment to stamp)."""
    recorded = recorded or Recorded()
    stage = progress or (lambda _: None)
    decided = apply_decisions(recorded.decisions, frames)
    stage("finding duplicate customers")
    stage(NORMALISING)
    values = CustomerValues.parse(frames.customers, frames.locations, frames.contacts)
    customers = dedupe_customers(
        frames,
        threshold=threshold,
        apart=decided.apart["customers"],
        protected=decided.protected["customers"],
        keep=decided.keep,
        progress=progress,
        values=values,
    )
    stage("matching open leads and bookings to customers")
    leads = match_leads(frames, model=customers.model, threshold=threshold, values=values)
    del values  # a tenant's parse: not held through the rules and the page
    stage("finding repeated locations")
    locations = duplicate_locations(frames)
    stage("running the data-quality rules")
    run = rules_runner.check_rules(frames, settings, as_of=as_of, lead_matches=leads)
    findings = run.findings.assign(status="new")
    findings.loc[suppressed_findings(findings, decided), "status"] = "suppressed"
    result = AuditResult(
        _duplicates(customers),
        _pairs(customers, threshold, locations, decided),
        findings,
        run.skipped,
        engine=customers,
        lead_matches=leads,
        locations=locations,
        rules=run,
        decisions=decided,
        location_clusters=_location_duplicates(customers, locations),
        frames=frames,
    )
    history = _history(result, frames.customers, recorded.previous)
    prints = history.pop("fingerprints")
    result.summary = _summary(result, recorded, now, as_of, customers, locations, threshold) | {
        "change": history
    }
    result.fingerprints = prints
    stage("preparing the review page")
    result.report = report_context(result, frames, history=recorded.history, ui_url=ui_url)
    return result


def _summary(
    result: AuditResult,
    recorded: Recorded,
    now: datetime,
    as_of: pd.Timestamp,
    customers: DedupeResult,
    locations: pd.DataFrame,
    threshold: float,
) -> dict[str, Any]:
    found = result.findings[result.findings["status"] != "suppressed"]  # counted apart
    through = recorded.data_through
    return {
        "titanaudit": __version__,
        "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "data_through": through.isoformat() if through else None,
        "snapshot": recorded.snapshot,
        "records": recorded.records,
        "duplicates": {
            "customer_clusters": int(result.duplicates["cluster_id"].nunique()),
            "customer_records": len(result.duplicates),
            "location_clusters": int(result.location_clusters["cluster_id"].nunique()),
            "location_records": len(result.location_clusters),
            "household_pairs": len(customers.households),
            "location_pairs": {
                str(k): int(v) for k, v in locations.groupby("rule_id").size().items()
            }
            if len(locations)
            else {},
        },
        "findings": {
            "total": len(found),
            "by_severity": {str(k): int(v) for k, v in found["severity"].value_counts().items()},
            "by_rule": {
                str(k): int(v) for k, v in found["rule_id"].value_counts().sort_index().items()
            },
        },
        "decisions": result.decisions.counts() | {"suppressed": _suppressed(result, threshold)},
        "skipped_rules": result.skipped.to_dict("records"),
    }


def _suppressed(result: AuditResult, threshold: float) -> dict[str, int]:
    """What reviewers' decisions took out of review in this audit."""
    pairs = result.pairs[result.pairs["decision"] != ""]
    likely = (
        (pairs["rule_id"] == "")
        & (pairs["entity"] == "customers")
        & (pairs["probability"] >= threshold)
    )
    return {
        "duplicate_pairs": int(likely.sum()),
        "household_pairs": int((pairs["rule_id"] == "DUP-CUS-003").sum()),
        "location_pairs": int((pairs["entity"] == "locations").sum()),
        "findings": int((result.findings["status"] == "suppressed").sum()),
    }


def write_audit(result: AuditResult, out: Path) -> dict[str, Path]:
    """Write ``index.html`` (the review page), ``duplicates.csv``, ``pairs.csv``,
    ``findings.csv`` and ``audit.json`` into ``out`` (created if missing), each owner-only and
    whole (written under a temporary name)."""
    make_folder(out)
    names = ("duplicates.csv", "pairs.csv", "findings.csv", "audit.json", "index.html")
    paths = {name: out / name for name in names}
    clusters = [f for f in (result.duplicates, result.location_clusters) if len(f)]
    write_csv(
        pd.concat(clusters, ignore_index=True) if clusters else result.duplicates,
        paths["duplicates.csv"],
    )
    write_csv(result.pairs, paths["pairs.csv"])
    write_csv(result.findings, paths["findings.csv"])
    write_whole(
        paths["audit.json"], lambda handle: json.dump(result.summary, handle, indent=2, default=str)
    )
    if result.report is not None:
        write_report(result.report, paths["index.html"])
    else:
        del paths["index.html"]
    return paths


def audit(
    snapshot: Snapshot | str | Path,
    out: str | Path | None = None,
    *,
    settings: RuleSettings | None = None,
    as_of: pd.Timestamp | datetime | str | None = None,
    threshold: float = MATCH_THRESHOLD,
    ui_url: str | None = None,
    progress: Callable[[str], None] | None = None,
    clock: Clock | None = None,
) -> AuditResult:
    """:func:`run_audit` on a snapshot (or its file); with ``out``, :func:`write_audit` and
    :func:`remember_audit` too: ``titanaudit.audit("tenant.sqlite", "audit/")`` is
    ``titanaudit audit`` from Python. Without ``out`` nothing is written or recorded."""
    if out is not None:
        check_folder(Path(out))
    with contextlib.ExitStack() as stack:
        if not isinstance(snapshot, Snapshot):
            snapshot = stack.enter_context(open_snapshot(snapshot, fetched=True))
        result = run_audit(
            snapshot,
            settings=settings,
            as_of=as_of,
            threshold=threshold,
            ui_url=ui_url,
            progress=progress,
            clock=clock,
        )
        if out is not None:
            write_audit(result, Path(out))
            remember_audit(snapshot, result)
    return result


def check_rules(
    source: Snapshot | Frames,
    settings: RuleSettings | None = None,
    *,
    as_of: pd.Timestamp | datetime | str | None = None,
    rules: Sequence[Rule] = RULES,
    lead_matches: pd.DataFrame | None = None,
    threshold: float = MATCH_THRESHOLD,
    progress: Callable[[str], None] | None = None,
) -> RuleRun:
    """The data-quality rules over a snapshot (or its frames), its open leads and bookings
    matched to its customers first (from ``threshold``) for DUP-LEAD-001 unless
    ``lead_matches`` are given: what the ``titanaudit rules`` command runs.
    :func:`titanaudit.rules.check_rules` is the rules alone."""
    frames = read_frames(source) if isinstance(source, Snapshot) else source
    leads = lead_matches if lead_matches is not None else match_leads(frames, threshold=threshold)
    return rules_runner.check_rules(
        frames, settings, as_of=as_of, rules=rules, lead_matches=leads, progress=progress
    )


def run_rules(
    source: Snapshot | Frames,
    settings: RuleSettings | None = None,
    *,
    as_of: pd.Timestamp | datetime | str | None = None,
    threshold: float = MATCH_THRESHOLD,
) -> pd.DataFrame:
    """Every finding of :func:`check_rules` (rules that could not run are logged)."""
    return check_rules(source, settings, as_of=as_of, threshold=threshold).findings
