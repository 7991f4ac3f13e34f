"""The review page: one self-contained file, nothing in a customer's data can run as script,
and in a real browser it draws the clusters and findings a page at a time."""

from __future__ import annotations

import dataclasses
import html.parser
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import SHOTS, Opened, open_page
from titanaudit.audit import AuditResult, remember_audit, run_audit, write_audit
from titanaudit.reports.context import report_context
from titanaudit.reports.render import write_report
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.store import open_snapshot
from titanaudit.testing import snapshot_from_tenant

# leftover merge markers (DUP-MRG-001, high): the names are shown on the first page of findings
HOSTILE = [
    "DUPLICATE - <img src=x onerror=alert(1)>",
    'DUPLICATE - "><script>alert(2)</script>',
    "DUPLICATE - </script><marquee>x</marquee>",
]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditResult, Path]:
    tenant = generate_tenant(TenantSpec(customers=500, seed=31))
    for customer, name in zip(tenant.feeds["customers"], HOSTILE, strict=False):
        customer["name"] = name
    folder = tmp_path_factory.mktemp("report")
    snapshot_from_tenant(tenant, folder / "tenant.sqlite").close()
    with open_snapshot(folder / "tenant.sqlite") as snapshot:
        result = run_audit(snapshot, as_of="2026-11-01")
        write_audit(result, folder / "out")
        remember_audit(snapshot, result)
    return result, folder / "out" / "index.html"


class Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_page_is_self_contained_and_escapes_everything(page: tuple[AuditResult, Path]) -> None:
    _, path = page
    text = path.read_text()
    parser = Tags()
    parser.feed(text)
    tags = [t for t, _ in parser.tags]
    assert tags.count("script") == 2  # the data and the page's own code, nothing from a name
    assert "img" not in tags and "marquee" not in tags
    assert not re.search(r"(src|href)=\"?https?://", text)  # no external resources
    assert "<img src=x" not in text and "alert(2)</script>" not in text


def test_the_findings_are_data_not_rows(page: tuple[AuditResult, Path]) -> None:
    result, path = page
    assert path.stat().st_mode & 0o777 == 0o600
    assert text_rows(path.read_text()) < 200  # rows are drawn by the script, a page at a time
    assert len(result.findings) > 100


def test_each_row_kind_names_its_fields_for_the_script(page: tuple[AuditResult, Path]) -> None:
    result, _ = page
    data = result.report.data
    for kind, fields in data["rows"].items():
        assert len(set(fields)) == len(fields)
        assert all(len(row) == len(fields) for row in data[kind]), kind
    finding = dict(zip(data["rows"]["findings"], data["findings"][0], strict=True))
    assert finding["rule_id"] in set(result.findings["rule_id"])
    assert data["messages"][finding["message"]] in set(result.findings["message"])


def text_rows(text: str) -> int:
    return text.count("<tr>")


@pytest.fixture
def opened(browser: Browser, page: tuple[AuditResult, Path]) -> Iterator[Opened]:
    """The review page open in Chromium (failing the test on any console error or dialog)."""
    with open_page(browser, page[1]) as seen:
        yield seen


def count(tab: Page, selector: str) -> int:
    return int(tab.locator(selector).inner_text().split()[0].replace(",", ""))


def test_in_a_browser_it_draws_pages_and_runs_nothing_from_the_data(
    page: tuple[AuditResult, Path], opened: Opened
) -> None:
    result, _ = page
    tab = opened.tab
    assert tab.locator("div.cluster").count() == min(20, result.duplicates["cluster_id"].nunique())
    assert count(tab, "#finding-count") == len(result.findings)
    assert tab.locator("#finding-rows tr").count() == min(100, len(result.findings))
    review = result.pairs["rule_id"].isin(
        ["DUP-CUS-003", "DUP-LOC-001", "DUP-LOC-002", "DUP-LOC-003"]
    )
    assert tab.locator("#pair-rows tr").count() == min(100, int(review.sum())) > 0
    assert tab.locator("img, marquee").count() == 0  # the names stayed text
    tab.select_option("#finding-rule", "DUP-MRG-001")
    assert "DUPLICATE - <img src=x onerror=alert(1)>" in tab.locator("#finding-rows").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.evaluate("window.scrollTo(0, 0)")
    tab.screenshot(path=SHOTS / "report-summary.png")  # the header and the summary's top
    tab.locator("div.cluster").first.screenshot(path=SHOTS / "report-cluster.png")


def test_filters_search_and_pages_work(page: tuple[AuditResult, Path], opened: Opened) -> None:
    result, _ = page
    tab, found = opened.tab, result.findings
    tab.select_option("#finding-severity", "high")
    assert count(tab, "#finding-count") == (found["severity"] == "high").sum()
    assert set(tab.locator("#finding-rows td.sev-high").all_inner_texts()) == {"high"}
    tab.select_option("#finding-severity", "")
    rule = found["rule_id"].value_counts().index[0]
    tab.select_option("#finding-rule", rule)
    assert count(tab, "#finding-count") == (found["rule_id"] == rule).sum()
    tab.select_option("#finding-rule", "")
    record = str(found["record_id"].iloc[0])
    tab.fill("#finding-search", record)
    assert count(tab, "#finding-count") >= 1
    assert all(record in row for row in tab.locator("#finding-rows tr").all_inner_texts())
    tab.fill("#finding-search", "")
    tab.click("#finding-head th:has-text('Record')")
    ids = [
        int(r.split("#")[1])
        for r in tab.locator("#finding-rows td:nth-child(3) a").all_inner_texts()
    ]
    assert ids == sorted(ids) and ids[0] == found["record_id"].astype(int).min()
    tab.click("#finding-head th:has-text('Record')")
    ids = [
        int(r.split("#")[1])
        for r in tab.locator("#finding-rows td:nth-child(3) a").all_inner_texts()
    ]
    assert ids == sorted(ids, reverse=True)
    tab.select_option("#cluster-sort", "size")
    sizes = [
        tab.locator("div.cluster").nth(i).locator("tr").first.locator("th").count() - 1
        for i in range(tab.locator("div.cluster").count())
    ]
    assert (
        sizes == sorted(sizes, reverse=True) and sizes[0] == result.duplicates["cluster_size"].max()
    )
    tab.locator("#finding-pager button", has_text="next").click()
    assert "page 2 of" in tab.locator("#finding-pager").inner_text()
    keeper = result.duplicates[result.duplicates["role"] == "keep"].iloc[-1]
    tab.fill("#cluster-search", str(keeper["record_id"]))
    assert count(tab, "#cluster-count") >= 1
    assert f"Cluster {keeper['cluster_id']}" in tab.locator("#cluster-list").inner_text()


def test_a_cluster_split_from_a_larger_group_says_so(
    page: tuple[AuditResult, Path], browser: Browser, tmp_path: Path
) -> None:
    result, _ = page
    dups = result.duplicates.copy()
    chosen = dups["cluster_id"].iloc[-1]
    group = int(result.findings["record_id"].dropna().astype(int).min())  # any record elsewhere
    dups["split_from"] = dups["split_from"].astype(object)
    dups.loc[dups["cluster_id"] == chosen, "split_from"] = group
    context = report_context(dataclasses.replace(result, duplicates=dups))
    write_report(context, tmp_path / "index.html")
    with open_page(browser, tmp_path / "index.html") as seen:
        tab = seen.tab
        tab.fill("#cluster-search", str(group))
        card = tab.locator("div.cluster", has_text=f"Cluster {chosen} ")
        assert card.count() == 1
        assert f"larger group that shared details with customer #{group}" in card.inner_text()
        others = tab.locator("div.cluster", has_text="Taken from a larger group")
        assert others.count() == 1, "only the split cluster says so"


def test_links_open_the_records_in_servicetitan(
    page: tuple[AuditResult, Path], opened: Opened
) -> None:
    result, _ = page
    tab = opened.tab
    first = tab.locator("div.cluster").first
    links = first.locator("a")
    cluster = int(first.locator("h3").inner_text().split()[1])
    members = set(
        result.duplicates.loc[result.duplicates["cluster_id"] == cluster, "record_id"].astype(int)
    )
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert hrefs == {f"https://go.servicetitan.com/#/Customer/{m}" for m in members}
    every = tab.eval_on_selector_all("a", "links => links.map(a => a.href)")
    assert every and all(h.startswith("https://go.servicetitan.com/#/") for h in every)


def test_the_exported_decisions_are_what_import_takes(
    page: tuple[AuditResult, Path], opened: Opened, browser: Browser, tmp_path: Path
) -> None:
    result, path = page
    tab = opened.tab
    tab.fill("#reviewer", "Dana")
    first = tab.locator("div.cluster").first
    cluster = int(first.locator("h3").inner_text().split()[1])
    members = result.duplicates[result.duplicates["cluster_id"] == cluster]
    apart = int(members.loc[members["role"] == "merge", "record_id"].iloc[0])
    first.locator("button", has_text="Not a duplicate").first.click()  # the first merge record's
    marks = len(members) - 1  # one pair with each other record of the cluster
    assert tab.locator("#mark-count").inner_text() == f"{marks} decision{'s' * (marks > 1)} marked"
    tab.select_option("#finding-rule", "DUP-MRG-001")
    tab.locator("#finding-rows button.mark").first.click()
    assert tab.locator("#mark-count").inner_text() == f"{marks + 1} decisions marked"
    with tab.expect_download() as download:
        tab.click("#export-marks")
    file = tmp_path / download.value.suggested_filename
    download.value.save_as(file)
    document = json.loads(file.read_text())
    assert [d["kind"] for d in document["decisions"]] == ["not_duplicate"] * marks + ["protected"]
    assert {d["who"] for d in document["decisions"]} == {"Dana"}

    snapshot = path.parent.parent / "tenant.sqlite"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "titanaudit",
            "decisions",
            "import",
            str(file),
            "--db",
            str(snapshot),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with open_snapshot(snapshot) as opened_snapshot:
        again = run_audit(opened_snapshot, as_of="2026-11-01")
    assert again.summary["decisions"]["applied"] == marks + 1
    now = again.duplicates.set_index("record_id")["cluster_id"]
    keeper = int(members.loc[members["role"] == "keep", "record_id"].iloc[0])
    assert apart not in now.index or now[apart] != now.get(keeper)
    assert again.summary["decisions"]["suppressed"]["findings"] >= 1
    # the next audit's page: the decisions listed as applied, what they suppressed counted, and
    # the chart of change over the two audits
    write_audit(again, tmp_path / "again")
    with open_page(browser, tmp_path / "again" / "index.html") as second:
        tab = second.tab
        states = tab.locator("#decision-rows td:last-child").all_inner_texts()
        assert states == ["applied"] * (marks + 1)
        assert "findings suppressed by reviewers' decisions" in tab.locator("#summary").inner_text()
        assert tab.locator("svg.trend polyline").count() == 2
        assert count(tab, "#resolved-count") == len(again.resolved) > 0
        tab.select_option("#finding-status", "suppressed")
        assert count(tab, "#finding-count") == again.summary["decisions"]["suppressed"]["findings"]
        tab.evaluate("window.scrollTo(0, 0)")
        tab.screenshot(path=SHOTS / "report-second-audit.png")


def test_the_keeper_and_the_merge_steps_follow_the_reviewers_choice(
    page: tuple[AuditResult, Path], opened: Opened
) -> None:
    result, _ = page
    tab = opened.tab
    sizes = result.duplicates.groupby("cluster_id").size()
    tab.fill("#cluster-search", str(int(sizes[sizes == 2].index[0])))
    card = tab.locator("div.cluster").first
    roles = card.locator("th span.role")
    assert roles.all_inner_texts() == [" keep", " merge"]
    other = card.locator("th a").nth(1).inner_text()  # "#id" of the record to merge
    card.locator("button", has_text="Keep this one instead").click()
    card = tab.locator("div.cluster").first
    assert roles.all_inner_texts() == [" merge", " keep (your choice)"]
    assert "Choose the customer to keep: " in card.locator("ol.steps li").nth(2).inner_text()
    assert f"({other})" in card.locator("ol.steps li").nth(2).inner_text()
    assert tab.locator("#mark-count").inner_text() == "1 decision marked"
    # the first record, now to merge, is marked not a duplicate instead: nothing is left to merge,
    # and a record is never both kept and left apart
    card.locator("button", has_text="Not a duplicate").click()
    assert roles.all_inner_texts() == [" not a duplicate", " keep (your choice)"]
    assert "Nothing to merge" in card.inner_text()
    assert tab.locator("#mark-count").inner_text() == "2 decisions marked"
    card.locator("button", has_text="✓ Keep this one instead").click()  # taken back
    assert roles.all_inner_texts() == [" keep", " not a duplicate"]
    assert tab.locator("#mark-count").inner_text() == "1 decision marked"


def test_empty_views_say_so_and_rule_ids_stay_on_one_line(opened: Opened) -> None:
    tab = opened.tab
    tab.fill("#cluster-search", "no such customer anywhere")
    assert tab.locator("#cluster-list").inner_text() == "No cluster matches this search."
    tab.fill("#finding-search", "no such value anywhere")
    assert tab.locator("#finding-rows").inner_text().strip() == "No finding matches these filters."
    tab.fill("#finding-search", "")
    cell = tab.locator("#finding-rows td.rule").first
    tab.set_viewport_size({"width": 700, "height": 900})  # narrow: the columns are squeezed
    assert cell.evaluate("td => getComputedStyle(td).whiteSpace") == "nowrap"
    lines = "td => { const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length; }"
    assert cell.evaluate(lines) == 1  # the text's line boxes: one, however tall the row


def test_cells_differ_only_where_the_matching_sees_a_difference() -> None:
    import pandas as pd

    from titanaudit.reports.context import _as_compared

    customers = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["John Smith", "SMITH, JOHN", "Joan Smith"],
            "street": ["12 West Elm Street", "12 W Elm St", "12 W Elm St Apt 4"],
            "unit": [None, None, None],
            "city": ["Mesa", "mesa", "Mesa"],
            "state": ["AZ", "AZ", "AZ"],
            "zip": ["85201", "85201-1234", "85201"],
        }
    )
    contacts = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3],
            "value": [
                "(903) 747-1393",
                "J.Smith@Example.com",
                "j.smith@example.com",
                "903.747.1393",
                "9037471394",
            ],
        }
    )
    same = _as_compared(customers, contacts)
    assert same[1] == same[2]  # case, Last, First, St for Street, ZIP+4, a phone's formatting
    assert all(same[3][k] != same[1][k] for k in ("name", "address", "contacts"))


def test_why_it_matches_is_said_in_words_with_the_weights_behind_a_toggle(opened: Opened) -> None:
    card = opened.tab.locator("div.cluster").first
    why = (
        card.locator("tr", has=opened.tab.locator("th", has_text="Why it matches"))
        .locator("td")
        .nth(1)
    )
    said = why.inner_text()
    assert said[:1].isupper() and "+" not in said.split("weights")[0]  # no weights in the words
    toggle = why.locator("details.weights")
    assert not toggle.evaluate("d => d.open")
    toggle.locator("summary").click()
    assert re.search(r"[+-]\d+\.\d", toggle.inner_text())


def test_each_finding_names_whose_record_it_is_and_where(
    page: tuple[AuditResult, Path], opened: Opened
) -> None:
    tab = opened.tab
    result, _ = page
    customers = result.frames.customers.set_index("id")
    locations = result.frames.locations.set_index("id")
    rows = tab.locator("#finding-rows tr")
    seen = set()
    for n in range(min(rows.count(), 40)):
        href = rows.nth(n).locator("td").nth(2).locator("a").get_attribute("href") or ""
        kind, number = re.search(r"#/(Customer|Location)/(\d+)", href).groups()  # type: ignore[union-attr]
        record = (customers if kind == "Customer" else locations).loc[int(number)]
        said = rows.nth(n).locator("span.whose").inner_text()
        assert str(record["name"]) in said and str(record["city"]) in said, (href, said)
        seen.add(kind)
    assert seen == {"Customer", "Location"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    box = tab.locator("#findings").bounding_box()
    assert box is not None
    tab.screenshot(
        path=SHOTS / "report-findings.png",
        full_page=True,
        clip={"x": box["x"], "y": box["y"], "width": box["width"], "height": 520},
    )
    last = rows.nth(rows.count() - 1).locator("span.whose").inner_text().split(" · ")[0]
    tab.fill("#finding-search", last)  # a finding is found by its customer's name too
    assert count(tab, "#finding-count") >= 1
    assert last in rows.first.locator("span.whose").inner_text()


def test_the_page_opens_on_a_queue_of_what_to_do_first(
    page: tuple[AuditResult, Path], opened: Opened
) -> None:
    result, _ = page
    tab = opened.tab
    assert tab.locator("section").first.get_attribute("id") == "queue"
    assert not tab.locator("details#rules-fold").evaluate(
        "d => d.open"
    )  # the rule table folds away
    items = tab.evaluate(
        "() => JSON.parse(document.getElementById('audit-data').textContent).queue"
    )

    def rank(item: dict[str, str]) -> int:
        if item["kind"] == "cluster":
            return 0 if ("balance" in item["text"] or "waits" in item["text"]) else 2
        return 1 if item["rule"].startswith(("ADR-", "GEO-")) else 3

    ranks = [rank(i) for i in items["items"]]
    assert ranks == sorted(ranks) and len(ranks) == min(25, items["total"]) > 0
    high = result.findings[
        (result.findings["severity"] == "high") & (result.findings["status"] != "suppressed")
    ]
    assert items["total"] >= len(high)
    rows = tab.locator("#queue-list li")
    assert rows.count() == len(ranks)
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.locator("#queue").screenshot(path=SHOTS / "report-queue.png")
    left = len(ranks)
    assert tab.locator("#queue-count").inner_text().startswith(f"{left} left, 0 done")
    rows.nth(0).locator("input").check()
    assert tab.locator("#queue-count").inner_text().startswith(f"{left - 1} left, 1 done")
    tab.reload()  # ticked stays ticked in this browser
    assert tab.locator("#queue-list li").nth(0).locator("input").is_checked()
    cluster = next(n for n, i in enumerate(items["items"]) if i["kind"] == "cluster")
    tab.locator("#queue-list li").nth(cluster).locator("button", has_text="Show").click()
    bar, heading = (
        tab.locator("#marks").bounding_box(),
        tab.locator("#duplicates h2").bounding_box(),
    )
    assert bar is not None and heading is not None
    assert heading["y"] >= bar["y"] + bar["height"] - 1  # the sticky bar covers nothing it shows
    assert tab.locator("div.cluster").count() == 1
    assert (
        tab.locator("div.cluster h3")
        .inner_text()
        .startswith(f"Cluster {items['items'][cluster]['target']} ")
    )
    finding = next(n for n, i in enumerate(items["items"]) if i["kind"] == "finding")
    tab.locator("#queue-list li").nth(finding).locator("button", has_text="Show").click()
    shown = tab.locator("#finding-rows tr").first.locator("td a").first.inner_text()
    assert shown.endswith("#" + items["items"][finding]["target"])


def test_a_cell_that_differs_marks_the_words_that_differ(opened: Opened) -> None:
    tab = opened.tab
    checked = 0
    for card in tab.locator("div.cluster").all():
        for label in ("Name", "Address"):
            row = card.locator("tr", has=tab.locator("th", has_text=label))
            cells = row.locator("td")
            kept = {w.strip(".,").lower() for w in cells.nth(0).inner_text().split()}
            for n in range(1, cells.count()):
                cell = cells.nth(n)
                if "differs" not in (cell.get_attribute("class") or ""):
                    assert cell.locator("mark").count() == 0
                    continue
                marks = cell.locator("mark").all_inner_texts()
                missing = " ".join(cell.locator("del").all_inner_texts()).split()
                assert marks or missing, cell.inner_text()
                assert all(m.strip(".,").lower() not in kept for m in marks), (kept, marks)
                assert all(m.strip(".,").lower() in kept for m in missing), (kept, missing)
                checked += 1
    assert checked > 0
