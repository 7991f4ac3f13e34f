"""``titanaudit review``: the page served on loopback, decisions written to the snapshot as they
are made, in real Chromium, and the server against requests that are not the page's."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from titanaudit.audit import AuditResult, run_audit
from titanaudit.reports.render import render_report
from titanaudit.review import TOKEN_HEADER, ReviewServer
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.store import open_snapshot
from titanaudit.testing import snapshot_from_tenant

AS_OF = TenantSpec().as_of


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, AuditResult]:
    db = tmp_path_factory.mktemp("review") / "tenant.sqlite"
    snapshot_from_tenant(generate_tenant(TenantSpec(customers=300, seed=4)), db).close()
    with open_snapshot(db) as snapshot:
        result = run_audit(snapshot, as_of=AS_OF)
    return db, render_report(result.report, review=True), result


@pytest.fixture
def server(reviewed: tuple[Path, str, AuditResult]) -> Iterator[ReviewServer]:
    db, page, _ = reviewed
    with open_snapshot(db) as snapshot:  # each test starts with no decisions
        stored = snapshot.decisions()
        snapshot.change_decisions(
            stored.iloc[:0],
            [
                tuple(r)
                for r in stored[["kind", "entity", "left_id", "right_id"]].itertuples(index=False)
            ],
        )
    with ReviewServer(db, page) as running:
        yield running


def _decision(record: int = 7) -> dict[str, object]:
    return {
        "kind": "protected",
        "entity": "customers",
        "record_id": record,
        "fingerprint": "0123456789abcdef",
    }


def test_only_the_page_with_its_token_may_read_or_write(
    server: ReviewServer, reviewed: tuple[Path, str, AuditResult]
) -> None:
    db = reviewed[0]
    assert server.host == "127.0.0.1"
    good = {TOKEN_HEADER: server.token, "Content-Type": "application/json"}
    with httpx.Client(base_url=server.url) as client:
        page = client.get(f"/?token={server.token}")
        assert page.status_code == 200 and "audit-data" in page.text
        assert (
            page.headers["referrer-policy"] == "no-referrer"
            and page.headers["cache-control"] == "no-store"
        )
        assert "connect-src 'self'" in page.headers["content-security-policy"]
        assert client.get("/").status_code == 403
        assert client.get("/?token=guess").status_code == 403
        assert (
            client.get(f"/api/decisions?token={server.token}").status_code == 403
        )  # the header only
        # a page elsewhere whose name was rebound to 127.0.0.1
        assert (
            client.get(f"/?token={server.token}", headers={"Host": "evil.example"}).status_code
            == 403
        )
        body = {"set": [_decision()], "who": "Mallory"}
        hostile = [
            ({"Content-Type": "application/json"}, 403),  # no token
            ({TOKEN_HEADER: "guess", "Content-Type": "application/json"}, 403),
            ({**good, "Origin": "https://evil.example"}, 403),
            ({**good, "Sec-Fetch-Site": "cross-site"}, 403),
            ({TOKEN_HEADER: server.token, "Content-Type": "text/plain"}, 415),  # a form's post
        ]
        for headers, status in hostile:
            assert (
                client.post("/api/decisions", json=body, headers=headers).status_code == status
            ), headers
        preflight = client.options(
            "/api/decisions",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers
        assert (
            client.post("/api/decisions", content=b"x" * 1_000_001, headers=good).status_code == 413
        )
        bad = client.post("/api/decisions", json={"set": [{"kind": "merge"}]}, headers=good)
        assert bad.status_code == 400 and "kind must be one of" in bad.json()["error"]
        with open_snapshot(db) as snapshot:
            assert snapshot.decisions().empty  # nothing hostile was written
        done = client.post("/api/decisions", json=body, headers={**good, "Origin": server.url})
        assert done.status_code == 200 and [d["who"] for d in done.json()["decisions"]] == [
            "Mallory"
        ]
        cleared = client.post("/api/decisions", json={"clear": [_decision()]}, headers=good)
        assert cleared.json()["decisions"] == []


def _open(browser: Browser, address: str) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.goto(address)
    return tab, errors


def test_a_decision_is_saved_as_it_is_made_and_shown_after_a_restart(
    server: ReviewServer, reviewed: tuple[Path, str, AuditResult], browser: Browser
) -> None:
    db, page, result = reviewed
    tab, errors = _open(browser, server.address)
    tab.fill("#reviewer", "Dana")
    first = tab.locator("div.cluster").first
    cluster = int(first.locator("h3").inner_text().split()[1])
    members = result.duplicates[result.duplicates["cluster_id"] == cluster]
    pairs = len(members) - 1
    first.locator("button", has_text="Not a duplicate").first.click()
    said = f"{pairs} decision{'s' * (pairs > 1)} saved in tenant.sqlite"
    expect(tab.locator("#mark-count")).to_have_text(said)
    with open_snapshot(db) as snapshot:
        stored = snapshot.decisions()
    assert list(stored["kind"]) == ["not_duplicate"] * pairs and set(stored["who"]) == {"Dana"}
    assert set(stored["left_id"]) | set(stored["right_id"]) <= set(members["record_id"].astype(int))
    tab.context.close()

    # a new server (a new token): the page shows the decision from the snapshot, the next audit applies it
    server.stop()
    with ReviewServer(db, page) as again:
        tab, errors_again = _open(browser, again.address)
        expect(tab.locator("#mark-count")).to_have_text(said)
        pressed = (
            tab.locator("div.cluster").first.locator("button", has_text="Not a duplicate").first
        )
        assert pressed.get_attribute("aria-pressed") == "true"
        pressed.click()  # and taken back
        expect(tab.locator("#mark-count")).to_have_text("No decisions yet")
        tab.context.close()
    with open_snapshot(db) as snapshot:
        assert snapshot.decisions().empty
    assert errors == [] and errors_again == []


def test_two_reviewers_keep_each_others_decisions(
    server: ReviewServer, reviewed: tuple[Path, str, AuditResult], browser: Browser
) -> None:
    db = reviewed[0]
    dana, _ = _open(browser, server.address)
    lee, _ = _open(browser, server.address)  # opened before Dana decides anything
    dana.fill("#reviewer", "Dana")
    lee.fill("#reviewer", "Lee")
    dana.locator("div.cluster").nth(0).locator("button", has_text="Protect").first.click()
    expect(dana.locator("#mark-count")).to_have_text(re.compile(r"^1 decision saved"))
    lee.locator("div.cluster").nth(1).locator("button", has_text="Protect").first.click()
    expect(lee.locator("#mark-count")).to_have_text(re.compile(r"^2 decisions saved"))
    with open_snapshot(db) as snapshot:
        assert sorted(snapshot.decisions()["who"]) == ["Dana", "Lee"]
    dana.context.close()
    lee.context.close()


def test_the_command_prints_its_address_and_stops_on_ctrl_c(
    reviewed: tuple[Path, str, AuditResult],
) -> None:
    db = reviewed[0]
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "titanaudit",
            "review",
            "--db",
            str(db),
            "--no-browser",
            "--quiet",
            "--as-of",
            "2026-11-01",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert run.stdout is not None
        address = run.stdout.readline().strip()
        assert address.startswith("http://127.0.0.1:") and "?token=" in address
        assert httpx.get(address).status_code == 200
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 0, err
    assert "Traceback" not in err and err.strip().endswith("stopped")
