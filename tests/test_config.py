from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from titanaudit.config import (
    ENVIRONMENTS,
    Config,
    Credentials,
    Endpoints,
    FetchSettings,
    load_config,
)
from titanaudit.errors import ConfigError

ENV = {
    "ST_CLIENT_ID": "cid.a",
    "ST_CLIENT_SECRET": "cs1.topsecret",
    "ST_APP_KEY": "ak1.key",
    "ST_TENANT_ID": "42",
}


def test_credentials_come_from_the_environment() -> None:
    config = load_config(env=ENV)
    assert config.credentials == Credentials(
        client_id="cid.a", client_secret="cs1.topsecret", app_key="ak1.key", tenant_id=42
    )
    assert config.endpoints == ENVIRONMENTS["production"]


def test_secrets_never_show_in_repr() -> None:
    text = repr(load_config(env=ENV))
    assert "topsecret" not in text
    assert "ak1.key" not in text
    assert "cid.a" in text


def test_missing_credentials_are_named() -> None:
    with pytest.raises(ConfigError, match="ST_CLIENT_SECRET, ST_APP_KEY"):
        load_config(env={"ST_CLIENT_ID": "cid.a", "ST_TENANT_ID": "1"})


def test_tenant_id_must_be_numeric() -> None:
    with pytest.raises(ConfigError, match="numeric tenant id"):
        load_config(env={**ENV, "ST_TENANT_ID": "acme"})


@pytest.mark.parametrize(
    ("environment", "auth", "api", "ui"),
    [
        (
            "production",
            "https://auth.servicetitan.io",
            "https://api.servicetitan.io",
            "https://go.servicetitan.com",
        ),
        (
            "integration",
            "https://auth-integration.servicetitan.io",
            "https://api-integration.servicetitan.io",
            "https://integration.servicetitan.com",
        ),
    ],
)
def test_environment_picks_the_hosts(environment: str, auth: str, api: str, ui: str) -> None:
    endpoints = load_config(env=ENV, environment=environment).endpoints
    assert (endpoints.auth_url, endpoints.api_url, endpoints.ui_url) == (auth, api, ui)


def test_urls_override_the_environment_and_lose_trailing_slashes() -> None:
    endpoints = load_config(
        env=ENV, api_url="https://st.example.com/", auth_url="https://auth.example.com"
    ).endpoints
    assert endpoints.api_url == "https://st.example.com"
    assert endpoints.auth_url == "https://auth.example.com"
    assert endpoints.name == "custom"


@pytest.mark.parametrize(
    "url", ["http://api.example.com", "http://10.0.0.5:8080", "ftp://x", "not a url"]
)
def test_plain_http_is_refused_except_to_loopback(url: str) -> None:
    with pytest.raises(ConfigError):
        load_config(env=ENV, api_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:9", "http://[::1]:8000", "http://127.5.0.1"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert load_config(env=ENV, api_url=url, auth_url=url).endpoints.api_url == url


def test_unknown_environment() -> None:
    with pytest.raises(ConfigError, match="production, integration"):
        load_config(env=ENV, environment="staging")


def test_toml_file_with_environment_winning(tmp_path: Path) -> None:
    path = tmp_path / "titanaudit.toml"
    path.write_text(
        '[servicetitan]\nclient_id = "cid.file"\nclient_secret = "cs1.file"\napp_key = "ak1.file"\n'
        'tenant_id = 7\nenvironment = "integration"\n[fetch]\nrate_limit = 12.5\n'
    )
    config = load_config(config_file=path, env={"ST_CLIENT_ID": "cid.env"})
    assert config.credentials.client_id == "cid.env"
    assert config.credentials.tenant_id == 7
    assert config.endpoints.name == "integration"
    assert config.fetch.rate_limit == 12.5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[servicetitan\n", "not valid TOML"),
        ("[fetch]\nspeed = 3\n", "unknown \\[fetch\\] setting"),
    ],
)
def test_bad_toml_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_config(config_file=path, env=ENV)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(config_file=tmp_path / "nope.toml", env=ENV)


@pytest.mark.parametrize("cls", [Credentials, Endpoints, FetchSettings, Config])
def test_every_setting_documents_itself(cls: type) -> None:
    for field in dataclasses.fields(cls):
        assert field.metadata.get("help"), f"{cls.__name__}.{field.name} has no help text"


def test_settings_are_frozen() -> None:
    config = load_config(env=ENV)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.fetch.rate_limit = 100  # type: ignore[misc]
