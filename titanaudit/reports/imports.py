"""The pre-import check's files: its CSVs (:func:`write_check`) and its review page, the counts
and the rows to look at beside their match.

Rows travel as JSON and are drawn a page at a time, as in the audit's page. Listed: every row
that needs review, every row that matches an existing customer, and every row that repeats
another; plain new rows are counted (they are all in ``checked.csv`` and ``import-ready.csv``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from titanaudit.export import write_csv
from titanaudit.preimport import ImportCheck
from titanaudit.privacy import make_folder, write_whole
from titanaudit.reports.render import environment, write_page

__all__ = ["import_context", "write_check", "write_import_report"]

FIELDS = (
    "name",
    "first_name",
    "last_name",
    "company",
    "street",
    "unit",
    "city",
    "state",
    "zip",
    "phone",
    "email",
)


def _shown(frame: pd.DataFrame, columns: dict[str, list[str]]) -> list[str]:
    """What a person reads of each row: its recognised fields' values, in field order."""
    used = [c for name in FIELDS for c in columns.get(name, [])]
    cells = [frame[c].astype("string").fillna("").str.strip().tolist() for c in used]
    return (
        [" · ".join(v for v in values if v) for values in zip(*cells, strict=True)]
        if cells
        else [""] * len(frame)
    )


#: the fields of each listed row, in order: rows travel as lists, and the page's script reads
#: them by these names
ROW_FIELDS = ("row", "line", "decision", "values", "customer_id", "customer_name",
              "customer_address", "customer_url", "location_id", "location_url", "probability",
              "explanation", "duplicate_of_row", "problem", "location_address")  # fmt: skip


def import_context(
    check: ImportCheck, *, title: str = "titanaudit pre-import check"
) -> dict[str, Any]:
    """The template's context: ``title``, ``source``, ``counts`` ((label, number) pairs),
    ``columns`` ((field, input columns) pairs) and ``data``: ``rows`` (a list per row to look
    at, its fields in the order ``fields`` names them: :data:`ROW_FIELDS`)."""
    checked, summary = check.checked, check.summary
    added = dict(
        zip([c.removeprefix("titanaudit_") for c in check.added], check.added, strict=True)
    )
    pick = checked[added["decision"]]
    listed = checked[(pick != "new") | (checked[added["duplicate_of_row"]] != "")]
    values = _shown(listed, check.columns)
    rows = []
    for (_, row), shown in zip(listed.iterrows(), values, strict=True):
        get = {k: row[v] for k, v in added.items()}
        item = {
            "row": int(get["row"]),
            "line": int(get["line"]),
            "decision": get["decision"],
            "values": shown,
            "customer_id": "" if pd.isna(get["customer_id"]) else int(get["customer_id"]),
            "customer_name": get["customer_name"],
            "customer_address": get["customer_address"],
            "customer_url": get["customer_url"],
            "location_id": "" if pd.isna(get["location_id"]) else int(get["location_id"]),
            "location_url": get["location_url"],
            "probability": None if pd.isna(get["probability"]) else float(get["probability"]),
            "explanation": get["explanation"],
            "duplicate_of_row": get["duplicate_of_row"],
            "problem": get["problem"],
            "location_address": get["location_address"],
        }
        rows.append([item[name] for name in ROW_FIELDS])
    decisions = summary["decisions"]
    counts = [
        ("rows", summary["rows"]),
        ("new", decisions["new"]),
        ("already in ServiceTitan", decisions["existing"]),
        ("to review", decisions["review"]),
        ("repeat an earlier row", summary["repeated_rows"]),
        ("could not be read whole", summary["unreadable_rows"]),
        ("ready to import (one per person)", summary["ready"]),
    ]
    columns = [(name, ", ".join(cols)) for name, cols in check.columns.items()]
    return {
        "title": title,
        "source": str(summary.get("source", "")),
        "counts": counts,
        "columns": columns,
        "data": {"fields": list(ROW_FIELDS), "rows": rows},
    }


def write_import_report(check: ImportCheck, path: Path) -> Path:
    """Write the page to ``path``, owner-only, whole or not at all."""
    html = environment().get_template("check_import.html.j2").render(**import_context(check))
    return write_page(html, path)


def write_check(check: ImportCheck, out: Path) -> dict[str, Path]:
    """Write ``checked.csv``, ``import-ready.csv`` (under the input's own header), ``check.json``
    and ``index.html`` into ``out``, each owner-only and whole."""
    make_folder(out)
    paths = {
        name: out / name for name in ("checked.csv", "import-ready.csv", "check.json", "index.html")
    }
    header = check.header or list(check.ready.columns)
    write_csv(check.checked.set_axis([*header, *check.added], axis=1), paths["checked.csv"])
    write_csv(check.ready.set_axis(header, axis=1), paths["import-ready.csv"])
    write_whole(
        paths["check.json"], lambda handle: json.dump(check.summary, handle, indent=2, default=str)
    )
    write_import_report(check, paths["index.html"])
    return paths
