"""The monthly audit, unattended: what ``titanaudit monthly`` does.

One run takes the snapshot's lock (:mod:`titanaudit.runlock`), pulls what changed, audits, and
writes the audit to ``OUT/YYYY-MM-DD/`` under a temporary name first, so a run killed at any
point leaves last month's folder and ``OUT/latest`` as they were. Only then is the audit
recorded in the snapshot's history, ``OUT/latest`` pointed at it (a symlink, or ``latest.txt``
where the system allows none), months beyond ``keep`` removed, and ``OUT/index.html`` (every
month: its counts and what changed) rewritten. Last, a summary goes out by e-mail or to a
webhook: counts and record ids only, unless the settings ask for details.

The run's exit code tells a scheduler what happened: 0 when nothing new needs attention,
:data:`EXIT_ATTENTION` when new high-severity findings or new sure duplicates appeared,
:data:`~titanaudit.errors.DeliveryError`'s code when the summary could not be delivered (the
audit is written all the same), and the fetch's and audit's own codes when they fail (then a
short notice is delivered, if it can be).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from titanaudit.audit import AuditResult, remember_audit, run_audit, write_audit
from titanaudit.config import Config, check_url, read_toml, setting
from titanaudit.defaults import MATCH_THRESHOLD
from titanaudit.delivery import (
    EmailSettings,
    WebhookSettings,
    on_this_machine,
    post_webhook,
    send_email,
)
from titanaudit.errors import ConfigError, DeliveryError, TitanAuditError
from titanaudit.privacy import check_folder, make_folder, write_whole
from titanaudit.rules import RuleSettings
from titanaudit.runlock import Holder, hold

__all__ = [
    "EXIT_ATTENTION",
    "EmailSettings",
    "MonthlyRun",
    "MonthlySettings",
    "WebhookSettings",
    "month_folders",
    "monthly_settings",
    "run_monthly",
]

#: Exit code: the audit is written and something new needs attention.
EXIT_ATTENTION = 11
#: How a month's folder is named: the run's date, ``-2``, ``-3`` for a second run that day.
MONTH = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:-(\d+))?$")
LISTED = 50  # record ids a message lists per kind, at most


@dataclass(frozen=True, kw_only=True)
class MonthlySettings:
    """``[monthly]`` (and its ``[email]`` and ``[webhook]``): how the unattended audit runs."""

    keep: int = setting("Months kept in OUT; older folders are removed.", default=24)
    sure_at: float = setting(
        "A new duplicate cluster whose every member scored at least this much is 'sure' and "
        "makes the run exit with the attention code.",
        default=0.99,
    )
    lock_wait: float = setting(
        "Seconds to wait for another run on the same snapshot.", default=600.0
    )
    link: str | None = setting(
        "Where OUT can be opened by the recipients (a share or web address); messages link to "
        "the month's page under it. Default: the folder's path on this machine.",
        default=None,
    )
    email: EmailSettings | None = field(default=None, metadata={"help": "Mail the summary."})
    webhook: WebhookSettings | None = field(
        default=None, metadata={"help": "Post the summary to a webhook."}
    )


def _fields(
    kind: type[Any], table: Mapping[str, Any], where: str, rename: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``table``'s values for dataclass ``kind``, each checked for its type, with a message that
    names ``where`` and the key."""
    rename = rename or {}
    known = {f.name: f for f in dataclasses.fields(kind) if f.name not in ("email", "webhook")}
    spelt = {next((k for k, v in rename.items() if v == name), name) for name in known}
    values: dict[str, Any] = {}
    for key, raw in table.items():
        name = rename.get(key, key)
        if key not in spelt:
            raise ConfigError(f"{where} has no setting {key!r}; known: {', '.join(sorted(spelt))}")
        kind_of = str(known[name].type)
        if "tuple" in kind_of:
            items = [raw] if isinstance(raw, str) else raw
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ConfigError(f"{where} {key} must be an address or a list of addresses")
            values[name] = tuple(items)
        elif kind_of.startswith("bool"):
            if not isinstance(raw, bool):
                raise ConfigError(f"{where} {key} must be true or false, not {raw!r}")
            values[name] = raw
        elif kind_of.startswith(("int", "float")):
            if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
                raise ConfigError(f"{where} {key} must be a number of at least 0, not {raw!r}")
            values[name] = int(raw) if kind_of.startswith("int") else float(raw)
        else:
            if not isinstance(raw, str) or not raw.strip():
                raise ConfigError(f"{where} {key} must be text, not {raw!r}")
            values[name] = raw.strip()
    return values


def monthly_settings(
    table: Mapping[str, Any], source: str = "the config file", **overrides: Any
) -> MonthlySettings:
    """:class:`MonthlySettings` from a parsed TOML file's ``[monthly]``, ``[email]`` and
    ``[webhook]`` tables, every value checked; ``overrides`` (command-line flags) win."""
    monthly = _fields(MonthlySettings, table.get("monthly", {}), f"{source}: [monthly]")
    if not 0 < monthly.get("sure_at", 0.99) <= 1:
        raise ConfigError(f"{source}: [monthly] sure_at must be a probability above 0, up to 1")
    if monthly.get("keep", 24) < 1:
        raise ConfigError(f"{source}: [monthly] keep must be at least 1 month")
    email = table.get("email")
    if email is not None:
        email = dict(email)
        if "password" in email:
            raise ConfigError(
                f"{source}: [email] holds a password; remove it and set it in the "
                "environment variable named by password_env (default "
                "TITANAUDIT_SMTP_PASSWORD)"
            )
        values = _fields(EmailSettings, email, f"{source}: [email]", {"from": "sender"})
        for key in ("host", "from", "to"):
            if key not in email:
                raise ConfigError(f"{source}: [email] needs {key} (host, from and to at least)")
        if values.get("security", "starttls") not in ("starttls", "tls", "none"):
            raise ConfigError(f"{source}: [email] security must be starttls, tls or none")
        if values.get("security") == "none" and not on_this_machine(values["host"]):
            raise ConfigError(
                f"{source}: [email] security none is allowed only to a server on "
                f"this machine, not {values['host']}; use starttls or tls"
            )
        monthly["email"] = EmailSettings(**values)
    hook = table.get("webhook")
    if hook is not None:
        values = _fields(WebhookSettings, dict(hook), f"{source}: [webhook]")
        if values.get("style", "slack") not in ("slack", "teams", "json"):
            raise ConfigError(f"{source}: [webhook] style must be slack, teams or json")
        if "url" in values:
            check_url(values["url"], f"{source}: [webhook] url")
        monthly["webhook"] = WebhookSettings(**values)
    monthly.update({k: v for k, v in overrides.items() if v is not None})
    return MonthlySettings(**monthly)


def read_monthly_settings(config_file: Path | None, **overrides: Any) -> MonthlySettings:
    """:func:`monthly_settings` of the TOML file the user named (or the defaults)."""
    if config_file is None:
        return monthly_settings({}, **overrides)
    return monthly_settings(read_toml(config_file), str(config_file), **overrides)


@dataclass
class MonthlyRun:
    """What one monthly run did. ``folder``: the month's audit; ``summary``: its ``audit.json``;
    ``attention``: what is new and needs a look (``sure_clusters``: member ids of each new sure
    duplicate cluster; ``high``: ``rule_id, entity, record_id`` of each new high-severity
    finding); ``line``: the one-line summary; ``delivered``: where the summary went;
    ``failures``: deliveries that failed; ``notes``: what else happened (a stale lock taken
    over, months removed)."""

    folder: Path
    summary: dict[str, Any]
    attention: dict[str, list[Any]]
    line: str
    delivered: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(self.attention["sure_clusters"] or self.attention["high"])

    @property
    def exit_code(self) -> int:
        if self.failures:
            return DeliveryError.exit_code
        return EXIT_ATTENTION if self.needs_attention else 0


def run_monthly(
    db: str | Path,
    out: str | Path,
    *,
    config: Config | None,
    settings: MonthlySettings,
    rules: RuleSettings | None = None,
    threshold: float = MATCH_THRESHOLD,
    ui_url: str | None = None,
    progress: Callable[[str], None] | None = None,
    clock: Callable[[], datetime] | None = None,
    env: Mapping[str, str] | None = None,
    fetch: Callable[[Config, Path], object] | None = None,
) -> MonthlyRun:
    """One unattended run (see the module docstring): ``config`` says where to pull from (None:
    audit the snapshot as it is); ``clock`` tells the moment of the run (default: the
    system's), which names the month's folder; ``env`` holds the SMTP password and the
    webhook URL (default: the process's environment); ``fetch`` pulls (default:
    :func:`~titanaudit.servicetitan.sync.fetch_snapshot`)."""
    db, out = Path(db), Path(out)
    env = os.environ if env is None else env
    stage = progress or (lambda _: None)
    check_folder(out)
    now = (clock or (lambda: datetime.now(UTC)))()
    notes: list[str] = []

    def stale(left: Holder) -> None:
        notes.append(f"took over the lock of a run that ended without releasing it ({left.said()})")

    def waiting(holder: Holder | None) -> None:
        who = holder.said() if holder else "another process"
        stage(f"waiting for {who} to finish with {db.name}")
        notes.append(f"waited for {who} to finish with {db.name}")

    try:
        with hold(
            db,
            command="titanaudit monthly",
            wait=settings.lock_wait,
            on_wait=waiting,
            on_stale=stale,
        ):
            make_folder(out)
            _clear_partials(out)
            if config is not None:
                stage("pulling what changed in ServiceTitan")
                (fetch or _fetch)(config, db)
            folder, result, attention = _audit_month(
                db, out, now, rules, threshold, ui_url, stage, settings
            )
            notes += _prune(out, settings.keep)
            _write_index(out)
    except TitanAuditError as exc:
        _notify_failure(settings, exc, db, env)
        raise
    run = MonthlyRun(folder, result.summary, attention, "", notes=notes)
    run.line = _line(run)
    _deliver(run, result, settings, env)
    return run


def _fetch(config: Config, db: Path) -> object:
    from titanaudit.servicetitan.sync import fetch_snapshot

    return fetch_snapshot(config, db)


def _audit_month(
    db: Path,
    out: Path,
    now: datetime,
    rules: RuleSettings | None,
    threshold: float,
    ui_url: str | None,
    stage: Callable[[str], None],
    settings: MonthlySettings,
) -> tuple[Path, AuditResult, dict[str, list[Any]]]:
    """Audit, write the month's folder whole, then record it and point ``latest`` at it.
    Returns the folder, the audit and what in it needs attention."""
    from titanaudit.store import open_snapshot

    with open_snapshot(db, fetched=True) as snapshot:
        result = run_audit(
            snapshot,
            settings=rules,
            threshold=threshold,
            ui_url=ui_url,
            progress=stage,
            clock=lambda: now,
        )
        attention = _attention(result, settings.sure_at)
        result.summary["attention"] = {k: len(v) for k, v in attention.items()}
        name = _free_name(out, now.astimezone().date().isoformat())
        partial = out / f".{name}.partial"
        stage(f"writing {out / name}")
        write_audit(result, partial)
        partial.chmod(0o700)  # the month's files are owner-only; so is their folder
        os.rename(partial, out / name)
        remember_audit(snapshot, result)
    _point_latest(out, name)
    return out / name, result, attention


def _free_name(out: Path, day: str) -> str:
    if not (out / day).exists():
        return day
    n = 2
    while (out / f"{day}-{n}").exists():
        n += 1
    return f"{day}-{n}"


def _clear_partials(out: Path) -> None:
    """Remove what a killed run left half-written (only folders this module names so)."""
    for path in out.glob(".*.partial"):
        if path.is_dir() and MONTH.match(path.name[1 : -len(".partial")]):
            shutil.rmtree(path, ignore_errors=True)


def _point_latest(out: Path, name: str) -> None:
    """``out/latest`` → ``name``: a symlink replaced in one step, or ``latest.txt``."""
    link, temporary = out / "latest", out / f".latest.{os.getpid()}"
    try:
        temporary.unlink(missing_ok=True)
        os.symlink(name, temporary, target_is_directory=True)
        os.replace(temporary, link)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        write_whole(out / "latest.txt", lambda handle: handle.write(name + "\n"))


def month_folders(out: Path) -> list[Path]:
    """The audits a monthly run wrote into ``out``, oldest first: folders named by date that
    hold an ``audit.json``."""
    found = []
    for path in out.iterdir() if out.is_dir() else ():
        match = MONTH.match(path.name)
        if match and not path.is_symlink() and (path / "audit.json").is_file():
            found.append((match.group(1), int(match.group(2) or 1), path))
    return [path for _, _, path in sorted(found)]


def _prune(out: Path, keep: int) -> list[str]:
    months = month_folders(out)
    gone = months[: max(0, len(months) - keep)]
    for path in gone:
        shutil.rmtree(path)
    return [f"removed {len(gone)} month(s) beyond the {keep} kept"] if gone else []


def _attention(result: AuditResult, sure_at: float) -> dict[str, list[Any]]:
    d = result.duplicates
    new = d[(d["status"] == "new") & (d["entity"] == "customers")]
    weakest = new.groupby("cluster_id")["probability"].min()
    sure = weakest[weakest >= sure_at].index
    members = new[new["cluster_id"].isin(sure)].groupby("cluster_id")["record_id"]
    clusters = [sorted(int(i) for i in ids) for _, ids in members]
    f = result.findings
    high = f[(f["status"] == "new") & (f["severity"] == "high")]
    return {
        "sure_clusters": sorted(clusters),
        "high": list(zip(high["rule_id"], high["entity"], high["record_id"], strict=True)),
    }


def _line(run: MonthlyRun) -> str:
    """The one line for a cron mail."""
    s, change = run.summary, run.summary.get("change", {})
    day = run.folder.name
    page = run.folder / "index.html"
    if not change.get("previous_audit"):
        d, f = s["duplicates"], s["findings"]
        said = (
            f"first audit: {d['customer_clusters']:,} duplicate customer clusters, "
            f"{f['total']:,} findings ({f['by_severity'].get('high', 0):,} high)"
        )
    else:
        resolved = sum(change.get("resolved", {}).values())
        said = (
            f"{change['new']:,} new, {change['persisting']:,} persisting, {resolved:,} resolved, "
            f"{change.get('merged_since', 0):,} merged in ServiceTitan since "
            f"{str(change['previous_audit'])[:10]}"
        )
    a = run.attention
    if run.needs_attention:
        need = (
            f"needs attention: {len(a['sure_clusters']):,} new sure duplicate clusters, "
            f"{len(a['high']):,} new high-severity findings"
        )
    else:
        need = "nothing new needs attention"
    return f"titanaudit monthly {day}: {need}; {said}; report {page}"


def _page_link(settings: MonthlySettings, folder: Path) -> str:
    if settings.link:
        return f"{settings.link.rstrip('/')}/{folder.name}/index.html"
    return str((folder / "index.html").resolve())


def _body(run: MonthlyRun, result: AuditResult, settings: MonthlySettings, details: bool) -> str:
    """The message: counts, record ids of what needs attention, where the page is; values only
    with ``details``."""
    s = run.summary
    d, f = s["duplicates"], s["findings"]
    lines = [
        run.line,
        "",
        f"Snapshot: {s['snapshot']}, data through {s.get('data_through') or 'unknown'}; "
        f"{s['records'].get('customers', 0):,} customers.",
        f"Duplicate customer clusters: {d['customer_clusters']:,} ({d['customer_records']:,} "
        f"records); household pairs: {d['household_pairs']:,}.",
        "Findings: "
        + ", ".join(
            f"{f['by_severity'].get(k, 0):,} {k}" for k in ("high", "medium", "low", "info")
        )
        + ".",
        f"Review page: {_page_link(settings, run.folder)}",
    ]
    a = run.attention
    if a["sure_clusters"]:
        lines += ["", f"New sure duplicate clusters (customer ids; {len(a['sure_clusters']):,}):"]
        lines += ["  " + ", ".join(f"#{i}" for i in c) for c in a["sure_clusters"][:LISTED]]
        lines += _more(len(a["sure_clusters"]))
    if a["high"]:
        lines += ["", f"New high-severity findings ({len(a['high']):,}):"]
        said = _detail_of(result) if details else {}
        for rule_id, entity, record_id in a["high"][:LISTED]:
            line = f"  {rule_id} on {entity.rstrip('s')} #{record_id}"
            lines.append(
                line
                + (
                    f": {said[(rule_id, entity, record_id)]}"
                    if (rule_id, entity, record_id) in said
                    else ""
                )
            )
        lines += _more(len(a["high"]))
    return "\n".join(lines) + "\n"


def _more(count: int) -> list[str]:
    return [f"  ... and {count - LISTED:,} more on the review page"] if count > LISTED else []


def _detail_of(result: AuditResult) -> dict[tuple[str, str, Any], str]:
    f = result.findings
    return {
        (r, e, i): str(m)
        for r, e, i, m in zip(f["rule_id"], f["entity"], f["record_id"], f["message"], strict=True)
    }


def _deliver(
    run: MonthlyRun, result: AuditResult, settings: MonthlySettings, env: Mapping[str, str]
) -> None:
    if settings.email is not None:
        mail = settings.email
        try:
            attachment = run.folder / "index.html" if mail.attach_page else None
            send_email(mail, run.line, _body(run, result, settings, mail.details), env, attachment)
            run.delivered.append(f"e-mail to {', '.join(mail.to)}")
        except DeliveryError as exc:
            run.failures.append(str(exc))
    if settings.webhook is not None:
        hook = settings.webhook
        try:
            post_webhook(
                hook,
                run.line,
                _body(run, result, settings, hook.details),
                env,
                counts=_counts(run, settings),
            )
            run.delivered.append("webhook")
        except (DeliveryError, ConfigError) as exc:
            run.failures.append(str(exc))


def _counts(run: MonthlyRun, settings: MonthlySettings) -> dict[str, Any]:
    s = run.summary
    return {
        "date": run.folder.name,
        "needs_attention": run.needs_attention,
        "new_sure_clusters": run.attention["sure_clusters"][:LISTED],
        "new_high_findings": [list(map(str, h)) for h in run.attention["high"][:LISTED]],
        "duplicates": s["duplicates"],
        "findings": s["findings"],
        "change": s.get("change", {}),
        "report": _page_link(settings, run.folder),
    }


def _notify_failure(
    settings: MonthlySettings, exc: TitanAuditError, db: Path, env: Mapping[str, str]
) -> None:
    """Tell the recipients a run failed (best effort: the error itself is what the run exits
    with). Error messages hold no secrets and no customer data."""
    line = f"titanaudit monthly on {db.name} failed: {exc}"
    body = line + "\n\nNo new audit was written; last month's stays as it was.\n"
    with contextlib.suppress(TitanAuditError):
        if settings.email is not None:
            send_email(settings.email, line, body, env)
    with contextlib.suppress(TitanAuditError):
        if settings.webhook is not None:
            post_webhook(settings.webhook, line, body, env, counts={"failed": str(exc)})


def _write_index(out: Path) -> Path:
    """``out/index.html``: every month, newest first, its counts and what changed."""
    from titanaudit.reports.render import environment

    rows = [_month_row(path) for path in reversed(month_folders(out))]
    html = environment().get_template("months.html.j2").render(months=rows, folder=out.name)
    return write_whole(out / "index.html", lambda handle: handle.write(html))


def _month_row(path: Path) -> dict[str, Any]:
    try:
        s = json.loads((path / "audit.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"name": path.name, "readable": False}
    change, d, f = s.get("change", {}), s.get("duplicates", {}), s.get("findings", {})
    attention = s.get("attention", {})
    return {
        "name": path.name,
        "readable": True,
        "generated_at": s.get("generated_at", ""),
        "data_through": str(s.get("data_through") or "")[:10],
        "customers": s.get("records", {}).get("customers", 0),
        "clusters": d.get("customer_clusters", 0),
        "findings": f.get("total", 0),
        "high": f.get("by_severity", {}).get("high", 0),
        "first": not change.get("previous_audit"),
        "new": change.get("new", 0),
        "persisting": change.get("persisting", 0),
        "resolved": sum(change.get("resolved", {}).values()),
        "merged": change.get("merged_since", 0),
        "sure": attention.get("sure_clusters", 0),
        "new_high": attention.get("high", 0),
    }
