"""Benchmark: pull a generated tenant from the simulator over HTTP, with latency on every response.

The simulator runs in its own process (``titanaudit simulator serve``) so it does not share the
GIL with the client; the fetch runs in another (``titanaudit fetch``), whose peak memory is read
from ``wait4``. Each size is pulled once into a fresh snapshot; peak memory is compared across
sizes to show it stays flat (records stream page by page into SQLite).

    python benchmarks/fetch.py                      # 200,000 customers, 50 ms latency
    python benchmarks/fetch.py --customers 20000 50000 --latency 0.05
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = {
    "ST_CLIENT_ID": "cid.simulator",
    "ST_CLIENT_SECRET": "cs1.simulator-secret",
    "ST_APP_KEY": "ak1.simulator",
    "ST_TENANT_ID": "1234567",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    customers: int, latency: float, page_size: int
) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "titanaudit",
        "simulator",
        "serve",
        "--customers",
        str(customers),
        "--port",
        str(port),
        "--page-size",
        str(page_size),
        "--faults",
        f"latency={latency}",
    ]
    server = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    line = server.stdout.readline()
    if "serving" not in line:
        server.kill()
        raise SystemExit(f"the simulator did not start: {line!r}")
    records = int(re.search(r"\((\d+) records\)", line).group(1))  # type: ignore[union-attr]
    return server, f"http://127.0.0.1:{port}|{records}"


def fetch(url: str, db: Path, rate_limit: float) -> tuple[float, int, str]:
    env = {**os.environ, **ENV}
    args = [
        sys.executable,
        "-m",
        "titanaudit",
        "fetch",
        "--db",
        str(db),
        "--api-url",
        url,
        "--auth-url",
        url,
        "--quiet",
        "--rate-limit",
        str(rate_limit),
    ]
    started = time.monotonic()
    child = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    stderr = child.stderr.read() if child.stderr else ""
    if status != 0:
        raise SystemExit(f"fetch failed: {stderr}")
    return seconds, usage.ru_maxrss // 1024, stderr


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, nargs="+", default=[200_000])
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds added to every response"
    )
    parser.add_argument("--page-size", type=int, default=1000, help="records per export page")
    parser.add_argument("--rate-limit", type=float, default=40.0, help="client requests per second")
    args = parser.parse_args()
    print(
        f"latency {args.latency * 1000:.0f} ms per response, export pages of {args.page_size}, "
        f"client rate limit {args.rate_limit:.0f} req/s, {os.cpu_count()} cores"
    )
    print(
        f"{'customers':>10} {'records':>10} {'seconds':>8} {'records/s':>10} {'requests':>9} {'req/s':>6} "
        f"{'retries':>7} {'peak MB':>8} {'db MB':>7}"
    )
    for customers in args.customers:
        server, info = start_server(customers, args.latency, args.page_size)
        url, total = info.split("|")
        try:
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "bench.sqlite"
                seconds, peak_mb, summary = fetch(url, db, args.rate_limit)
                with sqlite3.connect(db) as con:
                    stored = con.execute("SELECT count(*) FROM records").fetchone()[0]
                size_mb = db.stat().st_size / 2**20
        finally:
            server.terminate()
            server.wait()
        match = re.search(r"([\d,]+) requests, (\d+) retries", summary)
        requests = int(match.group(1).replace(",", "")) if match else 0
        retries = int(match.group(2)) if match else 0
        assert stored == int(total), f"stored {stored} of {total} records"
        print(
            f"{customers:>10,} {stored:>10,} {seconds:>8.1f} {stored / seconds:>10,.0f} {requests:>9,} "
            f"{requests / seconds:>6.1f} {retries:>7} {peak_mb:>8,} {size_mb:>7.0f}"
        )


if __name__ == "__main__":
    main()
