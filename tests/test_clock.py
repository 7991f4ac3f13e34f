"""Time in one place: what a user writes for --as-of is read once, always as UTC, and without
it the rules and the audit's stamp share the clock's one moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

from titanaudit.clock import parse_as_of, reference_time
from titanaudit.errors import ConfigError
from titanaudit.frames import Frames
from titanaudit.rules import RULES, Context, check_rules
from titanaudit.rules.base import FINDING_COLUMNS

LATER = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("2026-11-01", "2026-11-01T00:00:00Z"),
        ("2026-11-01T08:00:00", "2026-11-01T08:00:00Z"),
        ("2026-11-01T08:00:00-05:00", "2026-11-01T13:00:00Z"),
        ("2026-11-01T08:00:00Z", "2026-11-01T08:00:00Z"),
    ],
)
def test_a_written_time_is_read_as_utc(written: str, meant: str) -> None:
    when = parse_as_of(written)
    assert when == pd.Timestamp(meant)
    assert str(when.tzinfo) == "UTC"
    assert reference_time(written) == when


@pytest.mark.parametrize("written", ["someday", "2026-13-01", ""])
def test_what_is_not_a_time_is_refused_naming_the_option(written: str) -> None:
    with pytest.raises(ConfigError, match=r"--as-of .* is not a date or time"):
        parse_as_of(written)


def test_without_a_reference_time_the_clock_tells_it() -> None:
    assert reference_time(None, lambda: LATER) == pd.Timestamp(LATER)
    eastern = datetime(2026, 11, 1, 8, tzinfo=timezone(timedelta(hours=-5)))
    assert reference_time(eastern) == pd.Timestamp("2026-11-01T13:00:00Z")
    assert str(reference_time(eastern).tzinfo) == "UTC"


def _frames_with_a_stale_lead(created: str) -> Frames:
    empty = {name: pd.DataFrame() for name in Frames.__dataclass_fields__}
    lead = pd.DataFrame(
        {
            "id": pd.array([1], dtype="Int64"),
            "customer_id": pd.array([None], dtype="Int64"),
            "status": ["Open"],
            "created_on": pd.to_datetime([created], utc=True),
            "follow_up_date": pd.to_datetime([None], utc=True),
            "active": [True],
        }
    )
    return Frames(**(empty | {"leads": lead}))


def test_the_rules_judge_in_utc_as_of_the_time_given_or_the_clocks_now() -> None:
    frames = _frames_with_a_stale_lead("2026-10-01T00:00:00Z")
    stale = [rule for rule in RULES if rule.id == "LIF-LEAD-001"]
    assert Context(frames, as_of=pd.Timestamp("2026-11-01T08:00-05:00")).as_of == pd.Timestamp(
        "2026-11-01T13:00Z"
    )
    early = check_rules(frames, as_of="2026-10-15", rules=stale).findings
    late = check_rules(frames, as_of="2026-11-15T08:00:00-05:00", rules=stale).findings
    clocked = check_rules(frames, rules=stale, clock=lambda: LATER).findings
    assert list(late.columns)[: len(FINDING_COLUMNS)] == FINDING_COLUMNS
    assert early.empty and len(late) == 1 and len(clocked) == 1
    assert "Open for 45 days" in late["message"].iloc[0]  # 2026-10-01 to 11-15 13:00 UTC
    assert "Open for 1678 days" in clocked["message"].iloc[0]  # to 2031-05-06
