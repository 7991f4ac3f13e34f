"""Block → compare → estimate → score, once: the pipeline every matcher calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from titanaudit.dedupe.entities import customer_values
from titanaudit.dedupe.pipeline import clear_against, score_candidates
from titanaudit.simulator import Tenant
from titanaudit.testing import frames_from_tenant


def test_the_pipeline_scores_what_it_keeps_and_judges_any_pair_alike(
    base_tenant: Tenant, tmp_path: Path
) -> None:
    frames = frames_from_tenant(base_tenant, tmp_path / "t.sqlite")
    long = customer_values(frames.customers, frames.locations, frames.contacts)
    seen: list[str] = []
    every = score_candidates(long, progress=seen.append)
    assert seen[0].startswith("blocking") and "fitting the model" in seen
    assert every.model is not None and len(every.pairs) > 0
    assert every.pairs["probability"].between(0, 1).all()

    some = score_candidates(long, keep=lambda p: p["left"] % 2 == 0, model=every.model)
    assert some.model is every.model, "a model given is used, not fitted again"
    assert (some.pairs["left"] % 2 == 0).all() and len(some.pairs) < len(every.pairs)
    merged = some.pairs.merge(every.pairs, on=["left", "right"], suffixes=("", "_all"))
    assert len(merged) == len(some.pairs)
    assert np.allclose(merged["probability"], merged["probability_all"])

    left, right = every.pairs["left"].to_numpy(), every.pairs["right"].to_numpy()
    assert (every.judge(left, right) == clear_against(every.pairs)).all()
