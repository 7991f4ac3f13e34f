"""The two ways a snapshot's frames are read give the same frames: Arrow's JSON reader over the
records' bodies (the fast way) and SQLite's ``json_extract`` (the way for bodies Arrow refuses).

The SQL way is forced by making :meth:`Snapshot.arrow_query` find nothing to read, which is what
it does when its driver cannot read a column.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from titanaudit.frames import ENTITIES, Frames, read_frames
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.store import Snapshot, open_snapshot
from titanaudit.testing import snapshot_from_tenant


def _both_ways(snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch) -> tuple[Frames, Frames]:
    fast = read_frames(snapshot)
    with monkeypatch.context() as patch:
        patch.setattr(Snapshot, "arrow_query", lambda self, sql, **_: None)
        slow = read_frames(snapshot)
    return fast, slow


def _assert_same(fast: Frames, slow: Frames) -> None:
    for name in ENTITIES:
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name), check_exact=True)


@pytest.fixture
def sql_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries that took fields from bodies in SQL."""
    seen: list[str] = []
    query = Snapshot.query

    def spy(self: Snapshot, sql: str, params: Any = ()) -> pd.DataFrame:
        if "json_extract" in sql:
            seen.append(sql)
        return query(self, sql, params)

    monkeypatch.setattr(Snapshot, "query", spy)
    return seen


def test_a_generated_tenant_reads_the_same_both_ways_and_arrow_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql_reads: list[str]
) -> None:
    tenant = generate_tenant(TenantSpec(customers=400, seed=5))
    with snapshot_from_tenant(tenant, tmp_path / "s.sqlite") as snapshot:
        fast = read_frames(snapshot)
        assert sql_reads == []  # every feed has records, and Arrow read all of them
        _, slow = _both_ways(snapshot, monkeypatch)
    _assert_same(fast, slow)
    assert all(len(getattr(fast, name)) for name in ENTITIES)
    assert str(fast.customers["modified_on"].dtype) == "datetime64[ns, UTC]"
    assert set(fast.contacts["owner_type"]) == {"customer", "location", "booking"}


def _snapshot_with(path: Path, feed: str, bodies: list[str], owner: int | None = None) -> None:
    """A snapshot whose ``feed`` holds ``bodies`` as they are (not as the store writes them)."""
    open_snapshot(path, create=True).close()
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO records VALUES (?, ?, ?, 0, ?)",
            [(feed, i + 1, owner, body) for i, body in enumerate(bodies)],
        )
    db.close()


@pytest.mark.parametrize(
    "odd",
    [
        '{"id": 9, "address": {"zip": 85034}}',  # a number where text is expected
        '{"id": 9, "address": "1 Elm St, Phoenix"}',  # text where an object is
        '{"id": 9, "name": "A", "name": "B"}',  # a key given twice
        '{"id": 9, "balance": "12.50"}',  # text where a number is
        '{"id": 9, "active": "yes"}',
        '{"id": 9, "mergedToId": 1.5}',
        '{\n  "id": 9,\n  "name": "on three lines"\n}',  # not one line of JSON
        '{"id": 9, "createdOn": "2024-02-30T10:00:00Z"}',  # no such day
        '{"id": 9, "createdOn": "2024-01-05"}',  # a day without a time
        '{"id": 9, "createdOn": "2024-01-05T10:00:00"}',  # no zone
        '{"id": 9, "modifiedOn": "yesterday"}',
        '{"id": 9, "name": "Jos\\ud800"}',  # a lone surrogate: SQLite makes bytes of it no UTF-8 holds
        '{"id": 9, "mergedToId": "\\udfff"}',
    ],
)
def test_bodies_arrow_refuses_read_as_sql_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str
) -> None:
    good = json.dumps({"id": 1, "name": "Ann Lee", "createdOn": "2024-01-05T10:00:00.25Z"})
    _snapshot_with(tmp_path / "s.sqlite", "customers", [good, odd])
    with open_snapshot(tmp_path / "s.sqlite") as snapshot:
        fast, slow = _both_ways(snapshot, monkeypatch)
    _assert_same(fast, slow)
    assert fast.customers.loc[0, "name"] == "Ann Lee"


# text of any character but two: NUL, where SQLite's text ends and Arrow's goes on (the one way
# the two differ, and Arrow's keeps what was sent), and a lone surrogate, which UTF-8 cannot hold
# (its JSON escape is a case of its own, above)
TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=12)
# values a field of a ServiceTitan record may hold, sensible or not
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
STAMPS = st.one_of(
    st.builds(
        "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}{}".format,
        st.integers(1, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 61),
        st.sampled_from(["", ".5", ".123", ".1234567", ".123456789"]),
        st.sampled_from(["Z", "+02:00", "-05:30", "+14:00", ""]),
    ),
    SCALARS,
)
VALUES = st.one_of(SCALARS, st.dictionaries(st.sampled_from(["zip", "x"]), SCALARS, max_size=2))
ADDRESSES = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "street": VALUES,
            "zip": VALUES,
            "latitude": st.one_of(st.floats(-90, 90), SCALARS),
        },
    ),
    SCALARS,
)
CUSTOMERS = st.fixed_dictionaries(
    {},
    optional={
        "active": VALUES,
        "name": VALUES,
        "balance": VALUES,
        "mergedToId": VALUES,
        "createdOn": STAMPS,
        "modifiedOn": STAMPS,
        "address": ADDRESSES,
    },
)


@pytest.mark.slow
@settings(
    deadline=None, database=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
@given(records=st.lists(CUSTOMERS, min_size=1, max_size=6), ascii_only=st.booleans())
def test_any_bodies_read_the_same_both_ways(
    records: list[dict[str, Any]], ascii_only: bool
) -> None:
    bodies = [json.dumps(r, ensure_ascii=ascii_only, allow_nan=False) for r in records]
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as monkeypatch:
        path = Path(folder) / "s.sqlite"
        _snapshot_with(path, "customers", bodies)
        with open_snapshot(path) as snapshot:
            fast, slow = _both_ways(snapshot, monkeypatch)
    _assert_same(fast, slow)


# the same fields holding what ServiceTitan sends, as Arrow reads them (its times in any shape)
WELL_TYPED = st.fixed_dictionaries(
    {},
    optional={
        "active": st.one_of(st.none(), st.booleans()),
        "name": st.one_of(st.none(), TEXT),
        "balance": st.one_of(st.none(), st.integers(-(10**9), 10**9), st.floats(-1e9, 1e9)),
        "mergedToId": st.one_of(st.none(), st.integers(0, 2**53)),  # floats in SQL beyond
        "createdOn": st.one_of(st.none(), STAMPS.filter(lambda v: isinstance(v, str))),
        "modifiedOn": st.one_of(st.none(), STAMPS.filter(lambda v: isinstance(v, str))),
        "address": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {},
                optional={
                    "street": st.one_of(st.none(), TEXT),
                    "latitude": st.one_of(st.none(), st.floats(-90, 90)),
                },
            ),
        ),
    },
)


@pytest.mark.slow
@settings(
    deadline=None, database=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
@given(records=st.lists(WELL_TYPED, min_size=1, max_size=6))
def test_well_typed_bodies_are_read_by_arrow_as_sql_reads_them(
    records: list[dict[str, Any]],
) -> None:
    bodies = [json.dumps(r, ensure_ascii=False) for r in records]
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as monkeypatch:
        path = Path(folder) / "s.sqlite"
        _snapshot_with(path, "customers", bodies)
        seen: list[str] = []
        query = Snapshot.query

        def spy(self: Snapshot, sql: str, params: Any = ()) -> pd.DataFrame:
            seen.append(sql)
            return query(self, sql, params)

        with open_snapshot(path) as snapshot:
            monkeypatch.setattr(Snapshot, "query", spy)
            fast = read_frames(snapshot).customers
            assert not any("'customers'" in sql for sql in seen)  # Arrow read them
            monkeypatch.setattr(Snapshot, "arrow_query", lambda self, sql, **_: None)
            slow = read_frames(snapshot).customers
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


def test_contacts_keep_their_owners_and_order_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = generate_tenant(TenantSpec(customers=60, seed=2))
    with snapshot_from_tenant(tenant, tmp_path / "s.sqlite") as snapshot:
        fast, slow = _both_ways(snapshot, monkeypatch)
    _assert_same(fast, slow)
    contacts = fast.contacts
    assert list(contacts["owner_type"]) == sorted(contacts["owner_type"])
    for _, part in contacts.groupby("owner_type"):
        assert part["id"].is_monotonic_increasing
    locations = fast.locations.set_index("id")["customer_id"]
    of_locations = contacts[contacts["owner_type"] == "location"]
    assert (of_locations["customer_id"] == of_locations["location_id"].map(locations)).all()
