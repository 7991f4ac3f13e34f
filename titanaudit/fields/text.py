"""Text columns: as Arrow text for Arrow's kernels, and parsed once per distinct value."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["arrow_text", "ascii_fold", "missing_where", "per_distinct"]


def arrow_text(values: pd.Series) -> pa.Array:
    """A column as Arrow text for Arrow's string kernels: zero-copy when pandas already holds it
    in Arrow; numbers written out (a ZIP stored as 80301); missing values null."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        held = pa.array(values.array)
        flat = held.combine_chunks() if isinstance(held, pa.ChunkedArray) else held
        return flat.cast(pa.string())
    text = values.astype("string")
    return pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())  # type: ignore[call-overload]


def per_distinct(
    values: pd.Series, parse: Callable[[Any], dict[str, Any]], columns: list[str]
) -> pd.DataFrame:
    """``parse`` applied once per distinct value of ``values`` (a missing value once too), the
    results spread back over ``values``' index as the ``columns``."""
    codes, distinct = pd.factorize(values.astype("object").to_numpy(), use_na_sentinel=True)
    # a missing value is parsed once too, as the last row: code -1 picks it
    missing = [parse(None)] if (codes < 0).any() else []
    parsed = pd.DataFrame.from_records([*(parse(v) for v in distinct), *missing], columns=columns)
    frame: pd.DataFrame = parsed.iloc[codes].reset_index(drop=True)
    frame.index = values.index
    return frame


def missing_where(mask: np.ndarray, values: Any) -> np.ndarray:
    """``values`` as an object array, None where ``mask`` holds."""
    out = np.array(values, dtype=object)
    out[mask] = None
    return out


def ascii_fold(text: str) -> str:
    """``text`` with its accents dropped (José: Jose), what is not Latin left out."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
