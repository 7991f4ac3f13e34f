"""The monthly audit: the matching engine and the rules over one snapshot, composed.

:func:`run_audit` reads the snapshot's frames once and runs, in order: duplicate customers (and
household candidates), open leads and bookings of existing customers, repeated locations and
contacts, and the data-quality rules. It returns an :class:`AuditResult` of frames with the
columns of ``ARCHITECTURE.md``; :func:`write_audit` writes them as ``duplicates.csv``,
``pairs.csv``, ``findings.csv`` and ``audit.json``. It holds no state of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from titanaudit.decisions import AppliedDecisions, apply_decisions, suppressed_findings
from titanaudit.dedupe.compare import FIELDS
from titanaudit.dedupe.customers import dedupe_customers
from titanaudit.dedupe.engine import EVIDENCE_FROM, DedupeResult
from titanaudit.dedupe.leads import match_leads
from titanaudit.dedupe.locations import duplicate_locations, location_clusters
from titanaudit.export import write_csv
from titanaudit.privacy import check_folder, make_folder, write_whole
from titanaudit.rules import FINDING_COLUMNS, Frames, RuleRun, RuleSettings, check_rules
from titanaudit.store import PastAudit, Snapshot

__all__ = ["AUDIT_FINDING_COLUMNS", "DUPLICATE_COLUMNS", "PAIR_COLUMNS", "AuditResult", "audit",
           "remember_audit", "run_audit", "write_audit"]  # fmt: skip

#: findings.csv: the rules' columns and ``status`` (new or persisting since the last audit).
AUDIT_FINDING_COLUMNS = [*FINDING_COLUMNS, "status"]

#: duplicates.csv; ``split_from``: the smallest record of the larger group the strong pairs
#: linked, when the cluster was taken from it (see titanaudit.dedupe.cluster)
DUPLICATE_COLUMNS = ["entity", "cluster_id", "record_id", "role", "probability", "cluster_size",
                     "reason", "status", "split_from"]  # fmt: skip
#: pairs.csv; ``decision``: a reviewer's decision that took the pair out of review
#: (``not_duplicate``, or ``protected`` for a pair with a protected record), else empty.
PAIR_COLUMNS = ["entity", "left_id", "right_id", "probability", "match_weight", "evidence",
                "rule_id", *FIELDS, "decision"]  # fmt: skip


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

    def _repr_html_(self) -> str:
        from titanaudit.display import html_summary

        d, f = self.summary.get("duplicates", {}), self.summary.get("findings", {})
        change = self.summary.get("change", {})
        rows = [("duplicate customer clusters", d.get("customer_clusters", 0)),
                ("customers in them", d.get("customer_records", 0)),
                ("household pairs (not duplicates)", d.get("household_pairs", 0)),
                ("repeated location pairs", sum(d.get("location_pairs", {}).values())),
                ("findings", f.get("total", 0)),
                *((f"  {k}", v) for k, v in f.get("by_severity", {}).items())]  # fmt: skip
        if change.get("previous_audit"):
            rows += [("new since the last audit", change.get("new", 0)),
                     ("resolved since", sum(change.get("resolved", {}).values()))]  # fmt: skip
        return html_summary(f"Audit of {self.summary.get('snapshot', 'a snapshot')}", rows)

    def __repr__(self) -> str:
        d = self.summary.get("duplicates", {})
        return (f"AuditResult({d.get('customer_clusters', 0):,} duplicate clusters, "
                f"{d.get('household_pairs', 0):,} household pairs, {len(self.findings):,} findings)")  # fmt: skip


def _duplicates(customers: DedupeResult) -> pd.DataFrame:
    c = customers.clusters
    return pd.DataFrame({"entity": "customers", "cluster_id": c["cluster_id"], "record_id": c["id"],
                         "role": c["role"], "probability": c["probability"],
                         "cluster_size": c["cluster_size"], "reason": c["reason"], "status": "new",
                         "split_from": c["split_from"]},
                        columns=DUPLICATE_COLUMNS)  # fmt: skip


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
    return pd.DataFrame({"entity": "locations", "cluster_id": found["cluster_id"], "record_id": found["record"],
                         "role": np.where(keep, "keep", "merge"), "probability": np.nan,
                         "cluster_size": found.groupby("cluster_id")["record"].transform("size"),
                         "reason": np.where(keep, found["reason"] + why, ""), "status": "new"},
                        columns=DUPLICATE_COLUMNS).reset_index(drop=True)  # fmt: skip


def _pairs(customers: DedupeResult, threshold: float, locations: pd.DataFrame,
           decided: AppliedDecisions) -> pd.DataFrame:  # fmt: skip
    likely = customers.pairs[customers.pairs["probability"] >= EVIDENCE_FROM]
    likely_decision = decided.pair_decision("customers", likely["left_id"], likely["right_id"])
    rule = np.where(
        (likely["probability"] >= threshold) & (likely_decision == ""), "DUP-CUS-001", ""
    )
    homes = customers.households
    pieces = [
        likely.assign(entity="customers", rule_id=rule, decision=likely_decision),
        homes.assign(entity="customers", rule_id="DUP-CUS-003", probability=np.nan, match_weight=np.nan,
                     decision=decided.pair_decision("customers", homes["left_id"], homes["right_id"])),
        locations.assign(entity="locations", probability=np.nan, match_weight=np.nan,
                         decision=decided.pair_decision("locations", locations["left_id"],
                                                        locations["right_id"])),
    ]  # fmt: skip
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
    found = [_digest(f"{r}|{e}|{i}|{v}") for r, e, i, v in
             zip(f["rule_id"], f["entity"], f["record_id"], f["value"], strict=True)]  # fmt: skip
    said = [f"{r} on {e.rstrip('s')} #{i}" + (f": {str(v)[:80]}" if pd.notna(v) and str(v) else "")
            for r, e, i, v in zip(f["rule_id"], f["entity"], f["record_id"], f["value"], strict=True)]  # fmt: skip
    return pd.concat([pd.DataFrame({"fingerprint": found, "kind": "finding", "detail": said}),
                      _cluster_prints(result.duplicates, "cluster", "duplicate customers"),
                      _cluster_prints(result.location_clusters, "location_cluster", "duplicate locations")],
                     ignore_index=True)  # fmt: skip


def _cluster_prints(clusters: pd.DataFrame, kind: str, said: str) -> pd.DataFrame:
    """A cluster's fingerprint is its members (locations' get their own kind: their ids may
    coincide with customers')."""
    members = clusters.groupby("cluster_id")["record_id"].agg(
        lambda ids: ",".join(map(str, sorted(ids)))
    )
    return pd.DataFrame({"fingerprint": [_digest(f"{kind}|{m}") for m in members], "kind": kind,
                         "cluster_id": members.index,
                         "detail": f"{said} " + members.str.replace(",", ", #").radd("#").to_numpy()})  # fmt: skip


def _history(result: AuditResult, snapshot: Snapshot) -> dict[str, Any]:
    """Mark findings and clusters new or persisting since the last audit of this snapshot,
    count what was resolved and the merges done in ServiceTitan since, and record this run."""
    prints = fingerprints(result)
    previous = snapshot.last_audit()
    seen = set(previous.items["fingerprint"]) if previous else set()
    known = prints["fingerprint"].isin(seen).to_numpy()
    is_finding = (prints["kind"] == "finding").to_numpy()
    quiet = (result.findings["status"] == "suppressed").to_numpy()
    result.findings["status"] = np.where(quiet, "suppressed",
                                         np.where(known[is_finding], "persisting", "new"))  # fmt: skip
    for kind, frame in (
        ("cluster", result.duplicates),
        ("location_cluster", result.location_clusters),
    ):
        persisting = set(prints.loc[(prints["kind"] == kind).to_numpy() & known, "cluster_id"])
        frame["status"] = np.where(frame["cluster_id"].isin(persisting), "persisting", "new")
    open_items = np.ones(len(prints), dtype=bool)
    open_items[np.flatnonzero(is_finding)[quiet]] = False
    change: dict[str, Any] = {"previous_audit": previous.run_at if previous else None,
                              "new": int((open_items & ~known).sum()),
                              "persisting": int((open_items & known).sum())}  # fmt: skip
    if previous:
        gone = previous.items[~previous.items["fingerprint"].isin(set(prints["fingerprint"]))]
        change["resolved"] = {str(k): int(v) for k, v in gone["kind"].value_counts().items()}
        result.resolved = pd.DataFrame({"kind": gone["kind"].to_numpy(),
                                        "detail": gone["detail"].fillna("(recorded without details)").to_numpy()})  # fmt: skip
        change["merged_since"] = _merged_since(snapshot, previous)
    return change | {"fingerprints": prints}


def _merged_since(snapshot: Snapshot, previous: PastAudit) -> int:
    """Customers merged in ServiceTitan since the last audit: merged records changed after the
    newest change that audit's data held (not after the moment it ran: a merge made before the
    last audit ran but pulled only since is new to this one, and no clock is involved)."""
    since = pd.Timestamp(previous.summary.get("data_through") or previous.run_at)
    customers = snapshot.customers()
    merged = customers["merged_to_id"].notna() & (customers["modified_on"] > since)
    return int(merged.sum())


def run_audit(snapshot: Snapshot, *, settings: RuleSettings | None = None,
              as_of: pd.Timestamp | datetime | str | None = None, threshold: float = 0.5,
              ui_url: str | None = None, progress: Callable[[str], None] | None = None,
              clock: Callable[[], datetime] | None = None, remember: bool = True) -> AuditResult:  # fmt: skip
    """Audit ``snapshot`` (see the module docstring). ``as_of`` is the reference time of the
    time-dependent rules (default: the moment the audit runs); ``threshold`` the probability
    from which a pair is a duplicate; ``ui_url`` the ServiceTitan web app the page links to
    (default: production); ``progress`` hears of each stage; ``clock`` tells the moment the
    audit runs (default: the system's, in UTC), read once. The snapshot's history records the
    audit, for the next one to tell new from persisting, unless ``remember`` is False (then
    :func:`remember_audit` does it, e.g. once the report is safely written). A snapshot no pull
    into has finished is refused (:class:`~titanaudit.errors.ConfigError`)."""
    snapshot.require_fetched()  # an empty or half-pulled snapshot would audit as clean
    now = (clock or _utc_now)()
    when = reference_time(as_of, now)
    snapshot.keep_frames()
    try:
        result = _audit(snapshot, settings, now, when, threshold, ui_url, progress)
    finally:
        snapshot.forget_frames()
    if remember:
        remember_audit(snapshot, result)
    return result


def remember_audit(snapshot: Snapshot, result: AuditResult) -> int:
    """Record ``result`` in ``snapshot``'s history (its summary and fingerprints); returns the
    run's id. :func:`run_audit` does this itself unless told not to."""
    return snapshot.record_audit(result.summary["generated_at"], result.summary["as_of"],
                                 result.summary, result.fingerprints)  # fmt: skip


def _utc_now() -> datetime:
    return datetime.now(UTC)


def reference_time(as_of: pd.Timestamp | datetime | str | None, now: datetime) -> pd.Timestamp:
    """``as_of`` as a UTC timestamp (a time without a zone is UTC); ``now`` when it is None."""
    when = pd.Timestamp(as_of if as_of is not None else now)
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")


def _audit(snapshot: Snapshot, settings: RuleSettings | None, now: datetime, as_of: pd.Timestamp,
           threshold: float, ui_url: str | None,
           progress: Callable[[str], None] | None) -> AuditResult:  # fmt: skip
    from titanaudit.reports.context import report_context

    stage = progress or (lambda _: None)
    decided = apply_decisions(snapshot)
    stage("finding duplicate customers")
    customers = dedupe_customers(snapshot, threshold=threshold, apart=decided.apart["customers"],
                                 protected=decided.protected["customers"], keep=decided.keep,
                                 progress=progress)  # fmt: skip
    stage("matching open leads and bookings to customers")
    leads = match_leads(snapshot, model=customers.model)
    stage("finding repeated locations")
    locations = duplicate_locations(snapshot)
    stage("running the data-quality rules")
    run = check_rules(Frames.from_snapshot(snapshot), settings, as_of=as_of, lead_matches=leads,
                      snapshot=snapshot)  # fmt: skip
    findings = run.findings.assign(status="new")
    findings.loc[suppressed_findings(findings, decided), "status"] = "suppressed"
    result = AuditResult(_duplicates(customers), _pairs(customers, threshold, locations, decided),
                         findings, run.skipped, engine=customers, lead_matches=leads,
                         locations=locations, rules=run, decisions=decided,
                         location_clusters=_location_duplicates(customers, locations))  # fmt: skip
    history = _history(result, snapshot)
    prints = history.pop("fingerprints")
    result.summary = _summary(result, snapshot, now, as_of, customers, locations, threshold) | {
        "change": history
    }
    result.fingerprints = prints
    stage("preparing the review page")
    result.report = report_context(result, snapshot, ui_url=ui_url)
    return result


def _summary(result: AuditResult, snapshot: Snapshot, now: datetime, as_of: pd.Timestamp,
             customers: DedupeResult, locations: pd.DataFrame,
             threshold: float) -> dict[str, Any]:  # fmt: skip
    from titanaudit import __version__

    found = result.findings[result.findings["status"] != "suppressed"]  # counted apart
    through = snapshot.newest_change("customers")
    return {
        "titanaudit": __version__,
        "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "data_through": through.isoformat() if through else None,
        "snapshot": snapshot.path.name,
        "records": snapshot.counts(),
        "duplicates": {
            "customer_clusters": int(result.duplicates["cluster_id"].nunique()),
            "customer_records": len(result.duplicates),
            "location_clusters": int(result.location_clusters["cluster_id"].nunique()),
            "location_records": len(result.location_clusters),
            "household_pairs": len(customers.households),
            "location_pairs": {str(k): int(v) for k, v in locations.groupby("rule_id").size().items()}
            if len(locations) else {},
        },
        "findings": {
            "total": len(found),
            "by_severity": {str(k): int(v) for k, v in found["severity"].value_counts().items()},
            "by_rule": {str(k): int(v) for k, v in found["rule_id"].value_counts().sort_index().items()},
        },
        "decisions": result.decisions.counts() | {"suppressed": _suppressed(result, threshold)},
        "skipped_rules": result.skipped.to_dict("records"),
    }  # fmt: skip


def _suppressed(result: AuditResult, threshold: float) -> dict[str, int]:
    """What reviewers' decisions took out of review in this audit."""
    pairs = result.pairs[result.pairs["decision"] != ""]
    likely = (
        (pairs["rule_id"] == "")
        & (pairs["entity"] == "customers")
        & (pairs["probability"] >= threshold)
    )
    return {"duplicate_pairs": int(likely.sum()),
            "household_pairs": int((pairs["rule_id"] == "DUP-CUS-003").sum()),
            "location_pairs": int((pairs["entity"] == "locations").sum()),
            "findings": int((result.findings["status"] == "suppressed").sum())}  # fmt: skip


def write_audit(result: AuditResult, out: Path) -> dict[str, Path]:
    """Write ``index.html`` (the review page), ``duplicates.csv``, ``pairs.csv``,
    ``findings.csv`` and ``audit.json`` into ``out`` (created if missing), each owner-only and
    whole (written under a temporary name)."""
    from titanaudit.reports.render import write_report

    make_folder(out)
    names = ("duplicates.csv", "pairs.csv", "findings.csv", "audit.json", "index.html")
    paths = {name: out / name for name in names}
    clusters = [f for f in (result.duplicates, result.location_clusters) if len(f)]
    write_csv(pd.concat(clusters, ignore_index=True) if clusters else result.duplicates,
              paths["duplicates.csv"])  # fmt: skip
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


def audit(snapshot: Snapshot | str | Path, out: str | Path | None = None, *,
          settings: RuleSettings | None = None, as_of: pd.Timestamp | datetime | str | None = None,
          threshold: float = 0.5, ui_url: str | None = None,
          progress: Callable[[str], None] | None = None,
          clock: Callable[[], datetime] | None = None) -> AuditResult:  # fmt: skip
    """:func:`run_audit` on a snapshot (or its file), and with ``out`` :func:`write_audit` too:
    ``titanaudit.audit("tenant.sqlite", "audit/")`` is ``titanaudit audit`` from Python."""
    from titanaudit.store import open_snapshot

    if out is not None:
        check_folder(Path(out))
    if isinstance(snapshot, Snapshot):
        result = run_audit(snapshot, settings=settings, as_of=as_of, threshold=threshold,
                           ui_url=ui_url, progress=progress, clock=clock)  # fmt: skip
    else:
        with open_snapshot(snapshot, fetched=True) as opened:
            result = run_audit(opened, settings=settings, as_of=as_of, threshold=threshold,
                               ui_url=ui_url, progress=progress, clock=clock)  # fmt: skip
    if out is not None:
        write_audit(result, Path(out))
    return result
