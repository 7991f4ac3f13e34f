"""Time, in one place: the moment a run happens and the reference time it judges against.

Two times matter to an audit and they are kept apart:

- **now**, the moment the run happens, read once from a clock (``Callable[[], datetime]``) a
  caller can replace; it stamps ``generated_at`` in ``audit.json`` and the snapshot's history;
- **as_of**, the reference time of the rules that depend on time (a lead is stale 30 days
  after it was created *as of* this moment). It defaults to *now*, so without ``--as-of`` the
  rules and ``audit.json`` see one and the same moment.

Both are UTC. :func:`reference_time` reads what a user wrote once, for the command line, the Python API
and the store alike.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd

from titanaudit.errors import ConfigError

__all__ = ["Clock", "parse_as_of", "reference_time", "utc_now"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The system's clock, in UTC: the default :data:`Clock`."""
    return datetime.now(UTC)


def parse_as_of(value: str, *, option: str = "--as-of") -> pd.Timestamp:
    """A date or time a user wrote, as a UTC timestamp (a time without a zone is UTC); a
    :class:`~titanaudit.errors.ConfigError` naming ``option`` when it is not one."""
    try:
        when = pd.Timestamp(value)
    except ValueError:
        raise ConfigError(
            f"{option} {value!r} is not a date or time; write e.g. 2026-11-01 or "
            "2026-11-01T08:00:00Z"
        ) from None
    if pd.isna(when):
        raise ConfigError(f"{option} {value!r} is not a date or time; write e.g. 2026-11-01")
    return _utc(when)


def reference_time(
    value: pd.Timestamp | datetime | str | None, clock: Clock | None = None
) -> pd.Timestamp:
    """The reference time ``value`` names, in UTC; the ``clock``'s now (default: the system's)
    when it is None."""
    if value is None:
        return _utc(pd.Timestamp((clock or utc_now)()))
    if isinstance(value, str):
        return parse_as_of(value, option="as_of")
    return _utc(pd.Timestamp(value))


def _utc(when: pd.Timestamp) -> pd.Timestamp:
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
