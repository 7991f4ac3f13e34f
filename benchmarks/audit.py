"""Benchmark: the monthly audit end to end, and the review page in Chromium.

The tenant is generated once and kept in ``benchmarks/.cache`` (shared with ``rules.py``); each
run audits a fresh copy of it (a first audit, as a new user's) with ``titanaudit audit`` in a
child process, timing it and its peak memory, then a second audit of the same copy (with the
history of the first). The page is then opened in headless Chromium (Debian's, through
Playwright) a few times: the time from navigation to the first page of clusters and findings
drawn, the browser's own start not counted.

    python benchmarks/audit.py                      # 200,000 customers
    python benchmarks/audit.py --customers 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rules import _snapshot  # the cached tenant of the rules benchmark

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


def _audit(db: Path, out: Path) -> tuple[float, float]:
    """Seconds and the child's peak memory (GB) of one ``titanaudit audit``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "titanaudit",
            "audit",
            "--db",
            str(db),
            "--out",
            str(out),
            "--as-of",
            "2026-11-01",
            "--quiet",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024 / 1024


def _open(page: Path, times: int) -> tuple[list[float], float]:
    """Seconds from navigation to the first pages drawn, per opening; and the browser's start."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("needs Debian's chromium (make browser)")
    opened = []
    with sync_playwright() as playwright:
        started = time.perf_counter()
        browser = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        launch = time.perf_counter() - started
        for _ in range(times):
            tab = browser.new_page()
            started = time.perf_counter()
            tab.goto(page.as_uri(), wait_until="load")
            tab.wait_for_function("document.getElementById('finding-count').textContent !== ''")
            tab.wait_for_function("document.querySelectorAll('#finding-rows tr').length > 0")
            opened.append(time.perf_counter() - started)
            tab.close()
        browser.close()
    return opened, launch


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--opens", type=int, default=5, help="times to open the page")
    args = parser.parse_args()
    cached, _ = _snapshot(args.customers, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "tenant.sqlite"
        shutil.copy(cached, db)
        first, first_peak = _audit(db, Path(folder) / "first")
        second, _ = _audit(db, Path(folder) / "second")
        page = Path(folder) / "first" / "index.html"
        summary = json.loads((Path(folder) / "first" / "audit.json").read_text())
        opened, launch = _open(page, args.opens)
        size = page.stat().st_size / 1e6
    records = summary["records"]
    d, f = summary["duplicates"], summary["findings"]
    contacts = sum(n for feed, n in records.items() if feed.endswith("contacts"))
    print(
        f"tenant: {records.get('customers', 0):,} customers, {records.get('locations', 0):,} "
        f"locations, {contacts:,} contacts (seed {args.seed})"
    )
    print(
        f"found: {d['customer_clusters']:,} duplicate clusters, {d['household_pairs']:,} household "
        f"pairs, {f['total']:,} findings"
    )
    print(f"titanaudit audit, first audit: {first:.1f} s, peak {first_peak:.2f} GB")
    print(f"titanaudit audit, second audit (with history): {second:.1f} s")
    print(
        f"index.html: {size:.1f} MB; Chromium draws it in median {statistics.median(opened):.2f} s "
        f"(min {min(opened):.2f}, max {max(opened):.2f}, {len(opened)} openings; "
        f"the browser's start, {launch:.2f} s, apart)"
    )


if __name__ == "__main__":
    main()
