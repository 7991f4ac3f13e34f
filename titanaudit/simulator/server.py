"""A ServiceTitan API simulator: a real HTTP server (Starlette on uvicorn) on a loopback port.

It serves one tenant through the surface of API.md and ``crm-v2.json`` that titanaudit uses:

- ``POST /connect/token`` (client credentials; 400 ``invalid_client`` on a bad id or secret);
- the export feeds ``/crm/v2/tenant/{t}/export/{customers, customers/contacts, locations,
  locations/contacts, leads, bookings}`` with ``from``/``continueFrom`` tokens ordered by
  ``modifiedOn``, the 15-minute visibility delay, and ``includeRecentChanges``;
- the paged lists ``customers``, ``locations``, ``leads``, ``bookings`` (``page``, ``pageSize`` up
  to 5000, ``active=True|Any|False``, ``ids``), records by id, their contacts, the bulk contact
  lists, custom-field types, and ``/settings/v2/tenant/{t}/tag-types`` and its export;
- the checks a real tenant makes: the ``ST-App-Key`` header, a live bearer token, the tenant id,
  and the app's scopes (403 when one is missing).

Faults (:class:`~titanaudit.simulator.faults.Faults`) are injected per request; the 429s are
application-wide, like ServiceTitan's limit (one "not before" moment for all requests, and early
requests punished when ``429-punish`` is on). Use
:class:`SimulatorServer` as a context manager to run it on a free port in a background thread.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import json
import logging
import math
import random
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from titanaudit.loopback import LoopbackServer
from titanaudit.simulator.faults import Faults
from titanaudit.simulator.problems import add_oddities
from titanaudit.simulator.tenant import Record, Tenant

__all__ = ["SCOPES", "SimulatorServer", "SimulatorState", "create_app"]

logger = logging.getLogger(__name__)

#: Export path (after /export/) → (tenant feed, scope the app needs).
EXPORTS = {
    "customers": ("customers", "tn.crm.customers:r"),
    "customers/contacts": ("customer_contacts", "tn.crm.customers:r"),
    "locations": ("locations", "tn.crm.locations:r"),
    "locations/contacts": ("location_contacts", "tn.crm.locations:r"),
    "leads": ("leads", "tn.crm.leads:r"),
    "bookings": ("bookings", "tn.crm.bookings:r"),
}
TAG_SCOPE = "tn.settings.tag-types:r"
SCOPES = frozenset({scope for _, scope in EXPORTS.values()} | {TAG_SCOPE})
MAX_PAGE_SIZE = 5000


def _modified_us(stamp: str | None) -> int:
    if not stamp:
        return 0
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


def _token(key: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode().rstrip("=")


def _untoken(text: str) -> tuple[int, int] | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        modified, record_id = raw.split(":")
        return int(modified), int(record_id)
    except ValueError:
        return None


@dataclass
class FeedIndex:
    """One export feed: records ordered by (modifiedOn, id), each pre-serialised."""

    keys: list[tuple[int, int]] = field(default_factory=list)
    bodies: dict[int, bytes] = field(default_factory=dict)
    key_of: dict[int, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def build(cls, records: list[Record]) -> FeedIndex:
        index = cls()
        for record in records:
            key = (_modified_us(record.get("modifiedOn")), int(record["id"]))
            index.key_of[key[1]] = key
            index.bodies[key[1]] = json.dumps(record, separators=(",", ":")).encode()
        index.keys = sorted(index.key_of.values())
        return index

    def put(self, record: Record) -> None:
        record_id = int(record["id"])
        old = self.key_of.get(record_id)
        if old is not None:
            del self.keys[bisect.bisect_left(self.keys, old)]
        key = (_modified_us(record.get("modifiedOn")), record_id)
        bisect.insort(self.keys, key)
        self.key_of[record_id] = key
        self.bodies[record_id] = json.dumps(record, separators=(",", ":")).encode()


@dataclass
class SimulatorState:
    """The served tenant, the app's credentials and the fault dice. Safe to change while serving
    through :meth:`touch` (records changed in ServiceTitan between two pulls)."""

    tenant: Tenant
    client_id: str = "cid.simulator"
    client_secret: str = "cs1.simulator-secret"  # noqa: S105 - the simulator's own test secret
    app_key: str = "ak1.simulator"
    scopes: frozenset[str] = SCOPES
    faults: Faults = field(default_factory=Faults)
    export_page_size: int = 1000
    visibility_delay: float = 900.0
    clock: Callable[[], float] = time.time
    tokens: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    #: Requests answered 429 because they came before a 429's stated delay was over.
    punished: int = 0

    def __post_init__(self) -> None:
        #: The app's "not before" moment (``clock`` time) set by the last 429.
        self.limited_until = -math.inf
        if self.faults.oddities:
            add_oddities(self.tenant, rate=self.faults.oddities, seed=self.faults.seed)
        self.dice = random.Random(self.faults.seed)
        self.lock = threading.Lock()
        self.indexes = {
            feed: FeedIndex.build(self.tenant.feeds[feed]) for feed, _ in EXPORTS.values()
        }
        self.by_id = {
            feed: {int(r["id"]): r for r in self.tenant.feeds[feed]}
            for feed in ("customers", "locations", "leads", "bookings")
        }
        self.booking_contacts = self.tenant.contacts_of_booking()

    def roll(self, share: float) -> bool:
        with self.lock:
            return share > 0 and self.dice.random() < share

    def touch(self, feed: str, record_id: int, **changes: Any) -> Record:
        """Change a record as ServiceTitan would: new values and a new ``modifiedOn`` (now)."""
        with self.lock:
            record = next(r for r in self.tenant.feeds[feed] if r["id"] == record_id)
            now = datetime.fromtimestamp(self.clock(), UTC)
            record.update(changes, modifiedOn=now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
            self.indexes[feed].put(record)
            return record

    def add(self, feed: str, record: Record) -> None:
        """Add a new record (its ``modifiedOn`` as given)."""
        with self.lock:
            self.tenant.feeds[feed].append(record)
            self.indexes[feed].put(record)
            if feed in self.by_id:
                self.by_id[feed][int(record["id"])] = record


def _problem(status: int, title: str, **extra: Any) -> JSONResponse:
    body = {
        "type": "https://tools.ietf.org/html/rfc7231",
        "title": title,
        "status": status,
        "traceId": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00",
        **extra,
    }
    return JSONResponse(body, status_code=status)


class TruncatedResponse(Response):
    """Announces the whole body, sends half of it, then drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send(
            {
                "type": "http.response.body",
                "body": self.body[: len(self.body) // 2],
                "more_body": True,
            }
        )
        raise ConnectionResetError("simulated dropped connection")


Handler = Callable[[Request, SimulatorState], Awaitable[Response]]


def _api(handler: Handler, state: SimulatorState, scope: str | None) -> Callable[..., Any]:
    """Wrap an API handler in the checks and faults every API request meets."""

    async def endpoint(request: Request) -> Response:
        early = await _faults(state)
        if early is not None:
            return early
        if not request.headers.get("st-app-key") and not request.query_params.get(
            "servicetitanapplicationkey"
        ):
            return _problem(401, "Application key not present, check ST-App-Key header value.")
        if request.headers.get("st-app-key", state.app_key) != state.app_key:
            return _problem(401, "Application key is invalid, check ST-App-Key header value.")
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        issued = state.tokens.get(token)
        if issued is None or state.clock() - issued > state.faults.token_ttl:
            return _problem(401, "Unauthorized: the access token is missing, invalid or expired.")
        if int(request.path_params["tenant"]) != state.tenant.tenant_id:
            return _problem(
                403, f"Tenant {request.path_params['tenant']} is not available to this application."
            )
        if scope and scope not in state.scopes:
            return _problem(403, f"The application does not have the scope {scope}.")
        response = await handler(request, state)
        if state.roll(state.faults.dropped):
            return TruncatedResponse(
                response.body, status_code=response.status_code, media_type="application/json"
            )
        return response

    return endpoint


async def _faults(state: SimulatorState) -> Response | None:
    with state.lock:
        state.requests += 1
    faults = state.faults
    delay = faults.latency + (faults.slow_seconds if state.roll(faults.slow) else 0.0)
    if delay:
        await asyncio.sleep(delay)
    early = _punished(state)
    if early is not None:
        return early
    if state.roll(faults.rate_limited):
        with state.lock:
            state.limited_until = max(state.limited_until, state.clock() + faults.retry_after)
        return _too_many(state, faults.retry_after)
    if state.roll(faults.server_errors):
        status = state.dice.choice((500, 502, 503))
        return _problem(status, "Internal server error (simulated).")
    return None


def _punished(state: SimulatorState) -> Response | None:
    """A 429 for a request that came before the app's stated delay was over (if the dice say so);
    it pushes the app's "not before" moment ``early_penalty`` seconds further."""
    with state.lock:
        early = state.clock() < state.limited_until
    if not early or not state.roll(state.faults.punish_early):
        return None
    with state.lock:
        now = state.clock()
        state.limited_until = max(state.limited_until, now) + state.faults.early_penalty
        state.punished += 1
        seconds = state.limited_until - now
    return _too_many(state, seconds)


def _too_many(state: SimulatorState, seconds: float) -> Response:
    """429 asking for ``seconds`` (rounded up to a hundredth), in the title and maybe the header."""
    text = f"{math.ceil(round(seconds * 100, 6)) / 100:.2f}".rstrip("0").rstrip(".")
    response = _problem(
        429, f"Too Many Requests. Rate limit exceeded. Try again in {text} seconds."
    )
    if state.roll(state.faults.retry_after_header):
        response.headers["Retry-After"] = text
    return response


async def token_endpoint(request: Request, state: SimulatorState) -> Response:
    early = await _faults(state)
    if early is not None:
        return early
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    if form.get("grant_type") != "client_credentials":
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
    if form.get("client_id") != state.client_id or form.get("client_secret") != state.client_secret:
        return JSONResponse({"error": "invalid_client"}, status_code=400)
    token = secrets.token_urlsafe(24)
    with state.lock:
        state.tokens[token] = state.clock()
    return JSONResponse(
        {
            "access_token": token,
            "expires_in": 900,
            "token_type": "Bearer",
            "scope": " ".join(sorted(state.scopes)),
        }
    )


def _export(feed: str) -> Handler:
    async def handler(request: Request, state: SimulatorState) -> Response:
        index = state.indexes[feed]
        recent = request.query_params.get("includeRecentChanges", "").lower() == "true"
        start = _start(index, request.query_params.get("from") or "")
        if start is None:
            return _problem(
                400,
                "One or more validation errors occurred.",
                errors={"from": ["The continuation token is not valid."]},
            )
        with state.lock:
            cutoff_us = int((state.clock() - (0 if recent else state.visibility_delay)) * 1e6)
            visible = bisect.bisect_right(index.keys, (cutoff_us, 2**63))
            if recent and state.faults.repeats:
                start = max(0, start - state.faults.repeats)
            end = min(start + state.export_page_size, visible)
            keys = index.keys[start:end] if end > start else []
            bodies = [index.bodies[k[1]] for k in keys]
            position = index.keys[end - 1] if end > 0 and end > start else _resume_key(index, start)
        body = b'{"hasMore":%s,"continueFrom":"%s","data":[%s]}' % (
            b"true" if end < visible else b"false",
            _token(position).encode(),
            b",".join(bodies),
        )
        return Response(body, media_type="application/json")

    return handler


def _resume_key(index: FeedIndex, start: int) -> tuple[int, int]:
    return index.keys[start - 1] if 0 < start <= len(index.keys) else (0, 0)


def _start(index: FeedIndex, text: str) -> int | None:
    """Position after a continuation token, or at a date (the export's ``from`` semantics)."""
    if not text:
        return 0
    key = _untoken(text)
    if key is not None:
        return bisect.bisect_right(index.keys, key)
    try:
        return bisect.bisect_left(index.keys, (_modified_us(text), 0))
    except ValueError:
        return None


def _paged(records: list[Record], request: Request) -> Response:
    params = request.query_params
    try:
        page = int(params.get("page", 1))
        size = int(params.get("pageSize", 50))
    except ValueError:
        return _problem(
            400,
            "One or more validation errors occurred.",
            errors={"page": ["page and pageSize must be integers."]},
        )
    if not 1 <= size <= MAX_PAGE_SIZE or page < 1:
        return _problem(
            400,
            "One or more validation errors occurred.",
            errors={"pageSize": [f"pageSize must be between 1 and {MAX_PAGE_SIZE}."]},
        )
    active = params.get("active", "True")
    if active != "Any" and records and "active" in records[0]:
        records = [r for r in records if r.get("active") is (active == "True")]
    if params.get("ids"):
        wanted = {int(x) for x in params["ids"].split(",") if x.strip().isdigit()}
        records = [r for r in records if r["id"] in wanted]
    records = sorted(records, key=lambda r: r["id"])
    chunk = records[(page - 1) * size : page * size]
    total = len(records) if params.get("includeTotal") == "true" else None
    return JSONResponse(
        {
            "page": page,
            "pageSize": size,
            "hasMore": page * size < len(records),
            "totalCount": total,
            "data": chunk,
        }
    )


def _list(feed: str) -> Handler:
    async def handler(request: Request, state: SimulatorState) -> Response:
        return _paged(state.tenant.feeds[feed], request)

    return handler


def _by_id(feed: str) -> Handler:
    async def handler(request: Request, state: SimulatorState) -> Response:
        record = state.by_id[feed].get(int(request.path_params["id"]))
        if record is None:
            return _problem(
                404, f"{feed[:-1].title()} with id {request.path_params['id']} not found."
            )
        return JSONResponse(record)

    return handler


def _contacts_of(feed: str, owner_key: str) -> Handler:
    async def handler(request: Request, state: SimulatorState) -> Response:
        owner = int(request.path_params["id"])
        if feed == "booking_contacts":
            if owner not in state.by_id["bookings"]:
                return _problem(404, f"Booking with id {owner} not found.")
            return _paged(state.booking_contacts.get(owner, []), request)
        rows = [
            {k: v for k, v in r.items() if k not in (owner_key, "active")}
            for r in state.tenant.feeds[feed]
            if r.get(owner_key) == owner
        ]
        return _paged(rows, request)

    return handler


def _bulk_contacts(feed: str, ids_param: str, owner_key: str) -> Handler:
    async def handler(request: Request, state: SimulatorState) -> Response:
        params = request.query_params
        if not any(
            params.get(p)
            for p in (
                ids_param,
                "modifiedBefore",
                "modifiedOnOrAfter",
                "createdBefore",
                "createdOnOrAfter",
            )
        ):
            return _problem(
                400,
                "One or more validation errors occurred.",
                errors={
                    ids_param: [
                        f"At least one of {ids_param}, modifiedBefore or modifiedOnOrAfter is required."
                    ]
                },
            )
        rows = state.tenant.feeds[feed]
        if params.get(ids_param):
            wanted = {int(x) for x in params[ids_param].split(",") if x.strip().isdigit()}
            rows = [r for r in rows if r.get(owner_key) in wanted]
        rows = [{k: v for k, v in r.items() if k != "active"} for r in rows]
        return _paged(rows, request)

    return handler


def _settings_list(feed: str) -> Handler:
    async def handler(request: Request, state: SimulatorState) -> Response:
        return _paged(state.tenant.feeds[feed], request)

    return handler


async def _tag_export(request: Request, state: SimulatorState) -> Response:
    tags = state.tenant.feeds["tag_types"]
    body = {"hasMore": False, "continueFrom": _token((0, len(tags))), "data": tags}
    return JSONResponse(body)


def _bind(handler: Handler, state: SimulatorState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, state)

    return endpoint


def create_app(state: SimulatorState) -> Starlette:
    """The Starlette application serving ``state``."""
    crm = "/crm/v2/tenant/{tenant:int}"
    routes = [
        Route("/connect/token", _bind(token_endpoint, state), methods=["POST"]),
        Route(
            f"{crm}/customers/custom-fields",
            _api(_list("customer_custom_fields"), state, "tn.crm.customers:r"),
        ),
        Route(
            f"{crm}/locations/custom-fields",
            _api(_list("location_custom_fields"), state, "tn.crm.locations:r"),
        ),
        Route(
            f"{crm}/customers/contacts",
            _api(
                _bulk_contacts("customer_contacts", "customerIds", "customerId"),
                state,
                "tn.crm.customers:r",
            ),
        ),
        Route(
            f"{crm}/locations/contacts",
            _api(
                _bulk_contacts("location_contacts", "locationIds", "locationId"),
                state,
                "tn.crm.locations:r",
            ),
        ),
        Route(
            f"{crm}/customers/{{id:int}}/contacts",
            _api(_contacts_of("customer_contacts", "customerId"), state, "tn.crm.customers:r"),
        ),
        Route(
            f"{crm}/locations/{{id:int}}/contacts",
            _api(_contacts_of("location_contacts", "locationId"), state, "tn.crm.locations:r"),
        ),
        Route(
            f"{crm}/bookings/{{id:int}}/contacts",
            _api(_contacts_of("booking_contacts", ""), state, "tn.crm.bookings:r"),
        ),
        Route(
            "/settings/v2/tenant/{tenant:int}/tag-types",
            _api(_settings_list("tag_types"), state, TAG_SCOPE),
        ),
        Route(
            "/settings/v2/tenant/{tenant:int}/export/tag-types", _api(_tag_export, state, TAG_SCOPE)
        ),
    ]
    for path, (feed, scope) in EXPORTS.items():
        routes.append(Route(f"{crm}/export/{path}", _api(_export(feed), state, scope)))
    for feed in ("customers", "locations", "leads", "bookings"):
        scope = EXPORTS[feed][1]
        routes.append(Route(f"{crm}/{feed}", _api(_list(feed), state, scope)))
        routes.append(Route(f"{crm}/{feed}/{{id:int}}", _api(_by_id(feed), state, scope)))
    return Starlette(routes=routes)


class SimulatorServer(LoopbackServer):
    """Run the simulator on a free loopback port in a background thread.

    >>> with SimulatorServer(SimulatorState(tenant)) as server:   # doctest: +SKIP
    ...     server.url   # 'http://127.0.0.1:54321'
    """

    def __init__(
        self,
        state: SimulatorState,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "critical",
    ) -> None:
        self.state = state
        super().__init__(
            create_app(state),
            host=host,
            port=port,
            log_level=log_level,
            name="titanaudit-simulator",
        )
