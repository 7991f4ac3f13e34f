"""Delivering a summary: by e-mail (standard library ``smtplib``) or to an incoming webhook
(Slack, Teams, or plain JSON), each with its ``[email]`` / ``[webhook]`` settings. A message holds
what its caller gives it; a failure is a :class:`~titanaudit.errors.DeliveryError` that names the
server or the hook's host, never a password or the hook's URL (it carries the hook's token).
"""

from __future__ import annotations

import contextlib
import json
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from titanaudit.config import check_url, setting
from titanaudit.errors import DeliveryError

__all__ = ["EmailSettings", "WebhookSettings", "on_this_machine", "post_webhook", "send_email"]


@dataclass(frozen=True, kw_only=True)
class EmailSettings:
    """``[email]``: where the summary is mailed (standard library ``smtplib``)."""

    host: str = setting("SMTP server, e.g. smtp.office365.com.")
    port: int = setting(
        "SMTP port: 587 for STARTTLS, 465 for TLS, 25 on this machine.", default=587
    )
    security: str = setting(
        "starttls (default: required, unless the server is on this machine), tls (encrypted from "
        "the start, port 465), or none (only to a server on this machine).",
        default="starttls",
    )
    sender: str = setting("The From address (key: from).")
    to: tuple[str, ...] = setting("Recipients.")
    username: str | None = setting("Login name, if the server wants one.", default=None)
    password_env: str = setting(
        "The environment variable holding the password (never the file).",
        default="TITANAUDIT_SMTP_PASSWORD",
    )
    attach_page: bool = setting(
        "Attach the review page (it holds customer data) instead of only saying where it is.",
        default=False,
    )
    details: bool = setting(
        "List what is new with its values (names, phones), not only record ids.", default=False
    )
    timeout: float = setting("Seconds to wait for the server.", default=60.0)
    ca_file: str | None = setting(
        "A CA certificate (PEM) to trust for this server instead of the system's: an office "
        "mail server with its own certificate authority.",
        default=None,
    )


@dataclass(frozen=True, kw_only=True)
class WebhookSettings:
    """``[webhook]``: an incoming webhook the summary is posted to as JSON."""

    url: str | None = setting(
        "The hook's URL (better: url_env, since the URL is a secret).", default=None
    )
    url_env: str = setting(
        "The environment variable holding the URL.", default="TITANAUDIT_WEBHOOK_URL"
    )
    style: str = setting(
        "slack ({text}), teams (an Adaptive Card, as Teams workflows take), or json (the counts).",
        default="slack",
    )
    details: bool = setting("List what is new with its values, not only record ids.", default=False)
    timeout: float = setting("Seconds to wait for the hook.", default=30.0)


def on_this_machine(host: str) -> bool:
    """Is ``host`` this machine's loopback (by name or address)?"""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    with contextlib.suppress(ValueError):
        return ip_address(host.strip("[]")).is_loopback
    return False


def send_email(
    mail: EmailSettings,
    subject: str,
    body: str,
    env: Mapping[str, str],
    attachment: Path | None = None,
) -> None:
    """Send one message through ``mail``'s server; a :class:`DeliveryError` says why not."""
    password = None
    if mail.username:
        password = env.get(mail.password_env)
        if not password:
            raise DeliveryError(
                f"no SMTP password for {mail.username}: set the environment "
                f"variable {mail.password_env}"
            )
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, mail.sender, ", ".join(mail.to)
    message["Message-ID"] = make_msgid(domain=mail.sender.rpartition("@")[2] or None)
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(
            attachment.read_bytes(),
            maintype="text",
            subtype="html",
            filename=f"titanaudit-{attachment.parent.name}.html",
        )
    where = f"{mail.host}:{mail.port}"
    try:
        context = ssl.create_default_context(cafile=mail.ca_file)
        if mail.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                mail.host, mail.port, timeout=mail.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout)
        with smtp:
            smtp.ehlo()
            if mail.security == "starttls":
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif not on_this_machine(mail.host):
                    raise DeliveryError(
                        f"the SMTP server {where} does not offer STARTTLS; the "
                        'summary is not sent unencrypted (use security = "tls" '
                        "if it takes TLS from the start)"
                    )
            if mail.username and password:
                smtp.login(mail.username, password)
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise DeliveryError(
            f"the SMTP server {where} refused the login of {mail.username}"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"could not send the summary through {where}: {_why(exc)}") from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the server refused the recipients " + ", ".join(exc.recipients)
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running, is the port right?)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"its certificate is not trusted ({exc.verify_message}); if the server has "
            "its own certificate authority, name its certificate in [email] ca_file"
        )
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    return str(exc) or type(exc).__name__


def post_webhook(
    hook: WebhookSettings,
    line: str,
    body: str,
    env: Mapping[str, str],
    *,
    counts: Mapping[str, Any],
) -> None:
    """Post the summary to ``hook`` in its style; a :class:`DeliveryError` says why not. The URL
    (a secret: it carries the hook's token) appears in no message, only its host."""
    url = hook.url or env.get(hook.url_env)
    if not url:
        raise DeliveryError(
            f"no webhook URL: set [webhook] url, or the environment variable {hook.url_env}"
        )
    check_url(url, "the webhook URL")
    host = urlsplit(url).hostname
    if hook.style == "slack":
        payload: dict[str, Any] = {"text": body}
    elif hook.style == "teams":
        blocks = [
            {"type": "TextBlock", "text": line, "wrap": True, "weight": "Bolder"},
            *(
                {"type": "TextBlock", "text": part, "wrap": True}
                for part in body.split("\n\n")[1:]
                if part.strip()
            ),
        ]
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": blocks,
        }
        payload = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    else:
        payload = {"summary": line, "text": body, **counts}
    try:
        answer = httpx.post(
            url,
            content=json.dumps(payload, default=str),
            headers={"Content-Type": "application/json"},
            timeout=hook.timeout,
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(
            f"could not reach the webhook at {host}: {type(exc).__name__}"
        ) from None
    if not answer.is_success:
        raise DeliveryError(
            f"the webhook at {host} answered {answer.status_code}; the summary was not taken"
        )
