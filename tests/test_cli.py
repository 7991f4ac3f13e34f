"""The command line as a user meets it: real subprocesses against the real simulator."""

from __future__ import annotations

import csv
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from titanaudit.cli import main
from titanaudit.simulator import Faults, SimulatorServer, Tenant
from titanaudit.simulator.server import SCOPES
from titanaudit.testing import simulator_env

from .servicetitan.test_sync import assert_snapshot_equals_tenant

Serve = Callable[..., SimulatorServer]
SECRET = "cs1.simulator-secret"


def run(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ST_")}
    return subprocess.run(
        [sys.executable, "-m", "titanaudit", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def fetch_args(server: SimulatorServer, db: Path) -> list[str]:
    return ["fetch", "--db", str(db), "--api-url", server.url, "--auth-url", server.url, "--quiet"]


def assert_one_line_error(
    result: subprocess.CompletedProcess[str], code: int, *needles: str
) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output
    assert SECRET not in output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    for needle in needles:
        assert needle in output, output


def test_fetch_prints_a_summary_and_exports(tenant: Tenant, serve: Serve, tmp_path: Path) -> None:
    server = serve(tenant)
    db = tmp_path / "t.sqlite"
    result = run(fetch_args(server, db), simulator_env(server))
    assert result.returncode == 0, result.stderr
    assert "full pull" in result.stderr
    assert "customers" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    again = run(fetch_args(server, db), simulator_env(server))
    assert "incremental update" in again.stderr
    out = tmp_path / "csv"
    exported = run(["export", "--db", str(db), "--out", str(out), "--format", "csv"], {})
    assert exported.returncode == 0, exported.stderr
    rows = read_rows(out / "customer_contacts.csv")
    assert len(rows) == len(tenant.feeds["customer_contacts"])
    assert not any(row["value"].startswith(("=", "+", "-", "@")) for row in rows)
    plus = [row["value"] for row in rows if row["value"].startswith("'+")]
    assert plus, "phones like +1 602 ... are neutralised"
    booking_rows = read_rows(out / "booking_contacts.csv")
    assert all(row["bookingId"] for row in booking_rows)
    parquet = run(
        ["export", "--db", str(db), "--out", str(tmp_path / "pq"), "--format", "parquet"], {}
    )
    assert parquet.returncode == 0, parquet.stderr


def _start_and_wait_for_pages(
    server: SimulatorServer, db: Path, pages: int = 12
) -> subprocess.Popen[str]:
    """Start a fetch in a real subprocess and return once it has stored ``pages`` pages."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ST_")}
    # a shell runs background jobs with SIGINT ignored, and Python then never turns Ctrl-C into
    # KeyboardInterrupt: give the child the default, as a terminal would
    process = subprocess.Popen(
        [sys.executable, "-m", "titanaudit", *fetch_args(server, db)],
        env={**clean, **simulator_env(server)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and stored < pages:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as con:
                    stored = con.execute(
                        "SELECT coalesce(sum(pages), 0) FROM sync_state"
                    ).fetchone()[0]
            except sqlite3.OperationalError:
                pass
    assert process.poll() is None, (
        "the fetch finished before it could be interrupted; slow the server down"
    )
    return process


def _slow(tenant: Tenant, serve: Serve) -> SimulatorServer:
    faults = Faults(latency=0.03, rate_limited=0.05, server_errors=0.05, dropped=0.03)
    return serve(tenant, faults=faults, export_page_size=25)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_an_interrupted_fetch_resumes_with_nothing_lost(
    stop: signal.Signals, tenant: Tenant, serve: Serve, tmp_path: Path
) -> None:
    server = _slow(tenant, serve)
    db = tmp_path / "t.sqlite"
    process = _start_and_wait_for_pages(server, db)
    interrupted = time.monotonic()
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=30)
    if stop == signal.SIGINT:
        assert time.monotonic() - interrupted < 10, "Ctrl-C stops promptly"
        assert process.returncode == 130, stderr
        assert "interrupted; run the same command again to resume" in stderr
        assert "Traceback" not in stderr
    with sqlite3.connect(db) as con:
        partial = con.execute("SELECT count(*) FROM records").fetchone()[0]
    assert 0 < partial < len(tenant)
    result = run(fetch_args(server, db), simulator_env(server), timeout=300)
    assert result.returncode == 0, result.stderr
    assert "resumed first pull" in result.stderr and "incremental" not in result.stderr
    assert_snapshot_equals_tenant(db, tenant)


def test_wrong_secret(tenant: Tenant, serve: Serve, tmp_path: Path) -> None:
    server = serve(tenant)
    env = {**simulator_env(server), "ST_CLIENT_SECRET": "cs1.wrong-secret-value"}
    result = run(fetch_args(server, tmp_path / "t.sqlite"), env)
    assert_one_line_error(
        result,
        4,
        "ST_CLIENT_ID and ST_CLIENT_SECRET",
        f"issued for the token service at {server.url}",
    )
    assert "custom environment" not in result.stderr
    assert "wrong-secret-value" not in result.stdout + result.stderr
    assert not (tmp_path / "t.sqlite").exists(), "no empty snapshot is left behind"


def test_wrong_app_key(tenant: Tenant, serve: Serve, tmp_path: Path) -> None:
    server = serve(tenant)
    args = fetch_args(server, tmp_path / "t.sqlite")
    args.remove("--quiet")  # with the live display: nothing ticked off before the error
    result = run(args, {**simulator_env(server), "ST_APP_KEY": "ak1.nope"})
    assert_one_line_error(result, 4, "ST_APP_KEY")
    assert "ak1.nope" not in result.stdout + result.stderr


def test_wrong_tenant(tenant: Tenant, serve: Serve, tmp_path: Path) -> None:
    server = serve(tenant)
    result = run(
        fetch_args(server, tmp_path / "t.sqlite"), {**simulator_env(server), "ST_TENANT_ID": "999"}
    )
    assert_one_line_error(result, 5, "ST_TENANT_ID (999)")


def test_missing_scope(tenant: Tenant, serve: Serve, tmp_path: Path) -> None:
    server = serve(tenant, scopes=SCOPES - {"tn.crm.leads:r"})
    result = run(fetch_args(server, tmp_path / "t.sqlite"), simulator_env(server))
    assert_one_line_error(result, 5, "tn.crm.leads:r", "scope")


def test_unreachable_host(tmp_path: Path, serve: Serve, tenant: Tenant) -> None:
    server = serve(tenant)
    env = simulator_env(server)
    server.stop()  # the port is now closed
    result = run(fetch_args(server, tmp_path / "t.sqlite"), env)
    assert_one_line_error(result, 7, "cannot reach", "refused")


def test_plain_http_to_another_host_is_refused(tmp_path: Path) -> None:
    env = {
        "ST_CLIENT_ID": "cid.x",
        "ST_CLIENT_SECRET": SECRET,
        "ST_APP_KEY": "ak1.x",
        "ST_TENANT_ID": "1",
    }
    result = run(
        ["fetch", "--db", str(tmp_path / "t.sqlite"), "--api-url", "http://api.example.com"], env
    )
    assert_one_line_error(result, 2, "plain http")


def test_missing_credentials(tmp_path: Path) -> None:
    result = run(["fetch", "--db", str(tmp_path / "t.sqlite")], {})
    assert_one_line_error(result, 2, "ST_CLIENT_ID, ST_CLIENT_SECRET, ST_APP_KEY, ST_TENANT_ID")


def test_export_of_a_missing_snapshot(tmp_path: Path) -> None:
    result = run(
        ["export", "--db", str(tmp_path / "none.sqlite"), "--out", str(tmp_path / "o")], {}
    )
    assert_one_line_error(result, 2, "does not exist")


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["demo", "--out", str(tmp_path / "demo"), "--customers", "150"]
    )
    assert result.exit_code == 0, result.output
    printed = result.stdout.strip().splitlines()
    assert printed[0].endswith("snapshot.sqlite") and printed[1].endswith("index.html")
    assert Path(printed[1]).exists()
    assert "Duplicate customers:" in result.stderr
    assert "against the planted truth: precision" in result.stderr
    assert (tmp_path / "demo" / "tenant" / "truth.json").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["fetch", "--help"],
        ["export", "--help"],
        ["demo", "--help"],
        ["simulator", "serve", "--help"],
        ["simulator", "generate", "--help"],
    ],
)
def test_every_command_explains_itself(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_bad_fault_spec_is_one_line() -> None:
    result = CliRunner().invoke(main, ["simulator", "serve", "--faults", "429=lots"])
    assert result.exit_code == 2
    assert "bad value in fault" in result.output


@pytest.mark.slow
def test_verbose_logs_never_hold_the_secret(tenant: Tenant, serve: Serve, tmp_path: Path) -> None:
    server = serve(tenant, faults=Faults(rate_limited=0.2, token_ttl=2))
    result = run(["-vv", *fetch_args(server, tmp_path / "t.sqlite")], simulator_env(server))
    assert result.returncode == 0, result.stderr
    assert "retrying" in result.stderr, "the retries were logged"
    assert SECRET not in result.stdout + result.stderr
    assert "ak1.simulator" not in result.stdout + result.stderr
    wrong = run(
        ["-vv", *fetch_args(server, tmp_path / "u.sqlite")],
        {**simulator_env(server), "ST_CLIENT_SECRET": "cs1.wrong-secret-value"},
    )
    assert wrong.returncode == 4
    assert "wrong-secret-value" not in wrong.stdout + wrong.stderr


def test_simulator_serve_prints_what_a_user_needs(tmp_path: Path) -> None:
    serve_cmd = [
        sys.executable,
        "-m",
        "titanaudit",
        "simulator",
        "serve",
        "--customers",
        "60",
        "--faults",
        "429=0.1",
    ]
    server = subprocess.Popen(serve_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        banner = [server.stdout.readline() for _ in range(3)]
        url = banner[0].split(" at ")[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        env = dict(item.split("=", 1) for item in banner[1].split()[1:])
        fetch_cmd = shlex.split(banner[2])[1:]
        result = run(
            [*fetch_cmd[:1], "--db", str(tmp_path / "sim.sqlite"), *fetch_cmd[3:], "--quiet"], env
        )
        assert result.returncode == 0, result.stderr
        port = url.rsplit(":", 1)[-1]
        busy = run(["simulator", "serve", "--customers", "10", "--port", port], {})
        assert_one_line_error(busy, 2, f"cannot serve on 127.0.0.1:{port}")
    finally:
        server.terminate()
        server.communicate(timeout=10)
