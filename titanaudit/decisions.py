"""Reviewers' decisions: "not a duplicate", "protected", "keep this one".

A reviewer marks them in the review page, which exports them as a JSON file; ``titanaudit
decisions import FILE`` stores them in the snapshot and later audits apply them:

- ``not_duplicate`` (a pair of customers or locations): the two are never clustered together
  (the pair vetoes any cluster holding both) and the pair leaves the review lists;
- ``protected`` (one customer or location, such as a placeholder "Cash Sale" customer): it is
  never clustered, and its findings (for a customer: its locations' and contacts' too) are
  suppressed;
- ``keep`` (one customer): kept whenever it is in a cluster, whatever the keeper rules say.

Each decision carries a fingerprint of the values the reviewer saw (name, address, phones and
e-mails of each record). When the records change, the fingerprint no longer matches: the
decision is *reopened* (not applied, listed for another look). Suppressed items are counted in
the audit's summary and keep their rows in ``findings.csv`` (status ``suppressed``) and
``pairs.csv`` (column ``decision``); nothing is hidden silently.

The file (``FORMAT``)::

    {"format": "titanaudit-decisions", "version": 1, "decisions": [
      {"kind": "not_duplicate", "entity": "customers", "left_id": 11, "right_id": 42,
       "fingerprint": "…", "who": "Dana", "decided_at": "2026-11-02T10:00:00Z", "note": ""},
      {"kind": "protected", "entity": "customers", "record_id": 7, "fingerprint": "…", …}]}
"""

from __future__ import annotations

import getpass
import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from titanaudit.errors import ConfigError
from titanaudit.frames import Frames
from titanaudit.privacy import write_whole
from titanaudit.store import DECISION_COLUMNS, Snapshot

__all__ = [
    "FORMAT",
    "KINDS",
    "AppliedDecisions",
    "apply_decisions",
    "decision_key",
    "decision_rows",
    "export_decisions",
    "import_decisions",
    "read_decisions",
    "record_prints",
]

FORMAT = "titanaudit-decisions"
#: kind → (entities it applies to, whether it names a pair)
KINDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "not_duplicate": (("customers", "locations"), True),
    "protected": (("customers", "locations"), False),
    "keep": (("customers",), False),
}
_PRINT = re.compile(r"^[0-9a-f]{16}(\.[0-9a-f]{16})?$")


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("").str.strip().str.lower()


def _digest(values: pd.Series) -> pd.Series:
    return pd.Series(
        [hashlib.sha1(v.encode(), usedforsecurity=False).hexdigest()[:16] for v in values],
        index=values.index,
        dtype=object,
    )


def record_prints(frames: Frames, entity: str, ids: Collection[int] | None = None) -> pd.Series:
    """A fingerprint of each record's compared values (of the records ``ids`` names, or of
    every one), indexed by id: name and address (and, for a customer, its own phones and
    e-mails). It changes when any of them is edited."""
    wanted = None if ids is None else list(ids)
    if entity == "customers":
        records, contacts = frames.customers, frames.contacts
        own = contacts[contacts["owner_type"] == "customer"]
        if wanted is not None:
            records = records[records["id"].isin(wanted)]
            own = own[own["owner_id"].isin(wanted)]
        reach = (
            _text(own["value"]).groupby(own["owner_id"]).agg(lambda v: ",".join(sorted(v)))
            if len(own)
            else pd.Series(dtype=object)
        )
        extra = records["id"].map(reach).fillna("")
    elif entity == "locations":
        records = frames.locations
        if wanted is not None:
            records = records[records["id"].isin(wanted)]
        extra = records["customer_id"].astype("string").fillna("")
    else:
        raise ValueError(f"no fingerprints for {entity}")
    joined = _text(records["name"])
    for column in ("street", "unit", "city", "state", "zip"):
        joined = joined + "|" + _text(records[column])
    joined = joined + "|" + extra.astype(str)
    return pd.Series(_digest(joined).to_numpy(), index=records["id"].astype("int64"), dtype=object)


def pair_print(prints: pd.Series, left: int, right: int) -> str:
    """The fingerprint of a pair: both records' prints, the lower id first."""
    a, b = sorted((left, right))
    return f"{prints.get(a, '')}.{prints.get(b, '')}"


def _field(item: dict[str, Any], key: str, where: str) -> int:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{where}: {key} must be a record id (a whole number)")
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{where}: {key} must be a record id (a whole number)") from None
    if number <= 0:
        raise ConfigError(f"{where}: {key} must be a record id (a whole number)")
    return number


def decision_key(item: Any, where: str) -> tuple[str, str, int, int]:
    """What a decision is about, checked: ``kind, entity, left_id, right_id`` (the store's key;
    ``right_id`` 0 for one record)."""
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected an object with kind, entity and record ids")
    kind, entity = item.get("kind"), item.get("entity")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    entities, is_pair = KINDS[kind]
    if entity not in entities:
        raise ConfigError(
            f"{where}: a {kind} decision is about {' or '.join(entities)}, not {entity!r}"
        )
    if is_pair:
        left, right = sorted((_field(item, "left_id", where), _field(item, "right_id", where)))
        if left == right:
            raise ConfigError(f"{where}: left_id and right_id are the same record")
    else:
        left, right = _field(item, "record_id", where), 0
    return str(kind), str(entity), left, right


def _decision(item: Any, where: str, who: str | None, now: str) -> dict[str, Any]:
    kind, entity, left, right = decision_key(item, where)
    fingerprint = item.get("fingerprint")
    if not isinstance(fingerprint, str) or not _PRINT.match(fingerprint):
        raise ConfigError(
            f"{where}: fingerprint is missing or malformed: export the decision "
            "from the review page or `titanaudit decisions export`"
        )
    decided = item.get("decided_at") or now
    try:
        when = pd.Timestamp(decided)
    except (ValueError, TypeError):
        raise ConfigError(f"{where}: decided_at {decided!r} is not a time") from None
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    person = str(item.get("who") or who or getpass.getuser()).strip()[:200]
    return {
        "kind": kind,
        "entity": entity,
        "left_id": left,
        "right_id": right,
        "fingerprint": fingerprint,
        "who": person,
        "decided_at": when.isoformat(timespec="seconds"),
        "note": str(item.get("note") or "")[:2000],
        "imported_at": now,
    }


def read_decisions(path: Path, *, who: str | None = None) -> pd.DataFrame:
    """The decisions of a file written by the review page or :func:`export_decisions`, checked
    one by one (a ``ConfigError`` names the file, the decision and the field). ``who`` fills in
    a decision that names no reviewer (default: the user running this)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not a decisions file: line {exc.lineno}: {exc.msg}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ConfigError(
            f"{path}: not a decisions file (export one from the review page's "
            "'Export decisions' button)"
        )
    items = document.get("decisions")
    if not isinstance(items, list):
        raise ConfigError(f"{path}: 'decisions' must be a list")
    return decision_rows(items, str(path), who=who)


def decision_rows(items: list[Any], where: str, *, who: str | None = None) -> pd.DataFrame:
    """Decisions as the page writes them (see the module docstring), checked one by one into
    the store's rows (a ``ConfigError`` names ``where``, the decision and the field)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rows = [_decision(item, f"{where}: decision {n}", who, now) for n, item in enumerate(items, 1)]
    return pd.DataFrame(rows, columns=DECISION_COLUMNS)


def import_decisions(snapshot: Snapshot, path: Path, *, who: str | None = None) -> pd.DataFrame:
    """Read a decisions file and store it in the snapshot; returns what was stored."""
    decisions = read_decisions(path, who=who)
    snapshot.save_decisions(decisions)
    return decisions


def export_decisions(snapshot: Snapshot, path: Path | None = None) -> dict[str, Any]:
    """The snapshot's decisions as the document the review page writes (and ``import`` reads);
    written to ``path`` (owner-only, whole) when given."""
    stored = snapshot.decisions()
    items = []
    for row in stored.to_dict("records"):
        item: dict[str, Any] = {"kind": row["kind"], "entity": row["entity"]}
        if KINDS.get(row["kind"], ((), False))[1]:
            item |= {"left_id": int(row["left_id"]), "right_id": int(row["right_id"])}
        else:
            item["record_id"] = int(row["left_id"])
        item |= {k: row[k] for k in ("fingerprint", "who", "decided_at", "note")}
        items.append(item)
    document = {
        "format": FORMAT,
        "version": 1,
        "snapshot": snapshot.path.name,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "decisions": items,
    }
    if path is not None:
        write_whole(path, lambda handle: json.dump(document, handle, indent=2))
    return document


@dataclass
class AppliedDecisions:
    """The snapshot's decisions judged against its current records. ``table``: the decisions
    with ``state`` (``applied``; ``reopened``: the records changed since; ``gone``: a record is
    no longer in the snapshot). The sets hold the applied ones."""

    table: pd.DataFrame
    apart: dict[str, set[tuple[int, int]]]  # entity → pairs (lower id first) not to link
    protected: dict[str, set[int]]  # entity → record ids
    keep: set[int]  # customers to keep

    @classmethod
    def none(cls) -> AppliedDecisions:
        table = pd.DataFrame(columns=[*DECISION_COLUMNS, "state"])
        return cls(
            table,
            {"customers": set(), "locations": set()},
            {"customers": set(), "locations": set()},
            set(),
        )

    def pair_decision(self, entity: str, left: pd.Series, right: pd.Series) -> np.ndarray:
        """For pairs of ``entity`` records: ``not_duplicate``, ``protected`` or ``""``."""
        a = np.minimum(left.to_numpy(dtype="int64"), right.to_numpy(dtype="int64"))
        b = np.maximum(left.to_numpy(dtype="int64"), right.to_numpy(dtype="int64"))
        apart = self.apart.get(entity, set())
        decided = (
            np.array(
                [(x, y) in apart for x, y in zip(a.tolist(), b.tolist(), strict=True)], dtype=bool
            )
            if apart
            else np.zeros(len(a), dtype=bool)
        )
        guarded = list(self.protected.get(entity, set()))
        shielded = np.isin(a, guarded) | np.isin(b, guarded)
        return np.where(decided, "not_duplicate", np.where(shielded, "protected", ""))

    def counts(self) -> dict[str, int]:
        states = self.table["state"].value_counts() if len(self.table) else pd.Series(dtype=int)
        return {s: int(states.get(s, 0)) for s in ("applied", "reopened", "gone")}


def apply_decisions(stored: pd.DataFrame, frames: Frames) -> AppliedDecisions:
    """Judge decisions (:meth:`Snapshot.decisions`) against the records of ``frames`` (see
    :class:`AppliedDecisions`)."""
    if stored.empty:
        return AppliedDecisions.none()
    applied = AppliedDecisions.none()
    states = []
    named: dict[str, set[int]] = {}  # the records each entity's decisions name
    for entity, left, right in zip(
        stored["entity"], stored["left_id"], stored["right_id"], strict=True
    ):
        named.setdefault(str(entity), set()).update((int(left), int(right)))
    prints = {e: record_prints(frames, e, ids) for e, ids in named.items()}
    rows: list[dict[Any, Any]] = stored.to_dict("records")
    for row in rows:
        entity, kind = str(row["entity"]), str(row["kind"])
        mine = prints[entity]
        left, right = int(row["left_id"]), int(row["right_id"])
        ids = (left, right) if right else (left,)
        if not all(i in mine.index for i in ids):
            states.append("gone")
            continue
        now = pair_print(mine, left, right) if right else str(mine[left])
        if now != row["fingerprint"]:
            states.append("reopened")
            continue
        states.append("applied")
        if kind == "not_duplicate":
            applied.apart[entity].add((left, right))
        elif kind == "protected":
            applied.protected[entity].add(left)
        else:
            applied.keep.add(left)
    applied.table = stored.assign(state=states)
    return applied


def suppressed_findings(findings: pd.DataFrame, applied: AppliedDecisions) -> np.ndarray:
    """Which findings a protected record suppresses: a protected customer's own findings and
    its locations' and contacts'; a protected location's."""
    customers = list(applied.protected["customers"])
    locations = list(applied.protected["locations"])
    if not customers and not locations:
        return np.zeros(len(findings), dtype=bool)
    by_customer = pd.to_numeric(findings["customer_id"], errors="coerce").isin(customers)
    record = pd.to_numeric(findings["record_id"], errors="coerce")
    own = (findings["entity"] == "customers") & record.isin(customers)
    place = (findings["entity"] == "locations") & record.isin(locations)
    return (by_customer | own | place).to_numpy(dtype=bool)
