"""The monthly run as a scheduler meets it: the simulator for the fetch, a real SMTP server
(aiosmtpd) and a real HTTP server on loopback for the deliveries, real processes for the lock
and for a run killed halfway."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from playwright.sync_api import Browser

from tests.browser import open_page
from titanaudit.errors import AuthenticationError, BusyError, ConfigError
from titanaudit.monthly import (
    EXIT_ATTENTION,
    MonthlyRun,
    month_folders,
    monthly_settings,
    run_monthly,
)
from titanaudit.runlock import hold, lock_path
from titanaudit.simulator import SimulatorServer, Tenant, TenantSpec, generate_tenant
from titanaudit.testing import simulator_config, simulator_env, snapshot_from_tenant

Serve = Callable[..., SimulatorServer]
START = TenantSpec().as_of + timedelta(days=3)  # the generated data's own time, not today's


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """What the loopback SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append((data.login.decode(), data.password.decode()))
            return AuthResult(success=data.password == b"s3cret-smtp", handled=False)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=inbox, auth_require_tls=False
    )
    controller.start()
    yield port, inbox
    controller.stop()


class Hook:
    """A loopback HTTP server standing in for a Slack or Teams incoming webhook."""

    def __init__(self, status: int = 200) -> None:
        self.status, self.posts = status, []  # type: ignore[var-annotated]
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.posts.append((self.path, json.loads(body)))
                self.send_response(hook.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/tok3n"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    made = Hook()
    yield made
    made.close()


def mail_table(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "from": "audit@example.com",
        "to": ["office@example.com"],
        **extra,
    }


def _clone_customer(tenant: Tenant, source: dict[str, Any], new_id: int, when: str) -> None:
    """The same person entered again as a new customer (a caller not found by phone)."""
    copy = json.loads(json.dumps(source)) | {"id": new_id, "createdOn": when, "modifiedOn": when}
    tenant.feeds["customers"].append(copy)
    for n, contact in enumerate(
        c for c in list(tenant.feeds["customer_contacts"]) if c["customerId"] == source["id"]
    ):
        again = json.loads(json.dumps(contact))
        again.update(id=new_id + 1 + n, customerId=new_id, createdOn=when, modifiedOn=when)
        tenant.feeds["customer_contacts"].append(again)


def test_three_months_against_a_changing_tenant(
    tenant: Tenant, serve: Serve, tmp_path: Path, smtp: tuple[int, Inbox]
) -> None:
    now = [START]
    db, out = tmp_path / "tenant.sqlite", tmp_path / "audits"
    settings = monthly_settings({"email": mail_table(smtp[0])})
    inbox = smtp[1]

    def month(server: SimulatorServer) -> MonthlyRun:
        return run_monthly(
            db,
            out,
            config=simulator_config(server),
            settings=settings,
            clock=lambda: now[0],
            env={},
        )

    server = serve(tenant, clock=lambda: now[0].timestamp())
    first = month(server)
    assert first.folder == out / START.date().isoformat()
    assert first.summary["change"]["previous_audit"] is None
    assert first.exit_code == EXIT_ATTENTION and first.line.startswith(
        f"titanaudit monthly {START.date()}: needs attention"
    )
    assert (out / "latest").resolve() == first.folder.resolve()
    assert {p.name for p in first.folder.iterdir()} >= {
        "index.html",
        "duplicates.csv",
        "audit.json",
    }

    # a day later, nothing changed in ServiceTitan: nothing is new
    now[0] += timedelta(days=1)
    second = month(server)
    change = second.summary["change"]
    assert change["previous_audit"] == first.summary["generated_at"]
    assert change["new"] == 0 and change["persisting"] > 100
    assert second.exit_code == 0 and "nothing new needs attention" in second.line

    # a month on, the office fixed a name, merged a duplicate, and a caller was entered again
    now[0] += timedelta(days=28)
    stamp = now[0].isoformat().replace("+00:00", "Z")
    shouting = next(
        c for c in tenant.feeds["customers"] if c["name"].isupper() and len(c["name"]) > 6
    )
    clusters = first.summary["duplicates"]["customer_clusters"]
    assert clusters > 0
    pair = [int(i) for i in _a_pair(first)]
    server.state.touch("customers", shouting["id"], name=shouting["name"].title())
    server.state.touch("customers", pair[1], active=False, mergedToId=pair[0])
    plain = next(
        c
        for c in tenant.feeds["customers"]
        if c["type"] == "Residential"
        and c["id"] not in pair
        and c["active"]
        and not c["mergedToId"]
        and not c["name"].isupper()
    )
    _clone_customer(tenant, plain, 19_000_001, stamp)
    now[0] += timedelta(days=2)
    server = serve(tenant, clock=lambda: now[0].timestamp())  # the tenant as it is now
    third = month(server)
    change = third.summary["change"]
    assert change["merged_since"] >= 1 and change["resolved"]["finding"] >= 1
    assert third.exit_code == EXIT_ATTENTION
    assert any(19_000_001 in c and plain["id"] in c for c in third.attention["sure_clusters"]), (
        third.attention
    )

    # three folders, latest at the third, and the month index listing each with what changed
    assert [p.name for p in month_folders(out)] == [
        first.folder.name,
        second.folder.name,
        third.folder.name,
    ]
    assert (out / "latest").resolve() == third.folder.resolve()
    index = (out / "index.html").read_text(encoding="utf-8")
    for run in (first, second, third):
        assert f'href="{run.folder.name}/index.html"' in index
    assert "first audit: everything is new" in index and "nothing new" in index
    assert oct((third.folder / "audit.json").stat().st_mode & 0o777) == "0o600"

    # the mail: one per month, counts and ids, no customer's name or phone
    assert [m["Subject"] for m in inbox.messages] == [first.line, second.line, third.line]
    body = inbox.messages[2].get_content()
    assert f"#{plain['id']}" in body and "19000001" in body
    assert plain["name"] not in body and shouting["name"].title() not in body
    assert not any(part.get_filename() for part in inbox.messages[2].iter_attachments())


def _a_pair(run: MonthlyRun) -> list[str]:
    frame = (run.folder / "duplicates.csv").read_text(encoding="utf-8").splitlines()
    header = frame[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in frame[1:]]
    rows = [r for r in rows if r["entity"] == "customers"]
    cluster = rows[0]["cluster_id"]
    members = sorted(r["record_id"] for r in rows if r["cluster_id"] == cluster)
    return members[:2]


def cli(
    args: list[str], env: dict[str, str] | None = None, **popen: Any
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ST_", "TITANAUDIT_"))}
    return subprocess.run(
        [sys.executable, "-m", "titanaudit", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **popen,
    )


@pytest.mark.slow
def test_the_command_posts_to_a_webhook_and_exits_for_the_scheduler(
    tenant: Tenant, serve: Serve, tmp_path: Path, hook: Hook
) -> None:
    server = serve(tenant)
    config = tmp_path / "titanaudit.toml"
    config.write_text('[webhook]\nstyle = "slack"\n', encoding="utf-8")
    db, out = tmp_path / "tenant.sqlite", tmp_path / "audits"
    args = [
        "monthly",
        "--db",
        str(db),
        "--out",
        str(out),
        "--config",
        str(config),
        "--api-url",
        server.url,
        "--auth-url",
        server.url,
        "--quiet",
    ]
    env = simulator_env(server) | {"TITANAUDIT_WEBHOOK_URL": hook.url}
    done = cli(args, env)
    assert done.returncode == EXIT_ATTENTION, done.stderr
    lines = done.stdout.splitlines()
    assert (
        len(lines) == 1
        and lines[0].startswith("titanaudit monthly ")
        and "needs attention" in lines[0]
    )
    assert "summary sent: webhook" in done.stderr and "Traceback" not in done.stderr
    ((path, posted),) = hook.posts
    assert path == "/services/T000/B000/tok3n" and posted["text"].startswith(lines[0])
    names = {c["name"] for c in tenant.feeds["customers"]}
    assert not any(name in posted["text"] for name in names if len(name) > 5)
    latest = (out / "latest").resolve()
    assert (latest / "index.html").is_file() and (out / "index.html").is_file()

    # the hook breaks: the audit is still written and latest moves; the run exits 12 and says so
    hook.status = 500
    again = cli(args, env)
    assert again.returncode == 12, again.stderr
    assert "the webhook at 127.0.0.1 answered 500" in again.stderr
    assert "tok3n" not in again.stderr + again.stdout  # the hook's URL is a secret
    assert len(month_folders(out)) == 2 and (out / "latest").resolve() != latest
    assert (
        again.stdout.startswith("titanaudit monthly ")
        and "nothing new needs attention" in again.stdout
    )


def test_mail_logs_in_with_the_password_from_the_environment(
    tenant: Tenant, tmp_path: Path, smtp: tuple[int, Inbox]
) -> None:
    port, inbox = smtp
    db = tmp_path / "tenant.sqlite"
    snapshot_from_tenant(tenant, db).close()
    table = {"email": mail_table(port, username="audit", security="starttls", attach_page=True)}
    settings = monthly_settings(table)
    missing = run_monthly(
        db, tmp_path / "out", config=None, settings=settings, clock=lambda: START, env={}
    )
    assert missing.exit_code == 12 and "TITANAUDIT_SMTP_PASSWORD" in missing.failures[0]
    wrong = run_monthly(
        db,
        tmp_path / "out",
        config=None,
        settings=settings,
        clock=lambda: START,
        env={"TITANAUDIT_SMTP_PASSWORD": "nope"},
    )
    assert wrong.exit_code == 12 and "refused the login of audit" in wrong.failures[0]
    assert "nope" not in wrong.failures[0]
    right = run_monthly(
        db,
        tmp_path / "out",
        config=None,
        settings=settings,
        clock=lambda: START,
        env={"TITANAUDIT_SMTP_PASSWORD": "s3cret-smtp"},
    )
    assert right.exit_code == 0 and right.delivered == ["e-mail to office@example.com"]
    assert inbox.logins[-1] == ("audit", "s3cret-smtp")
    (message,) = inbox.messages
    (page,) = message.iter_attachments()
    assert page.get_filename() == f"titanaudit-{right.folder.name}.html"
    assert [p.name for p in month_folders(tmp_path / "out")] == [
        START.date().isoformat(),
        f"{START.date()}-2",
        f"{START.date()}-3",
    ]


def _outside_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # nothing is sent: this only picks the outgoing interface
        except OSError:
            return None
        address = str(s.getsockname()[0])
    return None if address.startswith("127.") else address


def test_mail_to_another_machine_needs_encryption(tenant: Tenant, tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="security none is allowed only to a server on this machine"
    ):
        monthly_settings({"email": mail_table(25, host="smtp.example.com", security="none")})
    with pytest.raises(ConfigError, match="holds a password"):
        monthly_settings({"email": mail_table(25, password="x")})
    with pytest.raises(ConfigError, match=r"\[email\] has no setting 'recipients'"):
        monthly_settings({"email": mail_table(25, recipients=["a@b.c"])})
    with pytest.raises(ConfigError, match="plain http"):
        monthly_settings({"webhook": {"url": "http://hooks.example.com/x"}})
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname=address, port=port)  # no STARTTLS offered
    controller.start()
    try:
        db = tmp_path / "tenant.sqlite"
        snapshot_from_tenant(tenant, db).close()
        settings = monthly_settings({"email": mail_table(port, host=address)})
        run = run_monthly(
            db, tmp_path / "out", config=None, settings=settings, clock=lambda: START, env={}
        )
    finally:
        controller.stop()
    assert run.exit_code == 12 and "does not offer STARTTLS" in run.failures[0]
    assert inbox.messages == []


HOLD = """
import sys, time
from pathlib import Path
from titanaudit.runlock import hold
with hold(Path(sys.argv[1]), command="a test holding the lock"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_one_run_at_a_time_and_a_killed_holder_is_taken_over(
    tenant: Tenant, tmp_path: Path
) -> None:
    db = tmp_path / "tenant.sqlite"
    snapshot_from_tenant(tenant, db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        settings = monthly_settings({"monthly": {"lock_wait": 0.5}})
        with pytest.raises(
            BusyError, match=f"in use by process {holder.pid} on .* \\(a test holding the lock\\)"
        ):
            run_monthly(db, tmp_path / "out", config=None, settings=settings, clock=lambda: START)
        assert not (tmp_path / "out").exists() or month_folders(tmp_path / "out") == []
        done = cli(
            [
                "monthly",
                "--db",
                str(db),
                "--out",
                str(tmp_path / "out"),
                "--no-fetch",
                "--lock-wait",
                "0.5",
                "--quiet",
            ]
        )
        assert done.returncode == 9 and done.stderr.startswith("error: ") and done.stdout == ""
        os.kill(holder.pid, signal.SIGKILL)  # the holder dies without letting go
        holder.wait()
        run = run_monthly(db, tmp_path / "out", config=None, settings=settings, clock=lambda: START)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert any(f"process {holder.pid}" in note and "took over" in note for note in run.notes)
    assert not lock_path(db).exists()  # let go: nothing left beside the snapshot


def _held(db: Path) -> bool:
    try:
        return lock_path(db).read_text(encoding="utf-8") != ""
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_a_run_killed_halfway_leaves_last_month_as_it_was(tmp_path: Path) -> None:
    tenant = generate_tenant(TenantSpec(customers=2500, seed=3))
    db, out = tmp_path / "tenant.sqlite", tmp_path / "audits"
    snapshot_from_tenant(tenant, db).close()
    settings = monthly_settings({})
    first = run_monthly(db, out, config=None, settings=settings, clock=lambda: START)
    before = sorted(p.name for p in out.iterdir())
    index = (out / "index.html").read_bytes()
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "titanaudit",
            "monthly",
            "--db",
            str(db),
            "--out",
            str(out),
            "--no-fetch",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not _held(db) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # into the audit
        assert run.poll() is None, "the run ended before it could be killed"
        run.send_signal(signal.SIGKILL)
        run.wait()
    finally:
        run.kill()
        run.communicate()
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".partial")) == before
    assert (out / "latest").resolve() == first.folder.resolve()
    assert (out / "index.html").read_bytes() == index
    later = run_monthly(
        db, out, config=None, settings=settings, clock=lambda: START + timedelta(days=30)
    )
    assert later.summary["change"]["previous_audit"] == first.summary["generated_at"]
    assert not list(out.glob(".*.partial")) and later.notes and "took over" in later.notes[0]


def test_months_beyond_keep_are_removed_and_nothing_else(tenant: Tenant, tmp_path: Path) -> None:
    db, out = tmp_path / "tenant.sqlite", tmp_path / "audits"
    snapshot_from_tenant(tenant, db).close()
    out.mkdir()
    (out / "2020-01-01").mkdir()  # not ours: no audit.json
    (out / "notes").mkdir()
    settings = monthly_settings({"monthly": {"keep": 2}})
    runs = [
        run_monthly(
            db,
            out,
            config=None,
            settings=settings,
            clock=lambda d=d: START + timedelta(days=31 * d),
        )
        for d in range(3)
    ]
    assert month_folders(out) == [runs[1].folder, runs[2].folder]
    assert (out / "2020-01-01").is_dir() and (out / "notes").is_dir()
    assert runs[2].notes == ["removed 1 month(s) beyond the 2 kept"]
    assert runs[0].folder.name not in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_fetch_and_audit_wait_for_a_run_that_holds_the_snapshot(
    tenant: Tenant, tmp_path: Path
) -> None:
    db = tmp_path / "tenant.sqlite"
    snapshot_from_tenant(tenant, db).close()
    brief = HOLD.replace("time.sleep(120)", "time.sleep(2)")
    with subprocess.Popen(
        [sys.executable, "-c", brief, str(db)], stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        done = cli(["audit", "--db", str(db), "--out", str(tmp_path / "audit"), "--quiet"])
    assert done.returncode == 0, done.stderr
    assert (
        f"waiting for process {holder.pid}" in done.stderr
        and "(a test holding the lock)" in done.stderr
    )
    assert (tmp_path / "audit" / "index.html").is_file()


def test_the_month_index_opens_in_a_browser_and_leads_to_each_month(
    tenant: Tenant, tmp_path: Path, browser: Browser
) -> None:
    db, out = tmp_path / "tenant.sqlite", tmp_path / "audits"
    snapshot_from_tenant(tenant, db).close()
    settings = monthly_settings({})
    runs = [
        run_monthly(
            db,
            out,
            config=None,
            settings=settings,
            clock=lambda d=d: START + timedelta(days=30 * d),
        )
        for d in range(2)
    ]
    with open_page(browser, out / "index.html") as page:
        rows = page.tab.locator("tbody tr")
        assert rows.count() == 2
        assert rows.nth(0).locator("td").first.inner_text() == runs[1].folder.name
        assert "first audit" in rows.nth(1).inner_text()
        page.tab.get_by_role("link", name="The latest audit").click()
        page.tab.wait_for_load_state()
        assert page.tab.url == (runs[1].folder / "index.html").as_uri()


@pytest.mark.slow
def test_two_runs_started_at_once_take_turns(tenant: Tenant, tmp_path: Path) -> None:
    db, out = tmp_path / "tenant.sqlite", tmp_path / "audits"
    snapshot_from_tenant(tenant, db).close()
    args = [
        sys.executable,
        "-m",
        "titanaudit",
        "monthly",
        "--db",
        str(db),
        "--out",
        str(out),
        "--no-fetch",
        "--quiet",
        "--lock-wait",
        "120",
    ]
    # the test holds the lock while both start, so both meet a holder however fast each is
    # (left to themselves, one could finish its audit before the other had started Python)
    with hold(db, command="the test"):
        runs = [
            subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        time.sleep(5)
    said = [run.communicate(timeout=300) for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, EXIT_ATTENTION], said  # the first found everything new, the second nothing
    assert sum("waited for process" in err for _, err in said) == 2, said
    assert len(month_folders(out)) == 2 and all(
        len(printed.splitlines()) == 1 for printed, _ in said
    )
    assert oct(month_folders(out)[0].stat().st_mode & 0o777) == "0o700"


def test_a_failed_pull_is_announced_and_last_month_stays(
    tenant: Tenant, serve: Serve, tmp_path: Path, hook: Hook
) -> None:
    server = serve(tenant)
    db, out = tmp_path / "tenant.sqlite", tmp_path / "audits"
    settings = monthly_settings({"webhook": {"style": "json", "url": hook.url}})
    first = run_monthly(
        db, out, config=simulator_config(server), settings=settings, clock=lambda: START
    )
    wrong = dataclasses.replace(
        simulator_config(server),
        credentials=dataclasses.replace(
            simulator_config(server).credentials, client_secret="cs1.wrong"
        ),
    )
    with pytest.raises(AuthenticationError):
        run_monthly(
            db, out, config=wrong, settings=settings, clock=lambda: START + timedelta(days=30)
        )
    assert (
        month_folders(out) == [first.folder]
        and (out / "latest").resolve() == first.folder.resolve()
    )
    (_, counts), (_, failed) = hook.posts
    assert counts["needs_attention"] is True and counts["date"] == first.folder.name
    assert counts["new_sure_clusters"] == first.attention["sure_clusters"][:50]
    assert failed["summary"].startswith("titanaudit monthly on tenant.sqlite failed: ")
    assert "cs1.wrong" not in json.dumps(failed)


def test_a_teams_hook_gets_an_adaptive_card(hook: Hook) -> None:
    from titanaudit.delivery import WebhookSettings, post_webhook

    post_webhook(
        WebhookSettings(url=hook.url, style="teams"),
        "the line",
        "the line\n\nCounts.\n\nIds:\n  #1, #2\n",
        {},
        counts={},
    )
    ((_, card),) = hook.posts
    (attachment,) = card["attachments"]
    assert (
        card["type"] == "message"
        and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    )
    texts = [block["text"] for block in attachment["content"]["body"]]
    assert texts == ["the line", "Counts.", "Ids:\n  #1, #2\n"]


def test_mail_goes_over_starttls_and_an_untrusted_certificate_is_refused(
    tenant: Tenant, tmp_path: Path
) -> None:
    import ssl

    import trustme

    authority = trustme.CA()
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_side)
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=server_side, require_starttls=True
    )
    controller.start()
    ca = tmp_path / "office-ca.pem"
    authority.cert_pem.write_to_path(str(ca))
    db = tmp_path / "tenant.sqlite"
    snapshot_from_tenant(tenant, db).close()
    try:
        untrusted = monthly_settings({"email": mail_table(port)})
        refused = run_monthly(
            db, tmp_path / "out", config=None, settings=untrusted, clock=lambda: START, env={}
        )
        trusted = monthly_settings({"email": mail_table(port, ca_file=str(ca))})
        sent = run_monthly(
            db, tmp_path / "out", config=None, settings=trusted, clock=lambda: START, env={}
        )
    finally:
        controller.stop()
    assert refused.exit_code == 12 and "certificate is not trusted" in refused.failures[0]
    assert "ca_file" in refused.failures[0]
    assert sent.exit_code == 0 and sent.delivered == ["e-mail to office@example.com"]
    (message,) = inbox.messages  # the server takes mail only after STARTTLS
    assert message["Subject"] == sent.line
