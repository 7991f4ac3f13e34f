"""``titanaudit demo``: the whole path on a generated tenant, no credentials needed.

Generate a tenant with known truth, serve it on the simulator (a real HTTP server on loopback,
faults on), pull it over HTTP into a snapshot, find the duplicate customers, and measure them
against the planted truth.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from titanaudit.audit import remember_audit, run_audit, write_audit
from titanaudit.dedupe.engine import DedupeResult
from titanaudit.errors import ConfigError
from titanaudit.export import write_csv
from titanaudit.frames import customers_frame
from titanaudit.preimport import ImportCheck, run_check
from titanaudit.reports.imports import write_check
from titanaudit.rules import RULES, RuleRun
from titanaudit.servicetitan.sync import ProgressCallback, SyncResult, fetch_snapshot
from titanaudit.simulator import (
    Faults,
    SimulatorServer,
    SimulatorState,
    TenantSpec,
)
from titanaudit.simulator.imports import ImportFile, generate_import, write_import_csv
from titanaudit.store import open_snapshot
from titanaudit.testing import (
    pair_accuracy,
    planted_clusters,
    rule_accuracy,
    simulator_config,
    tenant_rule_settings,
)

__all__ = ["DemoResult", "DemoTenant", "demo_tenant", "run_demo"]


@dataclass(frozen=True)
class DemoResult:
    """Where the demo put things."""

    snapshot_path: Path
    tenant_dir: Path
    sync: SyncResult
    duplicates: DedupeResult
    accuracy: dict[str, float]
    leads: pd.DataFrame  # open leads and bookings of existing customers (match_leads)
    locations: pd.DataFrame  # repeated locations (duplicate_locations)
    rules: RuleRun  # the data-quality rules' findings (also in findings.csv)
    rule_accuracy: pd.DataFrame  # per rule: planted, found, false, recall, precision
    report_path: Path  # the audit's review page (index.html, beside its CSV and JSON files)
    import_check: ImportCheck  # the pre-import check of import.csv against the snapshot
    import_accuracy: dict[str, float]  # its decisions against the file's truth
    import_page: Path  # its review page

    def summary_lines(self) -> list[str]:
        """What the demo found and where it put it, in the sentences ``titanaudit demo``
        prints after the pull's own summary."""
        clusters = self.duplicates.clusters
        count = clusters["cluster_id"].nunique() if len(clusters) else 0
        acc, snapshot = self.accuracy, self.snapshot_path
        lines = [
            f"Duplicate customers: {count:,} clusters over {len(clusters):,} records; against the "
            f"planted truth: precision {acc['precision']:.3f}, recall {acc['recall']:.3f} (pairs)"
        ]
        example = self.duplicates.pairs.head(1)
        if len(example):
            row = example.iloc[0]
            lines.append(
                f"e.g. customers {row['left_id']} and {row['right_id']}: "
                f"p={row['probability']:.3f}, {row['evidence']}"
            )
        best = self.leads[self.leads["rank"] == 1]
        by_rule = self.locations.groupby("rule_id").size().to_dict() if len(self.locations) else {}
        repeated = ", ".join(f"{rule} {n:,}" for rule, n in sorted(by_rule.items())) or "none"
        lines.append(
            f"Household candidates: {len(self.duplicates.households):,} pairs (two people of one "
            f"household). Open leads of existing customers: {(best['entity'] == 'leads').sum():,}; "
            f"bookings that match a customer: {(best['entity'] == 'bookings').sum():,}. Repeated "
            f"locations: {repeated}"
        )
        counts = self.rules.findings["severity"].value_counts()
        scored = self.rule_accuracy
        severities = ", ".join(
            f"{counts.get(s, 0):,} {s}" for s in ("high", "medium", "low", "info")
        )
        lines.append(
            f"Data-quality findings: {len(self.rules.findings):,} ({severities}) in "
            f"{snapshot.parent / 'findings.csv'}; against the planted problems of {len(scored)} "
            f"rules: recall at least {scored['recall'].min():.2f}, precision at least "
            f"{scored['precision'].min():.2f}"
        )
        lines.append(
            f"The audit's review page (open it in a browser): {self.report_path}\n"
            f"To mark pairs and records with each decision saved as you click, serve it with "
            f"`titanaudit review --db {snapshot}`; the next `titanaudit audit --db {snapshot} --out "
            f"DIR` applies them. Every month, unattended: `titanaudit monthly --db {snapshot} --out "
            f"DIR` (see the README for cron and systemd)."
        )
        d, rows = self.import_check.summary["decisions"], self.import_check.summary["rows"]
        found = self.import_accuracy
        lines.append(
            f"Pre-import check of {snapshot.parent / 'import.csv'} ({rows:,} rows against the "
            f"tenant): {d['new']:,} new, {d['existing']:,} already in ServiceTitan, {d['review']:,} "
            f"to review; against the file's truth: {found['existing_found']:.1%} of the existing "
            f"rows found, {found['new_called_existing']:.1%} of the new ones called existing. Its "
            f"page: {self.import_page}"
        )
        return lines


def _served_and_fetched(
    out: Path, spec: TenantSpec, rows: int, faults: str, on_progress: ProgressCallback | None = None
) -> tuple[ImportFile, Path, SyncResult]:
    """Generate the tenant of ``spec`` with an import file of ``rows`` rows against it, serve the
    tenant on the simulator, and pull it into ``out/snapshot.sqlite`` (made afresh)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create folder {out}: {exc.strerror}") from None
    made = generate_import(spec, rows=rows, seed=spec.seed)
    db = out / "snapshot.sqlite"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    state = SimulatorState(made.tenant, faults=Faults.parse(faults), export_page_size=500)
    with SimulatorServer(state) as server:
        config = simulator_config(server, backoff_base=0.1, backoff_cap=2.0)
        result = fetch_snapshot(config, db, on_progress=on_progress)
    return made, db, result


def run_demo(
    out: Path,
    *,
    customers: int = 2000,
    seed: int = 7,
    faults: str = "all",
    on_progress: ProgressCallback | None = None,
) -> DemoResult:
    """Generate, serve, fetch, audit, and check a file of customers before importing it. ``out``
    gets ``snapshot.sqlite``, ``findings.csv``, ``tenant/`` (with truth), ``audit/``,
    ``import.csv`` and ``import-check/``."""
    spec = TenantSpec(customers=customers, seed=seed)
    made, db, result = _served_and_fetched(out, spec, max(50, customers // 10), faults, on_progress)
    tenant = made.tenant
    tenant_dir = out / "tenant"
    tenant.save(tenant_dir)
    settings = tenant_rule_settings(tenant.truth)
    with open_snapshot(db) as snapshot:
        audited = run_audit(snapshot, settings=settings, as_of=spec.as_of)
        report = write_audit(audited, out / "audit")["index.html"]
        remember_audit(snapshot, audited)
    frames = audited.frames
    active = set(frames.customers.query("active == True")["id"].astype("int64"))
    duplicates, rules, leads = audited.engine, audited.rules, audited.lead_matches
    locations = audited.locations
    write_csv(rules.findings, out / "findings.csv")
    scored = rule_accuracy(rules.findings, tenant.truth, frames, [r.id for r in RULES])
    found = duplicates.clusters.groupby("cluster_id")["id"].apply(list).tolist()
    planted = [[i for i in c if i in active] for c in planted_clusters(tenant.truth)]
    accuracy = pair_accuracy(found, planted)
    import_file = write_import_csv(made, out / "import.csv")
    check = run_check(import_file, db)
    page = write_check(check, out / "import-check")["index.html"]
    return DemoResult(
        snapshot_path=db,
        tenant_dir=tenant_dir,
        sync=result,
        duplicates=duplicates,
        accuracy=accuracy,
        leads=leads,
        locations=locations,
        rules=rules,
        rule_accuracy=scored,
        report_path=report,
        import_check=check,
        import_accuracy=import_accuracy(check.checked, made.truth),
        import_page=page,
    )


def import_accuracy(checked: pd.DataFrame, truth: list[dict[str, Any]]) -> dict[str, float]:
    """Shares of a checked file's rows decided as its truth says: ``existing_found`` (with a
    right customer), ``existing_made_new`` (each a duplicate on import), ``new_kept_new``,
    ``new_called_existing`` (each a customer never imported)."""
    expected = np.array([t["expected"] for t in truth], dtype=object)
    decided = checked["decision"].to_numpy()
    right = np.array(
        [
            pd.notna(c) and int(c) in t["customers"]
            for c, t in zip(checked["customer_id"], truth, strict=True)
        ],
        dtype=bool,
    )

    def share(hits: np.ndarray, where: np.ndarray) -> float:
        return float(hits[where].mean()) if where.any() else 1.0

    existing, new = expected == "existing", expected == "new"
    return {
        "existing_found": share((decided == "existing") & right, existing),
        "existing_made_new": share(decided == "new", existing),
        "new_kept_new": share(decided == "new", new),
        "new_called_existing": share(decided == "existing", new),
    }


@dataclass(frozen=True)
class DemoTenant:
    """A generated tenant pulled through the simulator, for notebooks and trials: ``snapshot``
    (its file), ``import_file`` (a CSV of customers to check before importing, built against
    it), and the generator's truth of both (``truth``, ``import_truth``: one entry per row with
    ``kind``, ``expected`` decision and the right ``customers``)."""

    snapshot: Path
    import_file: Path
    truth: dict[str, Any]
    import_truth: list[dict[str, Any]]

    def duplicate_pairs(self) -> pd.DataFrame:
        """The planted duplicate customers still open (both records not merged away), as pairs:
        ``left_id, right_id`` (the lower id first)."""
        with open_snapshot(self.snapshot) as snapshot:
            customers = customers_frame(snapshot)
        open_ids = set(customers.loc[customers["merged_to_id"].isna(), "id"].astype("int64"))
        pairs = [
            (min(a, b), max(a, b))
            for cluster in planted_clusters(self.truth)
            for a, b in itertools.combinations([i for i in cluster if i in open_ids], 2)
        ]
        return pd.DataFrame(sorted(set(pairs)), columns=["left_id", "right_id"])

    def _repr_html_(self) -> str:
        from titanaudit.display import html_summary

        return html_summary(
            "Demo tenant",
            [
                ("snapshot", self.snapshot),
                ("import file", self.import_file),
                ("planted duplicate clusters", len(self.truth["duplicate_clusters"])),
                ("rows in the import file", len(self.import_truth)),
            ],
        )


def demo_tenant(
    folder: str | Path,
    *,
    customers: int = 1500,
    seed: int = 7,
    import_rows: int = 300,
    faults: str = "none",
) -> DemoTenant:
    """Generate a tenant, serve it on the simulator (a real HTTP server on loopback), pull it
    into ``folder/snapshot.sqlite`` as :func:`titanaudit.fetch_snapshot` pulls a real one, and
    write ``folder/import.csv``: what the notebooks start from when no credentials are set."""
    out = Path(folder)
    made, db, _ = _served_and_fetched(
        out, TenantSpec(customers=customers, seed=seed), import_rows, faults
    )
    csv_path = write_import_csv(made, out / "import.csv")
    return DemoTenant(db, csv_path, made.tenant.truth, made.truth)
