"""What the review page shows, as a documented dataclass built from an audit.

The summary (counts, severities, rules) is rendered into the page; the long lists (duplicate
clusters, findings) travel as JSON inside it and are drawn a page at a time by the page's own
script, so 100,000 findings never become 100,000 table rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from titanaudit.audit import AuditResult
from titanaudit.rules import RULES, SEVERITIES
from titanaudit.servicetitan.links import customer_url, location_url
from titanaudit.store import Snapshot

__all__ = ["ReportContext", "report_context"]

MERGE_STEPS = (
    "In ServiceTitan open Settings > Tools > Merge Customers.",
    "Search for the customer to merge away: {merge}.",
    "Choose the customer to keep: {keep}, and confirm.",
    "Then open Settings > Tools > Merge Locations and merge any location that is now listed twice "
    "under {keep_name}.",
)


@dataclass(frozen=True)
class ReportContext:
    """The template's context.

    ``title``, ``snapshot`` (file name), ``generated_at`` and ``as_of`` (ISO times);
    ``counts``: (label, number) pairs for the summary cards; ``severities``: one dict per
    severity (``name``, ``count``, ``share`` of the largest, 0-100); ``rules``: one dict per rule
    that found something (``id``, ``title``, ``severity``, ``count``); ``data``: what the script
    draws: ``clusters`` (each ``id``, ``probability``, ``status``, ``same_name``, ``steps``, and
    ``records``: ``id, role, name, address, contacts, created, url, evidence, reason``) and
    ``findings`` (``[rule_id, severity, entity, record_id, message, value, fix, url, status]``
    each; status ``new`` or ``persisting`` since the last audit) and ``pairs`` (household
    candidates and repeated locations: ``[rule_id, kind, left, left_url, right, right_url,
    evidence]`` each)."""

    title: str
    snapshot: str
    generated_at: str
    as_of: str
    counts: list[tuple[str, int]]
    severities: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    data: dict[str, Any] = field(default_factory=dict)


def _text(value: Any) -> str:
    return (
        ""
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA
        else str(value)
    )


def _customers(snapshot: Snapshot, ids: set[int]) -> dict[int, dict[str, str]]:
    customers = snapshot.customers()
    customers = customers[customers["id"].isin(ids)]
    contacts = snapshot.contacts()
    contacts = contacts[contacts["customer_id"].isin(ids) & (contacts["owner_type"] == "customer")]
    reach = contacts.groupby("customer_id")["value"].agg(lambda v: ", ".join(map(str, list(v)[:4])))
    out: dict[int, dict[str, str]] = {}
    rows: list[dict[Any, Any]] = customers.to_dict("records")
    for row in rows:
        parts = (row["street"], row["unit"], row["city"], row["state"], row["zip"])
        created = row["created_on"]
        out[int(row["id"])] = {
            "name": _text(row["name"]), "address": " ".join(_text(x) for x in parts if _text(x)),
            "contacts": _text(reach.get(row["id"])),
            "created": created.strftime("%Y-%m-%d") if pd.notna(created) else "",
        }  # fmt: skip
    return out


def _clusters(result: AuditResult, snapshot: Snapshot, ui_url: str | None) -> list[dict[str, Any]]:
    dups = result.duplicates
    if dups.empty:
        return []
    info = _customers(snapshot, set(dups["record_id"].astype(int)))
    pairs = result.pairs[
        (result.pairs["entity"] == "customers") & result.pairs["probability"].notna()
    ]
    said = {frozenset((int(a), int(b))): _text(e)
            for a, b, e in zip(pairs["left_id"], pairs["right_id"], pairs["evidence"], strict=True)}  # fmt: skip
    clusters = []
    for cluster_id, members in dups.groupby("cluster_id", sort=False):
        members = members.sort_values("role", key=lambda r: r != "keep")
        keep = int(members["record_id"].iloc[0])
        records: list[dict[str, Any]] = []
        member_rows: list[dict[Any, Any]] = members.to_dict("records")
        for row in member_rows:
            rid = int(row["record_id"])
            who = info.get(rid, {"name": "", "address": "", "contacts": "", "created": ""})
            records.append({"id": rid, "role": row["role"], **who, "url": customer_url(rid, ui_url),
                            "evidence": said.get(frozenset((keep, rid)), "") if rid != keep else "",
                            "reason": _text(row["reason"])})  # fmt: skip
        kept = records[0]
        steps = [step.format(merge=", ".join(f"{r['name']} (#{r['id']})" for r in records[1:]),
                             keep=f"{kept['name']} (#{kept['id']})", keep_name=kept["name"])
                 for step in MERGE_STEPS]  # fmt: skip
        names = {r["name"].strip().lower() for r in records}
        top: Any = members["probability"].max()
        clusters.append({"id": int(cast(Any, cluster_id)), "probability": float(top),
                         "status": str(members["status"].iloc[0]) if "status" in members else "new",
                         "same_name": len(names) == 1, "steps": steps, "records": records})  # fmt: skip
    return sorted(clusters, key=lambda c: -c["probability"])


PAIR_KINDS = {
    "DUP-CUS-003": "household, not a duplicate",
    "DUP-LOC-001": "same location twice",
    "DUP-LOC-002": "one address, several customers",
    "DUP-LOC-003": "with and without a unit",
}


def _review_pairs(result: AuditResult, snapshot: Snapshot, ui_url: str | None) -> list[list[str]]:
    """Household candidates and repeated locations: ``[rule_id, kind, left, left_url, right,
    right_url, evidence]`` each."""
    pairs = result.pairs[result.pairs["rule_id"].isin(list(PAIR_KINDS))]
    homes = pairs["entity"] == "customers"
    ids = set(pairs.loc[homes, "left_id"].astype(int)) | set(
        pairs.loc[homes, "right_id"].astype(int)
    )
    names = {k: v["name"] for k, v in _customers(snapshot, ids).items()}
    rows = []
    for rule, entity, left, right, evidence in zip(pairs["rule_id"], pairs["entity"], pairs["left_id"],
                                                   pairs["right_id"], pairs["evidence"], strict=True):  # fmt: skip
        url = customer_url if entity == "customers" else location_url
        one, other = int(left), int(right)
        if entity == "customers":
            one_label, other_label = (
                f"{names.get(one, '')} #{one}",
                f"{names.get(other, '')} #{other}",
            )
        else:
            one_label, other_label = f"location #{one}", f"location #{other}"
        rows.append([str(rule), PAIR_KINDS[str(rule)], one_label, url(one, ui_url), other_label,
                     url(other, ui_url), _text(evidence)])  # fmt: skip
    return rows


def _finding_url(entity: str, record_id: Any, customer_id: Any, ui_url: str | None) -> str:
    if entity == "locations" and pd.notna(record_id):
        return location_url(int(record_id), ui_url)
    if pd.notna(customer_id):
        return customer_url(int(customer_id), ui_url)
    return ""


def report_context(
    result: AuditResult, snapshot: Snapshot, *, ui_url: str | None = None
) -> ReportContext:
    """The page's context for ``result``, an audit of ``snapshot`` (which supplies the names,
    addresses and contacts shown side by side). ``ui_url`` is the ServiceTitan web app's base
    (default: production)."""
    summary = result.summary
    d, f = summary.get("duplicates", {}), summary.get("findings", {})
    by_severity = f.get("by_severity", {})
    top = max([1, *by_severity.values()])
    severities = [{"name": s, "count": int(by_severity.get(s, 0)),
                   "share": round(100 * by_severity.get(s, 0) / top)} for s in SEVERITIES]  # fmt: skip
    titles = {r.id: r for r in RULES}
    by_rule = f.get("by_rule", {})
    rules = [{"id": rule_id, "title": titles[rule_id].title if rule_id in titles else "Repeated contact",
              "severity": titles[rule_id].severity if rule_id in titles else "low", "count": count}
             for rule_id, count in by_rule.items()]  # fmt: skip
    rules.sort(key=lambda r: (SEVERITIES.index(r["severity"]), -r["count"]))
    found = result.findings
    status = found["status"] if "status" in found else pd.Series("new", index=found.index)
    findings = [[_text(r), _text(s), _text(e), _text(i), _text(m), _text(v), _text(x),
                 _finding_url(e, i, c, ui_url), _text(t)]
                for r, s, e, i, m, v, x, c, t in zip(found["rule_id"], found["severity"], found["entity"],
                                                     found["record_id"], found["message"], found["value"],
                                                     found["fix"], found["customer_id"], status, strict=True)]  # fmt: skip
    counts = [("duplicate customer clusters", int(d.get("customer_clusters", 0))),
              ("customers in them", int(d.get("customer_records", 0))),
              ("household pairs (not duplicates)", int(d.get("household_pairs", 0))),
              ("repeated location pairs", int(sum(d.get("location_pairs", {}).values()))),
              ("findings", int(f.get("total", 0)))]  # fmt: skip
    change = summary.get("change", {})
    if change.get("previous_audit"):
        resolved = change.get("resolved", {})
        counts += [("new since the last audit", int(change.get("new", 0))),
                   ("still open from it", int(change.get("persisting", 0))),
                   ("resolved since (findings and clusters)", int(sum(resolved.values()))),
                   ("customers merged in ServiceTitan since", int(change.get("merged_since", 0)))]  # fmt: skip
    return ReportContext(
        title="titanaudit review", snapshot=str(summary.get("snapshot", "")),
        generated_at=str(summary.get("generated_at", "")), as_of=str(summary.get("as_of", "")),
        counts=counts, severities=severities, rules=rules,
        data={"clusters": _clusters(result, snapshot, ui_url), "findings": findings,
              "pairs": _review_pairs(result, snapshot, ui_url)},
    )  # fmt: skip
