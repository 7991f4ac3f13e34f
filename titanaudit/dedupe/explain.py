"""Explanation: why a pair scored as it did, field by field, as data and as one line of text.

The per-field weights of :func:`titanaudit.dedupe.model.score` add up (with the prior) to the
pair's match weight; :func:`explain_pairs` turns them into a reviewer's sentence, strongest
evidence first: "shared phone +6.0, related names +6.5, different addresses -3.5".
"""

from __future__ import annotations

import pandas as pd

from titanaudit.dedupe.compare import FIELDS

__all__ = ["LEVEL_LABELS", "explain_pairs"]

LEVEL_LABELS: dict[str, dict[int, str]] = {
    "name": {4: "same name", 3: "related names", 2: "names a typo apart",
             1: "different given names, same surname", 0: "different names", -1: "name missing"},
    "phone": {2: "shared phone", 0: "different phones", -1: "no phone to compare"},
    "email": {2: "shared e-mail", 0: "different e-mails", -1: "no e-mail to compare"},
    "address": {3: "same address", 2: "same street address, unit differs", 1: "same house, street spelt differently",
                0: "different addresses", -1: "no address to compare"},
}  # fmt: skip


def _phrase(field: str, level: int, weight: float, frequency: int) -> str | None:
    if level == -1 or abs(weight) < 0.05:
        return None
    label = LEVEL_LABELS[field][level]
    if frequency > 2 and level == 2:
        label += f" (held by {frequency} customers)"
    return f"{label} {weight:+.1f}"


def explain_pairs(scored: pd.DataFrame) -> pd.Series:
    """One line per pair: the fields that spoke, strongest first, with their weights."""
    lines = []
    for row in scored.itertuples(index=False):
        parts = []
        for field in FIELDS:
            level, weight = int(getattr(row, field)), float(getattr(row, f"w_{field}"))
            phrase = _phrase(field, level, weight, int(getattr(row, f"{field}_freq", 0) or 0))
            if phrase:
                parts.append((abs(weight), phrase))
        lines.append(
            ", ".join(p for _, p in sorted(parts, reverse=True)) or "no evidence either way"
        )
    return pd.Series(lines, index=scored.index, name="evidence")
