"""What a new user's mistakes meet: a file that is not ours is left byte for byte as it was, a
snapshot no pull finished is refused instead of audited as clean, files holding customer data
are owner-only, and an output location that cannot be written is one line before any work,
with nothing left behind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from titanaudit.simulator import SimulatorServer, Tenant, TenantSpec, generate_tenant
from titanaudit.store import open_snapshot
from titanaudit.testing import simulator_env, snapshot_from_tenant

from .test_cli import assert_one_line_error, fetch_args, run

Serve = Callable[..., SimulatorServer]


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` with a digest of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def readers(db: Path, work: Path) -> list[list[str]]:
    """The commands that read a snapshot's records, each writing into ``work``."""
    rows = work / "rows.csv"
    rows.write_text("name,phone\nAnn Lee,602-814-0147\n", encoding="utf-8")
    return [
        ["audit", "--db", str(db), "--out", str(work / "audit"), "--quiet"],
        ["rules", "check", "--db", str(db), "--out", str(work / "findings.csv"), "--quiet"],
        ["export", "--db", str(db), "--out", str(work / "export")],
        ["check-import", str(rows), "--db", str(db), "--out", str(work / "check"), "--quiet"],
    ]


@pytest.fixture(scope="module")
def snapshot_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snapshot") / "tenant.sqlite"
    snapshot_from_tenant(generate_tenant(TenantSpec(customers=60, seed=3)), path).close()
    return path


def foreign_sqlite(path: Path, *, wal: bool) -> Path:
    db = sqlite3.connect(path)
    if wal:
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE people (name TEXT)")
    db.execute("INSERT INTO people VALUES ('Ann')")
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_another_programs_sqlite_file_is_left_byte_for_byte(
    tmp_path: Path, wal: bool, tenant: Tenant, serve: Serve
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = foreign_sqlite(data / "other.db", wal=wal)
    before = fingerprint(data)
    assert db.read_bytes()[18:20] == (b"\x02\x02" if wal else b"\x01\x01")
    work = tmp_path / "work"
    work.mkdir()
    server = serve(tenant)
    for args in [*readers(db, work), fetch_args(server, db)]:
        result = run(args, simulator_env(server))
        assert_one_line_error(result, 8, "not a titanaudit snapshot")
        assert fingerprint(data) == before, args
    assert [p.name for p in work.iterdir()] == ["rows.csv"], "no output folder was made"


def test_a_file_that_is_not_sqlite_at_all(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("my notes\n" * 500, encoding="utf-8")
    result = run(["audit", "--db", str(db), "--out", str(tmp_path / "a"), "--quiet"], {})
    assert_one_line_error(result, 8, "not a titanaudit snapshot")
    assert db.read_text(encoding="utf-8") == "my notes\n" * 500


def test_an_empty_file_is_not_audited_as_clean(tmp_path: Path) -> None:
    db = tmp_path / "empty.sqlite"
    db.touch()
    work = tmp_path / "work"
    work.mkdir()
    for args in readers(db, work):
        result = run(args, {})
        assert_one_line_error(result, 2, "empty", "titanaudit fetch")
        assert db.stat().st_size == 0, args
    assert [p.name for p in work.iterdir()] == ["rows.csv"]


def test_a_snapshot_no_pull_finished_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "half.sqlite"
    with open_snapshot(db, create=True) as snapshot:  # a first pull stopped after one page
        snapshot.write_page(
            "customers", [{"id": 1, "name": "Ann Lee"}], continue_from="t1", complete=False
        )
    before = db.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    for args in readers(db, work):
        result = run(args, {})
        assert_one_line_error(result, 2, "did not finish", "titanaudit fetch")
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    ("change", "code"),
    [({"ST_APP_KEY": "ak1.nope"}, 4), ({"ST_TENANT_ID": "999"}, 5)],
    ids=["wrong-app-key", "wrong-tenant"],
)
def test_a_refused_fetch_leaves_no_snapshot_to_audit(
    tmp_path: Path, tenant: Tenant, serve: Serve, change: dict[str, str], code: int
) -> None:
    server = serve(tenant)
    db = tmp_path / "t.sqlite"
    result = run(fetch_args(server, db), {**simulator_env(server), **change})
    assert_one_line_error(result, code)
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "no snapshot file is left behind"
    # a file the user made stays, empty as it was
    db.touch()
    run(fetch_args(server, db), {**simulator_env(server), **change})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.sqlite"]
    assert db.stat().st_size == 0


def test_an_existing_file_is_made_owner_only(tmp_path: Path, tenant: Tenant, serve: Serve) -> None:
    server = serve(tenant)
    db = tmp_path / "t.sqlite"
    db.touch()
    db.chmod(0o644)
    result = run(fetch_args(server, db), simulator_env(server))
    assert result.returncode == 0, result.stderr
    for file in tmp_path.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    db.chmod(0o664)  # a snapshot someone opened up is tightened when it is next written
    assert run(fetch_args(server, db), simulator_env(server)).returncode == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


@contextlib.contextmanager
def read_only_folder(path: Path) -> Iterator[Path]:
    """A read-only file system mounted at ``path`` (root only; skipped where mounting fails)."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode:
        pytest.skip("cannot mount a read-only file system here")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)


def output_commands(db: Path, out: Path, source: Path) -> list[list[str]]:
    return [
        ["audit", "--db", str(db), "--out", str(out), "--quiet"],
        ["rules", "check", "--db", str(db), "--out", str(out / "f.csv"), "--quiet"],
        ["export", "--db", str(db), "--out", str(out)],
        ["check-import", str(source), "--db", str(db), "--out", str(out), "--quiet"],
        ["dedupe", str(source), "--id-column", "name", "--out", str(out / "c.csv"), "--quiet"],
        ["decisions", "export", "--db", str(db), "--out", str(out / "d.json")],
    ]


def test_an_output_under_a_file_is_one_line(tmp_path: Path, snapshot_file: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("name,phone\nAnn Lee,602-814-0147\n", encoding="utf-8")
    a_file = tmp_path / "hostname"
    a_file.write_text("box\n", encoding="utf-8")
    for args in output_commands(snapshot_file, a_file / "sub", source):
        result = run(args, {})
        assert_one_line_error(result, 2, "is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostname", "rows.csv"]


def test_a_read_only_file_system_is_one_line(tmp_path: Path, snapshot_file: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("name,phone\nAnn Lee,602-814-0147\n", encoding="utf-8")
    with read_only_folder(tmp_path / "ro") as ro:
        for args in output_commands(snapshot_file, ro / "out", source):
            result = run(args, {})
            assert_one_line_error(result, 2, "read-only")
        assert not os.listdir(ro)


def test_a_bad_snapshot_leaves_no_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "audit-out"
    result = run(["audit", "--db", str(tmp_path / "missing.sqlite"), "--out", str(out)], {})
    assert_one_line_error(result, 2, "does not exist")
    assert not out.exists()


def test_a_binary_file_given_to_dedupe_is_one_line_with_the_display_on(tmp_path: Path) -> None:
    source = tmp_path / "customers.csv"
    source.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8)
    result = run(["dedupe", str(source), "--id-column", "id", "--out", str(tmp_path / "o.csv")], {})
    assert_one_line_error(result, 2, "not a text table")
    assert not (tmp_path / "o.csv").exists()


def test_a_foreign_database_in_use_is_left_as_it_was(tmp_path: Path) -> None:
    # another program holds its WAL-mode database open: its log and shared memory stay as they are
    data = tmp_path / "data"
    data.mkdir()
    db = data / "crm.db"
    holder = sqlite3.connect(db)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE people (name TEXT)")
    holder.execute("INSERT INTO people VALUES ('Ann')")
    holder.commit()
    try:
        before = fingerprint(data)
        assert {"crm.db-wal", "crm.db-shm"} <= set(before)
        work = tmp_path / "work"
        work.mkdir()
        for args in readers(db, work):
            assert_one_line_error(run(args, {}), 8, "not a titanaudit snapshot")
            assert fingerprint(data) == before, args
    finally:
        holder.close()
