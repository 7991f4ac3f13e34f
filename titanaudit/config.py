"""Settings: credentials, the ServiceTitan environment, and how hard to pull.

Everything is a frozen, keyword-only dataclass built once at the boundary (CLI flags, the
environment, a TOML file the user names) and passed down; nothing reads ``os.environ`` later.
Every field carries its help text in ``metadata["help"]``.

Precedence, lowest first: built-in defaults, the TOML file, environment variables, command-line
flags. A TOML file looks like::

    [servicetitan]
    client_id = "cid.xxxxx"
    client_secret = "cs1.xxxxx"
    app_key = "ak1.xxxxx"
    tenant_id = 1234567
    environment = "production"     # or "integration"

    [fetch]
    rate_limit = 40                # requests per second, below ServiceTitan's 60
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from titanaudit.errors import ConfigError

__all__ = [
    "ENVIRONMENTS",
    "Config",
    "Credentials",
    "Endpoints",
    "FetchSettings",
    "check_url",
    "load_config",
    "read_toml",
    "setting",
]

ENV_VARS = {
    "client_id": "ST_CLIENT_ID",
    "client_secret": "ST_CLIENT_SECRET",
    "app_key": "ST_APP_KEY",
    "tenant_id": "ST_TENANT_ID",
}


def setting(text: str, **kwargs: Any) -> Any:
    """A settings dataclass field that documents itself: ``text`` is its help (the tests hold
    every setting to having one), ``kwargs`` go to :func:`dataclasses.field`."""
    return field(metadata={"help": text}, **kwargs)


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """An app's client-credentials for one tenant. Secrets never appear in ``repr``."""

    client_id: str = setting("OAuth2 client id (cid.…), per tenant and environment.")
    client_secret: str = setting("OAuth2 client secret (cs1.…); never logged.", repr=False)
    app_key: str = setting("Application key (ak1.…), sent as the ST-App-Key header.", repr=False)
    tenant_id: int = setting("Numeric ServiceTitan tenant id.")


@dataclass(frozen=True, kw_only=True)
class Endpoints:
    """Base URLs of one ServiceTitan environment; the client appends the paths."""

    name: str = setting("Environment name: production, integration, or custom.")
    auth_url: str = setting("Base URL of the token service; /connect/token is appended.")
    api_url: str = setting("Base URL of the API; /crm/v2/tenant/{tenant}/… is appended.")
    ui_url: str = setting("Base URL of the web app, for links that open a record.")


ENVIRONMENTS: Mapping[str, Endpoints] = {
    "production": Endpoints(
        name="production",
        auth_url="https://auth.servicetitan.io",
        api_url="https://api.servicetitan.io",
        ui_url="https://go.servicetitan.com",
    ),
    "integration": Endpoints(
        name="integration",
        auth_url="https://auth-integration.servicetitan.io",
        api_url="https://api-integration.servicetitan.io",
        ui_url="https://integration.servicetitan.com",
    ),
}


@dataclass(frozen=True, kw_only=True)
class FetchSettings:
    """How the fetch layer behaves on the wire."""

    rate_limit: float = setting(
        "Requests per second across all threads; ServiceTitan allows 60 per app and tenant.",
        default=40.0,
    )
    burst: int = setting(
        "Requests the rate limiter lets through at once after a pause.", default=10
    )
    retry_budget: float = setting(
        "Seconds one request keeps retrying 429s, 5xx answers and network faults before the "
        "fetch gives up (the longest wait ServiceTitan asks for comes on top).",
        default=300.0,
    )
    backoff_base: float = setting("First backoff in seconds; doubles each retry.", default=1.0)
    backoff_cap: float = setting("Longest single wait between retries, in seconds.", default=60.0)
    timeout: float = setting(
        "Seconds to wait for a response (ServiceTitan's own limit is 100).", default=100.0
    )
    concurrency: int = setting("Feeds and booking-contact requests pulled in parallel.", default=6)
    max_pages: int = setting("Hard stop for one feed's page loop in one run.", default=1_000_000)
    include_recent_changes: bool = setting(
        "Ask export feeds for records changed in the last 15 minutes too (they may repeat).",
        default=False,
    )
    token_refresh_margin: float = setting(
        "Renew the access token this many seconds before it expires.", default=60.0
    )


@dataclass(frozen=True, kw_only=True)
class Config:
    """Everything a fetch needs."""

    credentials: Credentials = setting("The app's credentials for the tenant.")
    endpoints: Endpoints = setting("Where the token service, the API and the web app live.")
    fetch: FetchSettings = setting(
        "Rate limit, retries and timeouts.", default_factory=FetchSettings
    )


def check_url(url: str, what: str) -> str:
    """Return ``url`` without a trailing slash, refusing plain http except to loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what} {url!r} is not an http(s) URL, e.g. https://api.servicetitan.io")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"{what} {url!r} uses plain http to a non-loopback host; use https so the "
            "credentials are encrypted (http is allowed only to 127.0.0.1, ::1 or localhost)"
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_config(
    *,
    config_file: Path | None = None,
    environment: str | None = None,
    api_url: str | None = None,
    auth_url: str | None = None,
    ui_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Build a :class:`Config` from a TOML file, the environment and explicit overrides."""
    env = os.environ if env is None else env
    table = read_toml(config_file) if config_file else {}
    st = table.get("servicetitan", {})
    values = {k: st.get(k) for k in ENV_VARS}
    values.update({k: env[var] for k, var in ENV_VARS.items() if env.get(var)})
    credentials = _credentials(values, config_file)
    endpoints = _endpoints(
        environment or st.get("environment") or "production",
        api_url or st.get("api_url"),
        auth_url or st.get("auth_url"),
        ui_url or st.get("ui_url"),
    )
    fetch = _fetch_settings(table.get("fetch", {}), config_file)
    return Config(credentials=credentials, endpoints=endpoints, fetch=fetch)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file the user named, or a :class:`ConfigError` saying what is wrong with it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None


def _credentials(values: Mapping[str, Any], source: Path | None) -> Credentials:
    missing = [ENV_VARS[k] for k, v in values.items() if v in (None, "")]
    if missing:
        where = f" or in the [servicetitan] table of {source}" if source else ""
        raise ConfigError(
            f"missing ServiceTitan credentials: {', '.join(missing)}; set them in the "
            f"environment{where} (see README, 'Credentials')"
        )
    try:
        tenant_id = int(str(values["tenant_id"]).strip())
    except ValueError:
        raise ConfigError("ST_TENANT_ID must be the numeric tenant id, e.g. 1234567") from None
    return Credentials(
        client_id=str(values["client_id"]).strip(),
        client_secret=str(values["client_secret"]).strip(),
        app_key=str(values["app_key"]).strip(),
        tenant_id=tenant_id,
    )


def _endpoints(
    environment: str, api_url: str | None, auth_url: str | None, ui_url: str | None
) -> Endpoints:
    base = ENVIRONMENTS.get(environment)
    if base is None:
        choices = ", ".join(ENVIRONMENTS)
        raise ConfigError(f"unknown environment {environment!r}; choose one of {choices}")
    custom = bool(api_url or auth_url)
    return Endpoints(
        name="custom" if custom else base.name,
        api_url=check_url(api_url or base.api_url, "API URL"),
        auth_url=check_url(auth_url or base.auth_url, "auth URL"),
        ui_url=(ui_url or base.ui_url).rstrip("/"),
    )


def _fetch_settings(table: Mapping[str, Any], source: Path | None) -> FetchSettings:
    known = {f.name: f for f in dataclasses.fields(FetchSettings)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(
            f"{source}: unknown [fetch] setting(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    return FetchSettings(**table)
