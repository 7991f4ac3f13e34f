"""Blocking: which pairs of records are worth comparing at all.

A :class:`BlockingRule` names the columns that must be equal (and known) for two records to be
paired: the same phone, the same e-mail, the same street address, the same surname sound in the
same ZIP, ... :func:`candidate_pairs` unions the pairs of all rules and remembers which rules
produced each pair (a bit per rule), which the explanation shows later.

Records may carry several values (a customer's three phones and two addresses): the input is a
*long* frame with one row per (record, value) and a ``record`` column, so two customers pair when
any of their phones match.

A block bigger than ``max_block`` (an office phone on 400 customers, a "New Homeowner" address)
never goes quadratic: its records are sorted by ``sort_by`` and each is paired with its
``window`` nearest neighbours only (a sorted neighbourhood), so similar names inside a huge block
still meet while the block costs ``window * n`` pairs instead of ``n²/2``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["BlockingRule", "blocking_recall", "candidate_pairs", "random_pairs"]


@dataclass(frozen=True, kw_only=True)
class BlockingRule:
    """Pair records whose ``keys`` columns are all known and all equal."""

    name: str
    keys: tuple[str, ...]
    max_block: int = 100
    window: int = 8
    sort_by: str | None = None
    max_records: int | None = None  # the rule rests on tables of more records than this


def candidate_pairs(
    long: pd.DataFrame,
    rules: Sequence[BlockingRule],
    *,
    blocks_with: Callable[[np.ndarray], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Candidate pairs from ``long`` (a ``record`` column of integer ids plus key columns).

    Returns a frame with ``left < right`` (record ids), one row per pair, and ``rules``: an
    integer whose bit ``i`` is set when ``rules[i]`` produced the pair. With ``blocks_with``
    (which records matter: a mask of an array of ids), only the blocks holding such a record
    make pairs; every pair that touches one is the same as without it, for less work where
    few records are linked against many (a file's rows or the leads against a tenant).
    """
    if len(rules) > 62:
        raise ValueError("at most 62 blocking rules")
    found = [_rule_pairs(long, rule, 1 << i, blocks_with) for i, rule in enumerate(rules)]
    both = pd.concat(found, ignore_index=True) if found else _empty()
    if both.empty:
        return _empty()
    # each rule's pairs are distinct and each rule has its own bit, so the sum is the OR
    merged = both.groupby(["left", "right"], sort=True)["rules"].sum().reset_index()
    return merged.astype({"left": "int64", "right": "int64", "rules": "int64"})


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "left": pd.Series(dtype="int64"),
            "right": pd.Series(dtype="int64"),
            "rules": pd.Series(dtype="int64"),
        }
    )


def _rule_pairs(
    long: pd.DataFrame,
    rule: BlockingRule,
    bit: int,
    blocks_with: Callable[[np.ndarray], np.ndarray] | None = None,
) -> pd.DataFrame:
    if not set(rule.keys) <= set(long.columns):  # the table has no such field: the rule rests
        return _empty()
    if rule.max_records is not None and long["record"].nunique() > rule.max_records:
        return _empty()
    columns = ["record", *rule.keys] + (
        [rule.sort_by] if rule.sort_by and rule.sort_by not in rule.keys else []
    )
    rows = (
        long[columns].dropna(subset=list(rule.keys)).drop_duplicates(subset=["record", *rule.keys])
    )
    if len(rows) < 2:
        return _empty()
    codes, _ = pd.factorize(rows[rule.keys[0]])
    for column in rule.keys[1:]:  # several keys: one integer code for their combination
        more, seen = pd.factorize(rows[column])
        codes, _ = pd.factorize(codes.astype("int64") * len(seen) + more)
    # sort by block, then by the sort column's rank (integers sort far faster than strings)
    ranks = (
        pd.factorize(rows[rule.sort_by].astype(str).fillna(""), sort=True)[0]
        if rule.sort_by
        else np.zeros(len(rows), dtype="int64")
    )
    records = rows["record"].to_numpy(dtype="int64")
    if blocks_with is not None:  # the other blocks dropped; the rest keep their order
        held = np.isin(codes, codes[blocks_with(records)])
        records, codes, ranks = records[held], codes[held], ranks[held]
    order = np.lexsort((ranks, codes))
    records = records[order]
    codes = codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(codes)])
    lefts, rights = [], []
    for size in np.unique(sizes[sizes >= 2]):
        block_starts = starts[sizes == size]
        matrix = records[block_starts[:, None] + np.arange(size)[None, :]]
        if size <= rule.max_block:
            a, b = np.triu_indices(size, k=1)
        else:
            offsets = np.arange(1, min(rule.window, size - 1) + 1)
            a = np.concatenate([np.arange(size - d) for d in offsets])
            b = np.concatenate([np.arange(d, size) for d in offsets])
        lefts.append(matrix[:, a].ravel())
        rights.append(matrix[:, b].ravel())
    if not lefts:
        return _empty()
    left, right = np.concatenate(lefts), np.concatenate(rights)
    keep = left != right
    low, high = np.minimum(left[keep], right[keep]), np.maximum(left[keep], right[keep])
    pairs = pd.DataFrame({"left": low, "right": high}).drop_duplicates()
    pairs["rules"] = np.int64(bit)
    return pairs


def blocking_recall(pairs: pd.DataFrame, truth: pd.DataFrame) -> float:
    """Share of the true pairs (``left``, ``right`` in any order) that blocking kept."""
    if truth.empty:
        return 1.0
    low = np.minimum(truth["left"], truth["right"])
    high = np.maximum(truth["left"], truth["right"])
    wanted = pd.MultiIndex.from_arrays([low, high]).unique()
    kept = pd.MultiIndex.from_frame(pairs[["left", "right"]])
    return float(wanted.isin(kept).mean())


def random_pairs(records: np.ndarray, count: int = 20_000, *, seed: int = 0) -> pd.DataFrame:
    """Up to ``count`` distinct random pairs of distinct records (``left < right``): nearly all
    non-matches, they show how often fields agree by chance (the model's starting ``u``)."""
    unique = np.unique(records)
    if len(unique) < 2:
        return _empty().drop(columns="rules")
    rng = np.random.default_rng(seed)
    a = rng.choice(unique, size=count)
    b = rng.choice(unique, size=count)
    keep = a != b
    pairs = pd.DataFrame(
        {"left": np.minimum(a[keep], b[keep]), "right": np.maximum(a[keep], b[keep])}
    )
    return pairs.drop_duplicates(ignore_index=True)
