"""Explanation: why a pair scored as it did, field by field, as data and as one line of text.

The per-field weights of :func:`titanaudit.dedupe.model.score` add up (with the prior) to the
pair's match weight; :func:`explain_pairs` turns them into a reviewer's sentence, strongest
evidence first: "shared phone +6.0, related names +6.5, different addresses -3.5".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from titanaudit.dedupe.compare import FIELDS
from titanaudit.dedupe.comparisons import ADDRESS, COMPARISONS, EMAIL, MISSING, NAME, PHONE

BY_FIELD = {c.field: c for c in COMPARISONS}

__all__ = ["LEVEL_LABELS", "explain", "explain_pairs", "plain_words"]

#: each field's evidence label per level (:mod:`~titanaudit.dedupe.comparisons`)
LEVEL_LABELS: dict[str, dict[int, str]] = {c.field: c.labels() for c in COMPARISONS}

#: what a person says of a name or an address level, agreeing (True) or not
PLAIN: dict[str, dict[int, tuple[str, bool]]] = {
    c.field: {level.code: (level.plain, level.agrees) for level in c.levels if level.plain}
    for c in (NAME, ADDRESS)
}


def plain_words(name: int, phone: int, email: int, address: int) -> str:
    """A pair's comparison levels as a person says them, agreement first: "Same phone and
    e-mail, same address, names differ only by a typo"; "..., but different phones"."""
    agree: list[str] = []
    differ: list[str] = []
    shared = [
        word
        for word, level, c in (("phone", phone, PHONE), ("e-mail", email, EMAIL))
        if level == c["shared"]
    ]
    if shared:
        agree.append("same " + " and ".join(shared))
    if email == EMAIL["near"]:
        agree.append("nearly the same e-mail")
    apart = [
        word
        for word, level, c in (("phones", phone, PHONE), ("e-mails", email, EMAIL))
        if level == c["different"]
    ]
    if apart:
        differ.append("different " + " and ".join(apart))
    for field, level in (("address", address), ("name", name)):
        said = PLAIN[field].get(int(level))
        if said:
            (agree if said[1] else differ).append(said[0])
    text = ", ".join(agree)
    if differ:
        text = f"{text}, but {', '.join(differ)}" if text else ", ".join(differ)
    return text[:1].upper() + text[1:] if text else "Nothing to compare"


def _phrases(scored: pd.DataFrame, field: str) -> np.ndarray:
    """Each pair's phrase for ``field`` ("shared phone (held by 3 customers) +4.2"), or ""."""
    levels = scored[field].to_numpy()
    weights = scored[f"w_{field}"].to_numpy(dtype="float64")
    top = max(LEVEL_LABELS[field])
    labels = np.array(
        [LEVEL_LABELS[field].get(lv, "") for lv in range(MISSING, top + 1)], dtype=object
    )
    text = labels[np.clip(levels, MISSING, top) - MISSING]
    frequency = scored.get(f"{field}_freq")
    if frequency is not None:
        k = frequency.fillna(0).to_numpy(dtype="int64")
        held = (levels == BY_FIELD[field]["shared"]) & (k > 2)
        if held.any():
            text = text.copy()
            text[held] = [
                f"{t} (held by {n} customers)" for t, n in zip(text[held], k[held], strict=True)
            ]
    # weights take few distinct values: format each once
    values, where = np.unique(np.round(weights, 1), return_inverse=True)
    signed = np.array([f"{v:+.1f}" for v in values], dtype=object)[where]
    speaks = (levels != MISSING) & (np.abs(weights) >= 0.05)
    return np.where(speaks, text + " " + signed, "")


def explain_pairs(scored: pd.DataFrame) -> pd.Series:
    """One line per pair: the fields that spoke, strongest first, with their weights."""
    if scored.empty:
        return pd.Series([], index=scored.index, name="evidence", dtype="object")
    phrases = np.column_stack([_phrases(scored, f) for f in FIELDS])
    strength = np.column_stack([np.abs(scored[f"w_{f}"].to_numpy(dtype="float64")) for f in FIELDS])
    order = np.argsort(-strength, axis=1, kind="stable")
    ranked = np.take_along_axis(phrases, order, axis=1)
    lines = pd.Series(ranked[:, 0], index=scored.index, dtype="object")
    for column in range(1, ranked.shape[1]):
        nxt = pd.Series(ranked[:, column], index=scored.index, dtype="object")
        lines = lines.where(nxt == "", np.where(lines == "", nxt, lines + ", " + nxt))
    return lines.where(lines != "", "no evidence either way").rename("evidence")


def explain(result: Any, left_id: int, right_id: int) -> pd.DataFrame:
    """Why two records of a :class:`~titanaudit.dedupe.engine.DedupeResult` (or an audit's
    ``result.engine``) scored as they did: one row per field (``field, level, meaning,
    weight``) and a row for the prior, the weights adding up to the pair's match weight; the
    frame's ``attrs`` hold ``probability`` and ``match_weight``."""
    from titanaudit.errors import ConfigError

    pairs, model = result.pairs, result.model
    a, b = sorted((left_id, right_id))
    mine = pairs[
        ((pairs["left_id"] == a) & (pairs["right_id"] == b))
        | ((pairs["left_id"] == b) & (pairs["right_id"] == a))
    ]
    if mine.empty or model is None:
        raise ConfigError(
            f"{left_id} and {right_id} were never compared: no blocking rule put "
            "them side by side (they share no phone, e-mail, address or name key)"
        )
    pair = mine.iloc[0]
    weights = model.weights()
    rows: list[dict[str, Any]] = []
    for field in FIELDS:
        level = int(pair[field])
        weight = (
            float(pair[f"w_{field}"])
            if f"w_{field}" in pair
            else (0.0 if level == MISSING else weights[field].get(level, 0.0))
        )
        rows.append(
            {
                "field": field,
                "level": level,
                "meaning": LEVEL_LABELS[field].get(level, ""),
                "weight": round(weight, 2),
            }
        )
    prior = float(np.log2(model.prior / (1 - model.prior)))
    rows.append(
        {
            "field": "prior",
            "level": -1,
            "meaning": "how often two compared records match",
            "weight": round(prior, 2),
        }
    )
    held = float(pair["match_weight"]) - sum(float(r["weight"]) for r in rows)
    if held < -0.05:  # a guard held the pair below even odds: a household, or only a hub between
        rows.append(
            {
                "field": "guard",
                "level": -1,
                "meaning": "held below even odds: two people of one household, or joined only through a hub",
                "weight": round(held, 2),
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs = {
        "probability": float(pair["probability"]),
        "match_weight": float(pair["match_weight"]),
    }
    return frame
