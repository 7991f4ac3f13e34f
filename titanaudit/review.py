"""``titanaudit review``: the review page served from this machine, each decision saved in the
snapshot the moment it is made.

The snapshot is audited as it is now (not recorded in its history: a review changes nothing
but the decisions), the page rendered once, and served on 127.0.0.1 by the same Starlette and
uvicorn the simulator runs on. The page then reads and writes the snapshot's decisions through
two calls, ``GET`` and ``POST /api/decisions``; the next audit applies them as it applies
imported ones. A reviewer who reloads sees every decision in the snapshot, a colleague's too:
each write is one transaction, and the decision names who made it last.

Only the person who started the server can use it:

- a random token in the page's address; the page sends it back in the ``X-Titanaudit-Token``
  header, a header a page from another site cannot send without a CORS preflight, which this
  server never grants;
- a write must be a ``POST`` of ``application/json`` whose ``Origin`` (when the browser sends
  one) is this server's own, and whose ``Sec-Fetch-Site`` (likewise) is ``same-origin``;
- the ``Host`` must be this server's loopback name and port, so a page that rebinds its own
  domain name to 127.0.0.1 is refused;
- nothing listens beyond loopback, and every answer carries ``no-store``, ``no-referrer`` (the
  token stays out of the links into ServiceTitan) and a content security policy.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from titanaudit.decisions import decision_key, decision_rows, export_decisions
from titanaudit.errors import ConfigError
from titanaudit.loopback import LoopbackServer
from titanaudit.store import open_snapshot

__all__ = ["TOKEN_HEADER", "ReviewServer", "review_app"]

TOKEN_HEADER = "X-Titanaudit-Token"  # noqa: S105 - the header's name, not a secret
MAX_BODY = 1_000_000  # bytes of one write: thousands of decisions
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; img-src data:; connect-src 'self'; frame-ancestors 'none'",
}


@dataclass(frozen=True)
class _Review:
    db: Path
    page: str
    token: str


def _refused(status: int, why: str) -> JSONResponse:
    return JSONResponse({"error": why}, status_code=status, headers=HEADERS)


def _stranger(request: Request, review: _Review, *, token: str | None) -> JSONResponse | None:
    """Why ``request`` is not from the page this server handed out (None: it is)."""
    port = request.scope.get("server", ("", 0))[1]
    if request.headers.get("host", "") not in {f"127.0.0.1:{port}", f"localhost:{port}"}:
        return _refused(403, "this server answers only to 127.0.0.1 and localhost")
    if token is None or not secrets.compare_digest(token.encode(), review.token.encode()):
        return _refused(403, "no valid token: open the address titanaudit review printed")
    return None


def _page(review: _Review) -> Any:
    def endpoint(request: Request) -> Response:
        refused = _stranger(request, review, token=request.query_params.get("token"))
        return refused or HTMLResponse(review.page, headers=HEADERS)

    return endpoint


def _decisions(review: _Review) -> Any:
    def endpoint(request: Request) -> Response:
        refused = _stranger(request, review, token=request.headers.get(TOKEN_HEADER))
        if refused:
            return refused
        with open_snapshot(review.db) as snapshot:
            return JSONResponse(export_decisions(snapshot), headers=HEADERS)

    return endpoint


def _same_origin(request: Request) -> bool:
    port = request.scope.get("server", ("", 0))[1]
    origin = request.headers.get("origin")
    if origin is not None and origin not in {
        f"http://127.0.0.1:{port}",
        f"http://localhost:{port}",
    }:
        return False
    return request.headers.get("sec-fetch-site", "same-origin") == "same-origin"


def _write(review: _Review) -> Any:
    async def endpoint(request: Request) -> Response:
        refused = _stranger(request, review, token=request.headers.get(TOKEN_HEADER))
        if refused:
            return refused
        if not _same_origin(request):
            return _refused(403, "writes come only from the review page itself")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _refused(415, "send the decisions as application/json")
        body = await request.body()
        if len(body) > MAX_BODY:
            return _refused(413, "too many decisions in one write")
        try:
            change = json.loads(body)
            if not isinstance(change, dict):
                raise ConfigError("the page's write: expected an object with set and clear")
            save = decision_rows(
                list(change.get("set") or []),
                "the page's write",
                who=str(change.get("who") or "") or None,
            )
            forget = [decision_key(item, "the page's write") for item in change.get("clear") or []]
        except (ValueError, TypeError, ConfigError) as exc:
            return _refused(400, str(exc))
        with open_snapshot(review.db) as snapshot:
            snapshot.change_decisions(save, forget)
            return JSONResponse(export_decisions(snapshot), headers=HEADERS)

    return endpoint


def review_app(db: Path, page: str, token: str) -> Starlette:
    """The review server's app: ``page`` (the rendered review page) for ``token``'s holder,
    and the snapshot ``db``'s decisions to read and write."""
    review = _Review(db, page, token)
    return Starlette(
        routes=[
            Route("/", _page(review), methods=["GET"]),
            Route("/api/decisions", _decisions(review), methods=["GET"]),
            Route("/api/decisions", _write(review), methods=["POST"]),
        ]
    )


class ReviewServer(LoopbackServer):
    """``review_app`` on a loopback port; :attr:`address` is the page's address, token
    included (what ``titanaudit review`` prints and opens)."""

    def __init__(self, db: Path, page: str, *, port: int = 0, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(32)
        super().__init__(
            review_app(db, page, self.token),
            port=port,
            log_level="warning",
            name="titanaudit-review",
        )

    @property
    def address(self) -> str:
        return f"{self.url}/?token={self.token}"
