"""The faults the simulator can inject, as a small frozen spec parsed from ``--faults``.

``--faults all`` switches every fault on at rates a client must survive; ``--faults storm`` is a
rate-limit storm (many 429s, early retries punished, 5xx and short-lived tokens too); a comma list
sets them one by one, e.g. ``--faults 429=0.1,5xx=0.05,drop=0.02,latency=0.05,token-ttl=5,repeat=3``,
and may start from a preset: ``--faults storm,429-seconds=0.2``.

The 429s are application-wide, like ServiceTitan's limit: each one sets a moment before which the
app should send nothing. With ``429-punish`` on, a request that comes before that moment (a client
retrying early, or another thread that ignored the 429) is answered 429 too, and pushes the moment
``429-penalty`` seconds further.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from titanaudit.errors import ConfigError

__all__ = ["Faults"]


def _f(key: str, text: str, default: Any) -> Any:
    return field(default=default, metadata={"key": key, "help": text})


@dataclass(frozen=True, kw_only=True)
class Faults:
    """Which faults the simulator injects, and how often (shares are per request)."""

    rate_limited: float = _f("429", "Share of requests answered 429 Too Many Requests.", 0.0)
    retry_after_header: float = _f(
        "429-header",
        "Share of those 429s that carry Retry-After (the rest name seconds in the title).",
        0.5,
    )
    retry_after: float = _f(
        "429-seconds", "Seconds a 429 asks the client to wait (may be a fraction).", 1.0
    )
    punish_early: float = _f(
        "429-punish",
        "Share of requests sent before a 429's stated delay is over that are answered 429 again "
        "(1: every early request, like a strict limit).",
        0.0,
    )
    early_penalty: float = _f(
        "429-penalty", "Seconds a punished early request adds to the application's wait.", 1.0
    )
    server_errors: float = _f("5xx", "Share of requests answered 500, 502 or 503.", 0.0)
    dropped: float = _f("drop", "Share of responses whose connection is cut mid-body.", 0.0)
    latency: float = _f("latency", "Seconds added to every response.", 0.0)
    slow: float = _f("slow", "Share of responses delayed by slow-seconds.", 0.0)
    slow_seconds: float = _f("slow-seconds", "How long a slow response takes.", 2.0)
    token_ttl: float = _f(
        "token-ttl", "Seconds a token is honoured (the token response still says 900).", 900.0
    )
    repeats: int = _f(
        "repeat", "Records of the previous page repeated on each page with includeRecentChanges.", 0
    )
    oddities: float = _f(
        "oddities", "Share of records given nulls, unknown enum values or unknown fields.", 0.0
    )
    seed: int = _f("seed", "Seed of the fault dice.", 0)

    @classmethod
    def all(cls) -> Faults:
        """Every fault on, at rates that make a pull hard but possible."""
        return cls(
            rate_limited=0.08,
            server_errors=0.05,
            dropped=0.03,
            latency=0.002,
            slow=0.01,
            slow_seconds=0.5,
            token_ttl=3.0,
            repeats=3,
            oddities=0.01,
        )

    @classmethod
    def storm(cls) -> Faults:
        """A rate-limit storm: a quarter of requests answered 429, every early retry punished,
        with server errors and tokens that die after 30 seconds on top."""
        return cls(
            rate_limited=0.25,
            retry_after=2.0,
            punish_early=1.0,
            early_penalty=1.0,
            server_errors=0.05,
            token_ttl=30.0,
        )

    @classmethod
    def parse(cls, text: str | None) -> Faults:
        """Parse ``all``, ``storm``, ``none`` or ``key=value,...`` (keys as in ``--help``), which
        may start from ``all`` or ``storm``."""
        if not text or text == "none":
            return cls()
        presets = {"all": cls.all, "storm": cls.storm}
        by_key = {f.metadata["key"]: f for f in dataclasses.fields(cls)}
        base = cls()
        values: dict[str, Any] = {}
        for item in text.split(","):
            key, _, raw = item.partition("=")
            if key.strip() in presets and not raw:
                base = presets[key.strip()]()
                continue
            spec = by_key.get(key.strip())
            if spec is None or not raw:
                keys = ", ".join(by_key)
                raise ConfigError(
                    f"bad fault {item!r}; use all, storm, none or KEY=VALUE with KEY in {keys}"
                )
            try:
                values[spec.name] = type(getattr(base, spec.name))(raw)
            except ValueError:
                raise ConfigError(f"bad value in fault {item!r}: {raw!r} is not a number") from None
        return dataclasses.replace(base, **values)

    @classmethod
    def describe(cls) -> str:
        """One line per fault key, for ``--help``."""
        return "\n".join(
            f"{f.metadata['key']}: {f.metadata['help']}" for f in dataclasses.fields(cls)
        )
