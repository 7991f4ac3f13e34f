"""Fakes for unit tests of the fetch layer: a fake clock and a scripted ServiceTitan."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from titanaudit.config import load_config

ENV = {
    "ST_CLIENT_ID": "cid.unit",
    "ST_CLIENT_SECRET": "cs1.very-secret",
    "ST_APP_KEY": "ak1.unit",
    "ST_TENANT_ID": "77",
}


@dataclass
class FakeClock:
    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def config(**fetch: Any) -> Any:
    import dataclasses

    base = load_config(env=ENV, api_url="https://api.test", auth_url="https://auth.test")
    return dataclasses.replace(base, fetch=dataclasses.replace(base.fetch, **fetch))


class Scripted:
    """A MockTransport handler: token requests succeed; API requests follow a script."""

    def __init__(
        self, api: Callable[[httpx.Request], httpx.Response], *, lifetime: int = 900
    ) -> None:
        self.api = api
        self.lifetime = lifetime
        self.tokens = 0
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/connect/token":
            self.tokens += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"tok{self.tokens}",
                    "expires_in": self.lifetime,
                    "token_type": "Bearer",
                },
            )
        return self.api(request)

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/connect/token"]


def problem(status: int, title: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"type": "https://x", "title": title, "status": status, "traceId": "00-1"}
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
    )
