"""What the review page shows, as a documented dataclass built from an audit.

The summary (counts, severities, rules) is rendered into the page; the long lists (duplicate
clusters, findings) travel as JSON inside it and are drawn a page at a time by the page's own
script, so 100,000 findings never become 100,000 table rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from titanaudit.audit_result import AuditResult
from titanaudit.decisions import record_prints
from titanaudit.dedupe.explain import plain_words
from titanaudit.fields import email_frame, phone_frame
from titanaudit.fields.addresses import address_frame
from titanaudit.fields.names import name_frame
from titanaudit.frames import Frames
from titanaudit.rules import RULES, SEVERITIES
from titanaudit.servicetitan.links import customer_url, location_url

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
    draws, kept compact (a 200,000-customer tenant's page is tens of megabytes):
    ``clusters`` (each ``id``, ``probability``, ``status``, ``same_name`` and ``records``: ``id,
    role, name, address, contacts, created, evidence, reason``); ``steps`` (the merge steps, with
    ``{merge}``, ``{keep}`` and ``{keep_name}`` filled in by the page); ``findings`` (``[rule_id,
    severity, entity, record_id, message, value, fix, status, target_entity, target_id]`` each:
    ``message`` indexes ``messages``, each distinct message once; status ``new`` or
    ``persisting`` since the last audit, or ``suppressed`` by a decision; the target is the
    record the finding links to and a reviewer may protect); ``pairs`` (household candidates and
    repeated locations not yet decided: ``[rule_id, kind, left, right, evidence, entity,
    left_id, right_id]`` each); ``links`` (``{entity: URL prefix}``: a record's link is the
    prefix and its id); ``prints`` (``{entity: {id: fingerprint}}`` of the records shown, which
    the page's decisions carry); ``decisions`` (the stored ones: ``[kind, entity, left_id,
    right_id, who, decided_at, note, state]``); ``resolved`` (what the last audit found and this
    one did not: ``[kind, detail]``); ``rows`` (``{kind: [field, ...]}``: :data:`ROWS`, the fields
    of the findings', pairs', decisions' and resolved rows in order, which the script reads by
    name); ``snapshot``. ``trend``: one dict per recorded audit of
    this snapshot, oldest first (``label``, ``clusters``, ``findings``, and ``x``,
    ``y_clusters``, ``y_findings``: the points of the inline chart)."""

    title: str
    snapshot: str
    generated_at: str
    as_of: str
    counts: list[tuple[str, int]]
    severities: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    data: dict[str, Any] = field(default_factory=dict)
    trend: list[dict[str, Any]] = field(default_factory=list)


def _text(value: Any) -> str:
    return (
        ""
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA
        else str(value)
    )


def _customers(frames: Frames, ids: set[int]) -> dict[int, dict[str, Any]]:
    customers = frames.customers[frames.customers["id"].isin(ids)]
    contacts = frames.contacts
    contacts = contacts[contacts["customer_id"].isin(ids) & (contacts["owner_type"] == "customer")]
    reach = contacts.groupby("customer_id")["value"].agg(lambda v: ", ".join(map(str, list(v)[:4])))
    same = _as_compared(customers, contacts)
    out: dict[int, dict[str, Any]] = {}
    rows: list[dict[Any, Any]] = customers.to_dict("records")
    for row in rows:
        parts = (row["street"], row["unit"], row["city"], row["state"], row["zip"])
        created = row["created_on"]
        out[int(row["id"])] = {
            "name": _text(row["name"]),
            "address": " ".join(_text(x) for x in parts if _text(x)),
            "contacts": _text(reach.get(row["id"])),
            "created": created.strftime("%Y-%m-%d") if pd.notna(created) else "",
            "same": same.get(int(row["id"]), {}),
        }
    return out


def _as_compared(customers: pd.DataFrame, contacts: pd.DataFrame) -> dict[int, dict[str, str]]:
    """Each customer's name, address and contacts as the matching reads them (the page marks
    a cell as differing only where these differ): names without case or punctuation, "Last,
    First" turned round, addresses
    parsed (St and Street, a unit in the street line), phones as numbers ((903) 747-1393 is
    9037471393), e-mails in lower case."""
    if customers.empty:
        return {}
    names = name_frame(customers["name"].astype("object"))["name_norm"].fillna("").astype(str)
    names = names.str.replace(r"[^\w]+", " ", regex=True).str.split().str.join(" ")
    places = address_frame(
        customers["street"],
        customers["unit"],
        customers["city"],
        customers["state"],
        customers["zip"],
    )
    parts = places[["house_number", "street_name", "unit", "city", "zip5"]].astype("object")
    text = parts.where(parts.notna(), "").astype(str)
    address = text["house_number"]
    for column in ("street_name", "unit", "city", "zip5"):  # column by column, not row by row
        address = address + "|" + text[column]
    values = contacts["value"].astype("object")
    said = phone_frame(values)["phone"].fillna(email_frame(values)["email"])
    said = said.fillna(values.astype(str).str.strip().str.lower())
    reach = said.groupby(contacts["customer_id"]).agg(lambda v: "|".join(sorted(set(map(str, v)))))
    return {
        int(i): {"name": n, "address": a, "contacts": str(reach.get(i, ""))}
        for i, n, a in zip(customers["id"], names, address, strict=True)
    }


def _clusters(result: AuditResult, frames: Frames) -> list[dict[str, Any]]:
    dups = result.duplicates
    if dups.empty:
        return []
    info = _customers(frames, set(dups["record_id"].astype(int)))
    pairs = result.pairs[
        (result.pairs["entity"] == "customers") & result.pairs["probability"].notna()
    ]
    said = {
        frozenset((int(a), int(b))): _text(e)
        for a, b, e in zip(pairs["left_id"], pairs["right_id"], pairs["evidence"], strict=True)
    }
    plain = {
        frozenset((int(a), int(b))): plain_words(*(-1 if pd.isna(v) else int(v) for v in levels))
        for a, b, *levels in zip(
            pairs["left_id"],
            pairs["right_id"],
            pairs["name"],
            pairs["phone"],
            pairs["email"],
            pairs["address"],
            strict=True,
        )
    }
    groups: dict[Any, list[dict[Any, Any]]] = {}  # in the order clusters first appear
    for row in dups.to_dict("records"):
        if pd.notna(row["cluster_id"]):
            groups.setdefault(row["cluster_id"], []).append(row)
    clusters = []
    for cluster_id, members in groups.items():
        members.sort(key=lambda r: r["role"] != "keep")  # the keeper first, the rest in order
        keep = int(members[0]["record_id"])
        records: list[dict[str, Any]] = []
        for row in members:
            rid = int(row["record_id"])
            who = info.get(
                rid, {"name": "", "address": "", "contacts": "", "created": "", "same": {}}
            )
            records.append(
                {
                    "id": rid,
                    "role": row["role"],
                    **who,
                    "evidence": said.get(frozenset((keep, rid)), "") if rid != keep else "",
                    "plain": plain.get(frozenset((keep, rid)), "") if rid != keep else "",
                    "reason": _text(row["reason"]),
                }
            )
        names = {r["name"].strip().lower() for r in records}
        scores = [r["probability"] for r in members if pd.notna(r["probability"])]
        split = [r["split_from"] for r in members if pd.notna(r.get("split_from"))]
        clusters.append(
            {
                "id": int(cast(Any, cluster_id)),
                "probability": float(max(scores)) if scores else float("nan"),
                "status": str(members[0]["status"]) if "status" in members[0] else "new",
                "same_name": len(names) == 1,
                "records": records,
                "split_from": int(split[0]) if split else None,
            }
        )
    return sorted(clusters, key=lambda c: -c["probability"])


#: the fields of each row kind the page's script draws, in order; rows travel as lists (a
#: 200,000-customer page is tens of megabytes) and both sides read them by these names
ROWS = {
    "findings": ("rule_id", "severity", "entity", "record_id", "message", "value", "fix", "status",
                 "target_entity", "target_id"),
    "pairs": ("rule_id", "kind", "left", "right", "evidence", "entity", "left_id", "right_id"),
    "decisions": ("kind", "entity", "left_id", "right_id", "who", "decided_at", "note", "state"),
    "resolved": ("kind", "detail"),
}  # fmt: skip
FINDING = {name: at for at, name in enumerate(ROWS["findings"])}
PAIR = {name: at for at, name in enumerate(ROWS["pairs"])}

PAIR_KINDS = {
    "DUP-CUS-003": "household, not a duplicate",
    "DUP-LOC-001": "same location twice",
    "DUP-LOC-002": "one address, several customers",
    "DUP-LOC-003": "with and without a unit",
}


def _review_pairs(result: AuditResult, frames: Frames) -> list[list[Any]]:
    """Household candidates and repeated locations no decision took out of review: ``[rule_id,
    kind, left, right, evidence, entity, left_id, right_id]`` each."""
    pairs = result.pairs[result.pairs["rule_id"].isin(list(PAIR_KINDS))]
    if "decision" in pairs:
        pairs = pairs[pairs["decision"].fillna("") == ""]
    homes = pairs["entity"] == "customers"
    ids = set(pairs.loc[homes, "left_id"].astype(int)) | set(
        pairs.loc[homes, "right_id"].astype(int)
    )
    customers = frames.customers[frames.customers["id"].isin(list(ids))]
    names = {int(i): _text(n) for i, n in zip(customers["id"], customers["name"], strict=True)}
    rows = []
    for rule, entity, left, right, evidence in zip(
        pairs["rule_id"],
        pairs["entity"],
        pairs["left_id"],
        pairs["right_id"],
        pairs["evidence"],
        strict=True,
    ):
        one, other = int(left), int(right)
        if entity == "customers":
            one_label, other_label = (
                f"{names.get(one, '')} #{one}",
                f"{names.get(other, '')} #{other}",
            )
        else:
            one_label, other_label = f"location #{one}", f"location #{other}"
        rows.append(
            [
                str(rule),
                PAIR_KINDS[str(rule)],
                one_label,
                other_label,
                _text(evidence),
                str(entity),
                one,
                other,
            ]
        )
    return rows


def report_context(
    result: AuditResult,
    frames: Frames | None = None,
    *,
    history: pd.DataFrame | None = None,
    ui_url: str | None = None,
) -> ReportContext:
    """The page's context for ``result``, an audit of ``frames`` (default: the frames it
    audited), which supply the names, addresses and contacts shown side by side. ``history``:
    the audits recorded before (:meth:`Snapshot.audit_history`), for the summary's chart.
    ``ui_url`` is the ServiceTitan web app's base (default: production)."""
    frames = frames if frames is not None else result.frames
    summary = result.summary
    d, f = summary.get("duplicates", {}), summary.get("findings", {})
    by_severity = f.get("by_severity", {})
    top = max([1, *by_severity.values()])
    severities = [
        {
            "name": s,
            "count": int(by_severity.get(s, 0)),
            "share": round(100 * by_severity.get(s, 0) / top),
        }
        for s in SEVERITIES
    ]
    titles = {r.id: r for r in RULES}
    by_rule = f.get("by_rule", {})
    rules = [
        {
            "id": rule_id,
            "title": titles[rule_id].title if rule_id in titles else "Repeated contact",
            "severity": titles[rule_id].severity if rule_id in titles else "low",
            "count": count,
        }
        for rule_id, count in by_rule.items()
    ]
    rules.sort(key=lambda r: (SEVERITIES.index(r["severity"]), -r["count"]))
    found = result.findings
    status = found["status"] if "status" in found else pd.Series("new", index=found.index)
    messages: dict[str, int] = {}  # each distinct message once in the page
    findings = [
        [
            _text(r),
            _text(s),
            _text(e),
            _text(i),
            messages.setdefault(_text(m), len(messages)),
            _text(v),
            _text(x),
            _text(t),
            *_target(e, i, c),
        ]
        for r, s, e, i, m, v, x, c, t in zip(
            found["rule_id"],
            found["severity"],
            found["entity"],
            found["record_id"],
            found["message"],
            found["value"],
            found["fix"],
            found["customer_id"],
            status,
            strict=True,
        )
    ]
    counts = [
        ("duplicate customer clusters", int(d.get("customer_clusters", 0))),
        ("customers in them", int(d.get("customer_records", 0))),
        ("household pairs (not duplicates)", int(d.get("household_pairs", 0))),
        ("repeated location pairs", int(sum(d.get("location_pairs", {}).values()))),
        ("findings", int(f.get("total", 0))),
    ]
    gone = summary.get("decisions", {}).get("suppressed", {})
    if sum(gone.values()):
        counts += [
            (
                "pairs left apart by reviewers' decisions",
                int(
                    gone.get("duplicate_pairs", 0)
                    + gone.get("household_pairs", 0)
                    + gone.get("location_pairs", 0)
                ),
            ),
            ("findings suppressed by reviewers' decisions", int(gone.get("findings", 0))),
        ]
    reopened = int(summary.get("decisions", {}).get("reopened", 0))
    if reopened:
        counts.append(("decisions reopened (the records changed)", reopened))
    change = summary.get("change", {})
    if change.get("previous_audit"):
        resolved = change.get("resolved", {})
        counts += [
            ("new since the last audit (findings and clusters)", int(change.get("new", 0))),
            ("still open from it (findings and clusters)", int(change.get("persisting", 0))),
            ("resolved since (findings and clusters)", int(sum(resolved.values()))),
            ("customers merged in ServiceTitan since", int(change.get("merged_since", 0))),
        ]
    return ReportContext(
        title="titanaudit review",
        snapshot=str(summary.get("snapshot", "")),
        generated_at=str(summary.get("generated_at", "")),
        as_of=str(summary.get("as_of", "")),
        counts=counts,
        severities=severities,
        rules=rules,
        data=_data(result, frames, ui_url, findings, list(messages)),
        trend=_trend(history, result.summary),
    )


def _target(entity: Any, record_id: Any, customer_id: Any) -> list[Any]:
    """The record a finding links to, and a reviewer may protect: a location for a location's
    finding, else the customer it belongs to; ``["", ""]`` for leads and bookings of none."""
    if entity == "locations" and pd.notna(record_id):
        return ["locations", int(record_id)]
    if pd.notna(customer_id):
        return ["customers", int(customer_id)]
    return ["", ""]


#: the queue's length, what counts as a sure duplicate, and the rules whose high findings send a
#: technician to the wrong place
QUEUE_SHOWN = 25
SURE = 0.99
WRONG_PLACE = ("ADR-", "GEO-")


def _queue(
    result: AuditResult,
    customers: pd.DataFrame,
    clusters: list[dict[str, Any]],
    findings: list[list[Any]],
    messages: list[str],
    who: dict[str, dict[str, list[str]]],
) -> dict[str, Any]:
    """Where to start: sure duplicates with money or work attached (a balance, an open lead or
    booking waiting for one of them), then high findings that send a technician to the wrong
    place, then the other sure duplicates and high findings. ``items`` (the first
    :data:`QUEUE_SHOWN`: ``kind``, ``key``, ``target``, ``rule``, ``text``) and ``total``."""
    dups = result.duplicates[result.duplicates["entity"] == "customers"]
    lowest = dups.groupby("cluster_id")["probability"].min()
    weakest = dict(zip(lowest.index.astype(int), lowest.astype(float), strict=True))
    balance = dict(
        zip(customers["id"].astype(int), customers["balance"].fillna(0).astype(float), strict=True)
    )
    matched = result.lead_matches
    waiting = set(matched["customer_id"].dropna().astype(int)) if len(matched) else set()
    ranked: list[tuple[int, float, dict[str, Any]]] = []
    for c in clusters:
        if weakest.get(int(c["id"]), 0.0) < SURE:
            continue
        ids = [int(r["id"]) for r in c["records"]]
        money = sum(abs(balance.get(i, 0.0)) for i in ids)
        why = [f"balances of ${money:,.2f} between them"] if money else []
        if any(i in waiting for i in ids):
            why.append("an open lead or booking waits for one of them")
        text = (
            f"Merge {len(ids)} records of {c['records'][0]['name']} (#{', #'.join(map(str, ids))})"
        )
        ranked.append(
            (
                0 if why else 2,
                -money,
                {
                    "kind": "cluster",
                    "key": f"cluster:{c['id']}",
                    "target": str(c["id"]),
                    "rule": "",
                    "text": text + (": " + "; ".join(why) if why else ""),
                },
            )
        )
    for values in findings:
        f = dict(zip(ROWS["findings"], values, strict=True))
        if f["severity"] != "high" or f["status"] == "suppressed":
            continue
        name, place = who.get(str(f["target_entity"]), {}).get(str(f["target_id"]), ["", ""])
        about = ", ".join(x for x in (name, place) if x)
        text = f"{messages[f['message']]} ({f['entity'].rstrip('s')} #{f['record_id']}{': ' + about if about else ''})"
        ranked.append(
            (
                1 if str(f["rule_id"]).startswith(WRONG_PLACE) else 3,
                0.0,
                {
                    "kind": "finding",
                    "key": f"finding:{f['rule_id']}:{f['entity']}:{f['record_id']}:{f['value']}",
                    "target": str(f["record_id"]),
                    "rule": str(f["rule_id"]),
                    "text": text,
                },
            )
        )
    ranked.sort(key=lambda r: (r[0], r[1]))
    return {"items": [item for _, _, item in ranked[:QUEUE_SHOWN]], "total": len(ranked)}


def _place(frame: pd.DataFrame) -> pd.Series:
    parts = frame[["street", "unit", "city", "state", "zip"]].astype("object")
    text = parts.where(parts.notna(), "").astype(str)
    joined = text["street"]
    for column in ("unit", "city", "state", "zip"):  # column by column, not row by row
        joined = joined + " " + text[column]
    return joined.str.split().str.join(" ")


def _whose(frames: Frames, findings: list[list[Any]]) -> dict[str, dict[str, list[str]]]:
    """Who and where each finding is about, for the page to name beside the record's number:
    ``customers``: id → [name, address]; ``locations``: id → [name, address]."""
    wanted: dict[str, set[int]] = {"customers": set(), "locations": set()}
    for finding in findings:
        if finding[FINDING["target_entity"]]:
            wanted[finding[FINDING["target_entity"]]].add(int(finding[FINDING["target_id"]]))
    who: dict[str, dict[str, list[str]]] = {}
    for entity, frame in (("customers", frames.customers), ("locations", frames.locations)):
        rows = frame[frame["id"].isin(list(wanted[entity]))]
        names = rows["name"].astype("object").where(rows["name"].notna(), "").astype(str)
        who[entity] = {
            str(int(i)): [n, a] for i, n, a in zip(rows["id"], names, _place(rows), strict=True)
        }
    return who


def _data(
    result: AuditResult,
    frames: Frames,
    ui_url: str | None,
    findings: list[list[Any]],
    messages: list[str],
) -> dict[str, Any]:
    clusters = _clusters(result, frames)
    pairs = _review_pairs(result, frames)
    shown: dict[str, set[int]] = {"customers": set(), "locations": set()}
    for cluster in clusters:
        shown["customers"].update(r["id"] for r in cluster["records"])
    for pair in pairs:
        shown[str(pair[PAIR["entity"]])].update(
            (int(pair[PAIR["left_id"]]), int(pair[PAIR["right_id"]]))
        )
    for finding in findings:
        if finding[FINDING["target_entity"]]:
            shown[finding[FINDING["target_entity"]]].add(finding[FINDING["target_id"]])
    who = _whose(frames, findings)
    prints = {}
    for entity, ids in shown.items():
        mine = record_prints(frames, entity, ids) if ids else pd.Series(dtype=object)
        prints[entity] = {str(k): str(v) for k, v in mine.items()}
    links = {"customers": customer_url(0, ui_url)[:-1], "locations": location_url(0, ui_url)[:-1]}
    return {
        "snapshot": str(result.summary.get("snapshot", "")),
        "links": links,
        "steps": list(MERGE_STEPS),
        "clusters": clusters,
        "findings": findings,
        "messages": messages,
        "pairs": pairs,
        "prints": prints,
        "decisions": _decisions(result),
        "who": who,
        "queue": _queue(result, frames.customers, clusters, findings, messages, who),
        "rows": {kind: list(fields) for kind, fields in ROWS.items()},
        "resolved": [
            [str(k), str(d)]
            for k, d in zip(result.resolved["kind"], result.resolved["detail"], strict=True)
        ][:RESOLVED_SHOWN],
    }


RESOLVED_SHOWN = (
    50_000  # the page lists at most these of what the last audit found and this did not
)

KIND_LABELS = {
    "not_duplicate": "not a duplicate",
    "protected": "protected",
    "keep": "keep this one",
}


def _decisions(result: AuditResult) -> list[list[Any]]:
    table = result.decisions.table
    rows = []
    for row in table.to_dict("records"):
        rows.append(
            [
                KIND_LABELS.get(row["kind"], row["kind"]),
                row["entity"],
                int(row["left_id"]),
                int(row["right_id"]),
                _text(row["who"]),
                _text(row["decided_at"]),
                _text(row["note"]),
                row["state"],
            ]
        )
    return rows


def _trend(history: pd.DataFrame | None, current: dict[str, Any]) -> list[dict[str, Any]]:
    """The points of the summary's chart: duplicate clusters and open findings per audit, the
    past ones recorded (``history``) and ``current`` (this audit's summary) last."""
    runs = (history if history is not None else pd.DataFrame(columns=["run_at", "summary"])).tail(
        23
    )
    points: list[dict[str, Any]] = []
    for run_at, summary in [
        *zip(runs["run_at"], runs["summary"], strict=True),
        (current.get("generated_at", ""), current),
    ]:
        points.append(
            {
                "label": str(run_at)[:16].replace("T", " "),
                "clusters": int(summary.get("duplicates", {}).get("customer_clusters", 0)),
                "findings": int(summary.get("findings", {}).get("total", 0)),
            }
        )
    top = max([1, *(max(p["clusters"], p["findings"]) for p in points)])
    width = 560
    step = width / max(1, len(points) - 1)
    for n, point in enumerate(points):
        point["x"] = round(20 + n * step, 1)
        point["y_clusters"] = round(170 - 150 * point["clusters"] / top, 1)
        point["y_findings"] = round(170 - 150 * point["findings"] / top, 1)
    return points
