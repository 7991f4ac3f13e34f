"""Helpers for testing scripts against the simulator, offline (used by titanaudit's own tests).

>>> from titanaudit.testing import simulator_config
>>> # with SimulatorServer(state) as server: config = simulator_config(server)
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from titanaudit.config import Config, load_config
from titanaudit.frames import Frames, read_frames
from titanaudit.rules.settings import RuleSettings
from titanaudit.servicetitan.feeds import EXPORT_FEEDS
from titanaudit.simulator.server import SimulatorServer
from titanaudit.simulator.tenant import Tenant
from titanaudit.store import Snapshot, open_snapshot

__all__ = [
    "frames_from_tenant",
    "pair_accuracy",
    "planted_clusters",
    "rule_accuracy",
    "simulator_config",
    "simulator_env",
    "snapshot_from_tenant",
    "tenant_rule_settings",
]


def simulator_env(server: SimulatorServer) -> dict[str, str]:
    """The ``ST_*`` variables that let a client into ``server``'s tenant."""
    state = server.state
    return {
        "ST_CLIENT_ID": state.client_id,
        "ST_CLIENT_SECRET": state.client_secret,
        "ST_APP_KEY": state.app_key,
        "ST_TENANT_ID": str(state.tenant.tenant_id),
    }


def simulator_config(server: SimulatorServer, **fetch: Any) -> Config:
    """A :class:`Config` pointing at ``server``, with fast backoff unless ``fetch`` says otherwise."""
    config = load_config(api_url=server.url, auth_url=server.url, env=simulator_env(server))
    settings = {"backoff_base": 0.02, "backoff_cap": 0.2, **fetch}
    return dataclasses.replace(config, fetch=dataclasses.replace(config.fetch, **settings))


def snapshot_from_tenant(tenant: Tenant, path: Path) -> Snapshot:
    """A snapshot holding ``tenant``'s records, written directly (no HTTP): for tests and
    benchmarks of the stages after the fetch. Booking contacts keep their bookings."""
    snapshot = open_snapshot(path, create=True)
    for feed in EXPORT_FEEDS:
        snapshot.write_page(
            feed.name,
            tenant.feeds[feed.name],
            continue_from=None,
            complete=True,
            owner_field=feed.owner_field,
        )
    for booking, contacts in tenant.contacts_of_booking().items():
        snapshot.replace_children("booking_contacts", booking, contacts)
    snapshot.mark_fetched()
    return snapshot


def frames_from_tenant(tenant: Tenant, path: Path) -> Frames:
    """``tenant``'s records as a snapshot's frames: written to a snapshot at ``path`` (as
    :func:`snapshot_from_tenant`) and read back, so they are exactly what an audit reads."""
    with snapshot_from_tenant(tenant, path) as snapshot:
        return read_frames(snapshot)


def planted_clusters(truth: dict[str, Any]) -> list[list[int]]:
    """The generator's planted duplicate clusters, joined where they share a record: a web
    booking and a typo of one person are planted as two pairs with the original, yet all three
    are one customer."""
    groups: dict[int, set[int]] = {}
    for cluster in truth["duplicate_clusters"]:
        joined = set(cluster["ids"]).union(*(groups.get(i, set()) for i in cluster["ids"]))
        for member in joined:
            groups[member] = joined
    unique = {id(g): g for g in groups.values()}
    return [sorted(g) for g in unique.values()]


def pair_accuracy(
    found: Iterable[Iterable[int]], truth: Iterable[Iterable[int]]
) -> dict[str, float]:
    """Pairwise ``precision``, ``recall`` and ``f1`` of found clusters against true clusters."""

    def pairs(groups: Iterable[Iterable[int]]) -> set[tuple[int, int]]:
        return {(a, b) for g in groups for a, b in itertools.combinations(sorted(set(g)), 2)}

    got, want = pairs(found), pairs(truth)
    hit = len(got & want)
    precision = hit / len(got) if got else 1.0
    recall = hit / len(want) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def tenant_rule_settings(truth: dict[str, Any]) -> RuleSettings:
    """The rule settings an office of the generated tenant would write: its own phones and
    e-mail domains, its office's coordinates."""
    office = truth.get("office") or {}
    return RuleSettings(
        tenant_phones=tuple(truth.get("tenant_phones", ())),
        tenant_email_domains=tuple(truth.get("tenant_domains", ())),
        office_latitude=office.get("latitude"),
        office_longitude=office.get("longitude"),
    )


def _owners(frames: Frames) -> dict[int, int]:
    """Each record's customer: customers themselves, their locations and contacts."""
    owner = {int(i): int(i) for i in frames.customers["id"].dropna()}
    for frame in (frames.locations, frames.contacts):
        known = frame[frame["customer_id"].notna()]
        owner.update(zip(known["id"].astype(int), known["customer_id"].astype(int), strict=True))
    return owner


def rule_accuracy(
    findings: pd.DataFrame, truth: dict[str, Any], frames: Frames, rule_ids: Iterable[str]
) -> pd.DataFrame:
    """Per rule id of ``rule_ids`` planted in a generated tenant's ``truth`` (``frames``: its
    snapshot's, to know whose each record is): ``planted``, ``found``
    (planted records the rule reported), ``false`` (clean records it reported), ``recall`` and
    ``precision``.

    A record counts as clean when nothing was planted on its customer: no problem of any rule,
    no planted duplicate (a duplicate typed in capitals is rightly reported as such), no hard
    negative or placeholder. A damaged record may rightly trip other rules too (a pin moved 125
    miles may land in another state; a customer whose only phone is the office's cannot be
    reached)."""
    problems: dict[str, list[int]] = truth["problems"]
    owner = _owners(frames)
    damaged = {int(i) for ids in problems.values() for i in ids}
    damaged |= {int(i) for c in truth.get("duplicate_clusters", []) for i in c["ids"]}
    damaged |= {int(i) for n in truth.get("hard_negatives", []) for i in n["ids"]}
    damaged |= {int(i) for i in truth.get("placeholders", [])}
    damaged |= {owner[i] for i in list(damaged) if i in owner}
    rows = []
    for rule_id in sorted(set(rule_ids) & set(problems)):
        planted = {int(i) for i in problems[rule_id]}
        hits = findings[findings["rule_id"] == rule_id]
        reported = set(hits["record_id"].dropna().astype(int))
        on_damaged = set(hits.loc[hits["customer_id"].isin(damaged), "record_id"].astype(int))
        found = len(planted & reported)
        false = len(reported - planted - damaged - on_damaged)
        rows.append(
            {
                "rule_id": rule_id,
                "planted": len(planted),
                "found": found,
                "false": false,
                "recall": found / len(planted) if planted else 1.0,
                "precision": found / (found + false) if found + false else 1.0,
            }
        )
    return pd.DataFrame(rows)
