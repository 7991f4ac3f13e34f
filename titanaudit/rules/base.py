"""What a rule is, what it sees, and what it returns.

A :class:`Rule` has an id from the catalogue (``GEO-LOC-002``), the record type it checks, a
severity, a title, and a ``check`` function from a :class:`Context` (the snapshot's frames, the
settings, the reference time, and what several rules share, computed once) to a frame of
findings with the columns:

``record_id``  the record the office should open;
``message``    what is wrong and what to do, in the office's words;
``value``      the offending value as stored;
``fix``        optional: the suggested value (the standardised address, the swapped
               coordinates, the ZIP's real state);
``severity``   optional: a per-row severity where the rule grades (far from the ZIP: medium or
               high).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from titanaudit.clock import reference_time
from titanaudit.frames import ENTITIES, Frames
from titanaudit.rules.parsing import name_features, parse_addresses, parse_contacts
from titanaudit.rules.settings import RuleSettings

__all__ = [
    "ENTITIES",
    "FINDING_COLUMNS",
    "SEVERITIES",
    "Context",
    "Frames",
    "MissingColumn",
    "Rule",
    "findings",
    "nothing",
]

SEVERITIES = ("high", "medium", "low", "info")
FINDING_COLUMNS = [
    "rule_id",
    "severity",
    "entity",
    "record_id",
    "message",
    "value",
    "fix",
    "customer_id",
]


#: The contact columns the rules read (the others are left behind before filtering).
CONTACT_COLUMNS = [
    "id",
    "owner_type",
    "owner_id",
    "customer_id",
    "location_id",
    "booking_id",
    "active",
    "type",
    "value",
]


class MissingColumn(Exception):
    """A rule cannot run: the frames lack a column it needs (reported apart from findings)."""


@dataclass(frozen=True)
class Rule:
    """One data-quality check. ``check`` returns the findings frame described above."""

    id: str
    entity: str
    severity: str
    title: str
    check: Callable[[Context], pd.DataFrame] = field(repr=False)
    description: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES or self.entity not in ENTITIES:
            raise ValueError(f"rule {self.id}: severity {self.severity!r}, entity {self.entity!r}")


def findings(
    records: pd.Series | pd.Index | list[int],
    message: str | pd.Series,
    value: Any = None,
    fix: Any = None,
    severity: Any = None,
) -> pd.DataFrame:
    """A findings frame for ``records`` (ids), with one message for all or one per record."""
    ids = pd.Series(records).reset_index(drop=True)
    out = pd.DataFrame({"record_id": ids.astype("Int64")})
    for name, column in (
        ("message", message),
        ("value", value),
        ("fix", fix),
        ("severity", severity),
    ):
        if isinstance(column, pd.Series | pd.Index | list):
            out[name] = pd.Series(column).reset_index(drop=True).astype(object)
        else:
            out[name] = column
    return out


def nothing() -> pd.DataFrame:
    """No findings (a rule with nothing to say, or nothing configured to check)."""
    return findings(pd.Series([], dtype="Int64"), "")


class Context:
    """What the rules see: the frames, the settings, the reference time (``as_of``), and
    shared work computed once on first use (active records, parsed phones and addresses)."""

    def __init__(
        self,
        frames: Frames,
        settings: RuleSettings | None = None,
        as_of: pd.Timestamp | None = None,
        *,
        lead_matches: pd.DataFrame | None = None,
    ) -> None:
        self.frames = frames
        self.settings = settings or RuleSettings()
        self.as_of = reference_time(as_of)  # UTC; the system's now when not given
        #: open leads and bookings matched to customers
        #: (:func:`~titanaudit.dedupe.leads.match_leads`), or None when not given
        self.lead_matches = lead_matches
        self._shared: dict[str, pd.DataFrame] = {}

    def shared(self, name: str, compute: Callable[[Context], pd.DataFrame]) -> pd.DataFrame:
        """``compute(self)``, once per context: work several rules build on (parsed pins,
        distances to the ZIP)."""
        if name not in self._shared:
            self._shared[name] = compute(self)
        return self._shared[name]

    def need(self, entity: str, *columns: str) -> pd.DataFrame:
        """The frame of ``entity``, or :class:`MissingColumn` naming what is absent."""
        frame: pd.DataFrame = getattr(self.frames, entity)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise MissingColumn(f"{entity} has no {', '.join(missing)}")
        return frame

    @functools.cached_property
    def customers(self) -> pd.DataFrame:
        """Active customers not merged away (merged ones are labels, not open records)."""
        return _open(self.need("customers", "id", "name"))

    @functools.cached_property
    def locations(self) -> pd.DataFrame:
        """Active locations not merged away."""
        return _open(self.need("locations", "id", "customer_id"))

    @functools.cached_property
    def contacts(self) -> pd.DataFrame:
        """Active contacts of open customers and locations (booking contacts apart), with the
        parsed phone and e-mail columns (:func:`titanaudit.rules.parsing.parse_contacts`)."""
        frame = self.need("contacts", "id", "type", "value", "owner_type", "customer_id")
        keep = [c for c in CONTACT_COLUMNS if c in frame]
        owners = pd.concat([self.customers["id"], self.locations["customer_id"]]).dropna().unique()
        wanted = (frame["owner_type"] != "booking") & frame["customer_id"].isin(owners)
        if "active" in frame:
            wanted &= frame["active"].fillna(True).astype(bool)
        frame = frame.loc[wanted.to_numpy(dtype=bool), keep]  # one pass over the big frame
        return parse_contacts(frame.reset_index(drop=True), self.settings)

    @functools.cached_property
    def names(self) -> pd.DataFrame:
        """Open customers with the name features of the matching engine's normaliser."""
        return name_features(self.customers)

    @functools.cached_property
    def addresses(self) -> pd.DataFrame:
        """Open locations' addresses parsed and checked against the ZIP index
        (:func:`titanaudit.rules.parsing.parse_addresses`)."""
        return self._places[0]

    @functools.cached_property
    def billing(self) -> pd.DataFrame:
        """Open customers' billing addresses, parsed likewise."""
        return self._places[1]

    @functools.cached_property
    def _places(self) -> list[pd.DataFrame]:
        return parse_addresses(self.locations, self.customers)


def _open(frame: pd.DataFrame) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if "active" in frame:
        keep &= frame["active"].fillna(True).astype(bool)
    if "merged_to_id" in frame:
        keep &= frame["merged_to_id"].isna()
    return frame[keep].reset_index(drop=True)
