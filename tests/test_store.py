from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from titanaudit.errors import ConfigError, StoreError
from titanaudit.frames import read_frames
from titanaudit.store import modified_us, open_snapshot


def _customer(id_: int, modified: str, name: str = "A") -> dict[str, object]:
    return {
        "id": id_,
        "active": True,
        "name": name,
        "type": "Residential",
        "modifiedOn": modified,
        "address": {
            "street": "1 Elm St",
            "unit": None,
            "city": "Phoenix",
            "state": "AZ",
            "zip": "85015",
            "country": "USA",
            "latitude": 33.5,
            "longitude": -112.1,
        },
        "mergedToId": None,
    }


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("2024-01-01T10:00:00Z", "2024-01-01T10:00:00.5Z"),
        ("2024-01-01T10:00:00.45Z", "2024-01-01T10:00:00.7Z"),
        ("2024-01-01T10:00:00.4533333Z", "2024-01-01T10:00:00.46Z"),
        ("2024-01-01T09:59:59.9999999Z", "2024-01-01T10:00:00Z"),
    ],
)
def test_modified_on_orders_whatever_the_fraction_digits(earlier: str, later: str) -> None:
    assert modified_us(earlier) < modified_us(later)


def test_newest_modified_on_wins(tmp_path: Path) -> None:
    with open_snapshot(tmp_path / "s.sqlite", create=True) as snap:
        snap.write_page(
            "customers",
            [_customer(1, "2024-01-01T10:00:00.7Z", "new")],
            continue_from="a",
            complete=False,
        )
        snap.write_page(
            "customers",
            [_customer(1, "2024-01-01T10:00:00.45Z", "old")],
            continue_from="b",
            complete=True,
        )
        assert next(snap.records("customers"))["name"] == "new"
        snap.write_page(
            "customers",
            [_customer(1, "2024-01-02T00:00:00Z", "newer")],
            continue_from="c",
            complete=True,
        )
        assert next(snap.records("customers"))["name"] == "newer"
        assert snap.counts() == {"customers": 1}
        assert snap.continuation("customers") == "c"


def test_a_page_and_its_token_land_together_or_not_at_all(tmp_path: Path) -> None:
    with open_snapshot(tmp_path / "s.sqlite", create=True) as snap:
        snap.write_page(
            "customers", [_customer(1, "2024-01-01T00:00:00Z")], continue_from="t1", complete=False
        )
        with pytest.raises(StoreError):
            snap.write_page(
                "customers",
                [_customer(2, "2024-01-01T00:00:00Z"), {"name": "no id"}],
                continue_from="t2",
                complete=False,
            )
        assert snap.counts() == {"customers": 1}
        assert snap.continuation("customers") == "t1"


def test_records_come_back_exactly_as_sent(tmp_path: Path) -> None:
    record = {
        "id": 9,
        "name": "Zoë <b>",
        "weird": {"nested": [1, None, "x"]},
        "type": "Industrial",
        "modifiedOn": None,
    }
    with open_snapshot(tmp_path / "s.sqlite", create=True) as snap:
        snap.write_page("customers", [record], continue_from=None, complete=True)
        assert list(snap.records("customers")) == [record]


def test_the_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with open_snapshot(path, create=True) as snap:
        snap.write_page(
            "customers", [_customer(1, "2024-01-01T00:00:00Z")], continue_from=None, complete=True
        )
        for file in tmp_path.iterdir():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_a_missing_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        open_snapshot(tmp_path / "nope.sqlite")


@pytest.mark.parametrize("content", [b"hello, I am a text file" * 100, None])
def test_a_file_that_is_not_a_snapshot(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "other.db"
    if content:
        path.write_bytes(content)
    else:
        sqlite3.connect(path).execute("CREATE TABLE people (name TEXT)").connection.commit()
    with pytest.raises(StoreError, match="not a titanaudit snapshot"):
        open_snapshot(path)


def test_one_file_holds_one_tenant(tmp_path: Path) -> None:
    with open_snapshot(tmp_path / "s.sqlite", create=True) as snap:
        snap.bind_tenant(1, "production")
        snap.bind_tenant(1, "production")
        with pytest.raises(ConfigError, match="holds tenant 1, not 2"):
            snap.bind_tenant(2, "production")


def test_booking_contacts_are_replaced_per_booking(tmp_path: Path) -> None:
    with open_snapshot(tmp_path / "s.sqlite", create=True) as snap:
        snap.write_page(
            "bookings",
            [{"id": 5, "modifiedOn": "2024-01-01T00:00:00Z"}],
            continue_from="x",
            complete=True,
            pending_bookings=True,
        )
        assert snap.pending_bookings() == [5]
        snap.replace_children(
            "booking_contacts",
            5,
            [
                {"id": 50, "type": "Email", "value": "a@b.com"},
                {"id": 51, "type": "Phone", "value": "1"},
            ],
        )
        snap.replace_children("booking_contacts", 5, [{"id": 52, "type": "Phone", "value": "2"}])
        assert [c["id"] for c in snap.records("booking_contacts")] == [52]
        assert snap.pending_bookings() == []
        assert snap.owners("booking_contacts") == {52: 5}


def test_frames_have_their_documented_columns(tmp_path: Path) -> None:
    with open_snapshot(tmp_path / "s.sqlite", create=True) as snap:
        snap.write_page(
            "customers",
            [_customer(1, "2024-01-01T00:00:00.1234567Z")],
            continue_from=None,
            complete=True,
        )
        snap.write_page(
            "locations",
            [
                {
                    "id": 2,
                    "customerId": 1,
                    "active": True,
                    "address": None,
                    "modifiedOn": "2024-01-01T00:00:00Z",
                }
            ],
            continue_from=None,
            complete=True,
            owner_field="customerId",
        )
        snap.write_page(
            "location_contacts",
            [
                {
                    "id": 3,
                    "locationId": 2,
                    "type": "MobilePhone",
                    "value": "(602) 555-0143",
                    "phoneSettings": {"phoneNumber": "6025550143", "doNotText": True},
                }
            ],
            continue_from=None,
            complete=True,
            owner_field="locationId",
        )
        frames = read_frames(snap)
        customers = frames.customers
        assert list(customers.columns) == [
            "id",
            "active",
            "name",
            "type",
            "street",
            "unit",
            "city",
            "state",
            "zip",
            "country",
            "latitude",
            "longitude",
            "balance",
            "do_not_mail",
            "do_not_service",
            "created_on",
            "modified_on",
            "merged_to_id",
        ]
        assert customers.loc[0, "latitude"] == 33.5
        assert str(customers["modified_on"].dt.tz) == "UTC"
        contacts = frames.contacts
        row = contacts.iloc[0]
        assert (
            row["owner_type"],
            row["location_id"],
            row["customer_id"],
            row["phone_number"],
            bool(row["do_not_text"]),
        ) == ("location", 2, 1, "6025550143", True)
        assert frames.locations["street"].isna().all()
        assert len(frames.leads) == 0
        assert len(frames.bookings) == 0


def test_notebooks_can_read_while_a_writer_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with open_snapshot(path, create=True) as snapshot:
        snapshot.write_page(
            "customers", [_customer(1, "2024-01-01T00:00:00Z")], continue_from="1", complete=False
        )
        reader = sqlite3.connect(path, timeout=0)  # never waits: a lock would fail at once
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        writer = sqlite3.connect(path, timeout=0, isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")  # outside WAL this shuts every reader out
        writer.execute("DELETE FROM records")
        try:
            assert reader.execute("SELECT count(*) FROM records").fetchone() == (1,)
        finally:
            writer.execute("ROLLBACK")
            writer.close()
            reader.close()
