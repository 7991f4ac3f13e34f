"""Coordinate rules (catalogue §4.3): a location's map pin feeds routing, the technician's
phone and arrival tracking. Missing, (0, 0), out of range, swapped, a lost minus sign, far from
the ZIP, in another state, rounded to a town's centre, or sitting on the office.

Checks run in order and a pin is reported by the first that fits: a swapped pair is not also
"out of range", and a pin at (0, 0) is not also "far from its ZIP".
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from titanaudit.rules.base import Context, Rule, findings, nothing
from titanaudit.rules.parsing import zip_index

__all__ = ["COORDINATE_RULES", "miles"]

EARTH_MILES = 3958.8
IN_US = {"lat": (15.0, 75.0), "lon": (-180.0, -60.0)}  # the 50 states, Puerto Rico, territories


def miles(
    lat1: np.ndarray | float,
    lon1: np.ndarray | float,
    lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in miles (haversine), vectorised."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    distance: np.ndarray = 2 * EARTH_MILES * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    return distance


def _in_us(lat: pd.Series, lon: pd.Series) -> pd.Series:
    return lat.between(*IN_US["lat"]) & lon.between(*IN_US["lon"])


def _pins(ctx: Context) -> pd.DataFrame:
    return ctx.shared("pins", _parse_pins)


def _parse_pins(ctx: Context) -> pd.DataFrame:
    """Open locations with ``lat, lon`` as numbers and the stage each pin failed at (``fault``:
    missing, zero, swapped, sign, range; empty for a plausible US pin)."""
    a = ctx.addresses
    if "latitude" not in a or "longitude" not in a:
        ctx.need("locations", "latitude", "longitude")
    lat = pd.to_numeric(a["latitude"], errors="coerce")
    lon = pd.to_numeric(a["longitude"], errors="coerce")
    missing = lat.isna() | lon.isna()
    zero = ~missing & ((lat == 0) | (lon == 0))
    swapped = ~missing & ~zero & _in_us(lon, lat)
    sign = (
        ~missing
        & ~zero
        & ~swapped
        & ~_in_us(lat, lon)
        & (_in_us(lat, -lon) | _in_us(-lat, lon) | _in_us(-lat, -lon))
    )
    out_of_range = ~missing & ((lat.abs() > 90) | (lon.abs() > 180)) & ~swapped
    fault = np.select(
        [missing, zero, swapped, sign, out_of_range],
        ["missing", "zero", "swapped", "sign", "range"],
        default="",
    )
    return a.assign(lat=lat, lon=lon, fault=fault)


def _shown(lat: pd.Series, lon: pd.Series) -> pd.Series:
    return lat.map("{:.6g}".format).astype(str) + ", " + lon.map("{:.6g}".format).astype(str)


def _missing(ctx: Context) -> pd.DataFrame:
    p = _pins(ctx)
    hit = p[p["fault"] == "missing"]
    return findings(
        hit["id"],
        "No map pin: geocode the address so routing and the technician's app can find it.",
        None,
    )


def _zero(ctx: Context) -> pd.DataFrame:
    p = _pins(ctx)
    hit = p[p["fault"] == "zero"]
    return findings(
        hit["id"],
        "The map pin is at 0 (off the coast of Africa): geocoding failed; "
        "geocode the address again.",
        _shown(hit["lat"], hit["lon"]),
    )


def _range(ctx: Context) -> pd.DataFrame:
    p = _pins(ctx)
    hit = p[p["fault"] == "range"]
    return findings(
        hit["id"],
        "The map pin is not a place on Earth (latitude beyond 90 or "
        "longitude beyond 180): geocode the address again.",
        _shown(hit["lat"], hit["lon"]),
    )


def _swapped(ctx: Context) -> pd.DataFrame:
    p = _pins(ctx)
    hit = p[p["fault"] == "swapped"]
    return findings(
        hit["id"],
        "Latitude and longitude are swapped: exchange them.",
        _shown(hit["lat"], hit["lon"]),
        fix=_shown(hit["lon"], hit["lat"]),
    )


def _sign(ctx: Context) -> pd.DataFrame:
    p = _pins(ctx)
    hit = p[p["fault"] == "sign"]
    lat, lon = hit["lat"], hit["lon"]
    fixed_lat, fixed_lon = lat.abs(), -lon.abs()
    return findings(
        hit["id"],
        "A minus sign is lost or added (US longitudes are negative): correct the sign.",
        _shown(lat, lon),
        fix=_shown(fixed_lat, fixed_lon),
    )


def _distances(ctx: Context) -> pd.DataFrame:
    return ctx.shared("distances", _measure)


def _measure(ctx: Context) -> pd.DataFrame:
    """Plausible pins with the distance in miles to their ZIP's centre (missing where the ZIP
    or its centre is unknown)."""
    p = _pins(ctx)
    p = p[p["fault"] == ""]
    far = miles(
        p["lat"].to_numpy(),
        p["lon"].to_numpy(),
        p["zip_lat"].to_numpy(dtype=float),
        p["zip_lon"].to_numpy(dtype=float),
    )
    return p.assign(miles=far)


def _far(ctx: Context) -> pd.DataFrame:
    s = ctx.settings
    d = _distances(ctx)
    hit = d[d["miles"] > s.zip_distance_medium_miles]
    severity = np.where(hit["miles"] > s.zip_distance_high_miles, "high", "medium")
    message = (
        "The map pin is "
        + hit["miles"].round().astype(int).astype(str)
        + " miles from ZIP "
        + hit["zip5"]
        + ": geocode the address again (or correct the ZIP)."
    )
    return findings(
        hit["id"], message, _shown(hit["lat"], hit["lon"]), severity=pd.Series(severity)
    )


@functools.cache
def _zip_grid() -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """ZIP centres by one-degree cell: (latitudes, longitudes, states) of each cell."""
    index = zip_index().dropna(subset=["lat", "lon"])
    lat, lon, state = (index[c].to_numpy() for c in ("lat", "lon", "state"))
    rows: dict[tuple[int, int], list[int]] = {}
    for i, cell in enumerate(
        zip(np.floor(lat).astype(int), np.floor(lon).astype(int), strict=True)
    ):
        rows.setdefault((int(cell[0]), int(cell[1])), []).append(i)
    return {cell: (lat[at], lon[at], state[at]) for cell, at in rows.items()}


def _nearest_state(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The state of the nearest ZIP centre to each point (few points: those already far from
    their own ZIP), among the centres of the nine one-degree cells around it."""
    grid = _zip_grid()
    states = np.full(len(lat), None, dtype=object)
    for i, (y, x) in enumerate(zip(lat, lon, strict=True)):
        cy, cx = int(np.floor(y)), int(np.floor(x))
        near = [
            grid[c]
            for c in ((cy + dy, cx + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
            if c in grid
        ]
        if near:
            lats, lons, names = (np.concatenate(part) for part in zip(*near, strict=True))
            states[i] = names[int(np.argmin(miles(lats, lons, y, x)))]
    return states


def _other_state(ctx: Context) -> pd.DataFrame:
    d = _distances(ctx)
    d = d[(d["miles"] > 10) & d["state"].notna()]
    if d.empty:
        return nothing()
    nearest = pd.Series(_nearest_state(d["lat"].to_numpy(), d["lon"].to_numpy()), index=d.index)
    state = d["state"].astype(str).str.strip().str.upper()
    hit = d[nearest.notna() & (nearest != state)]
    message = (
        "The map pin is in "
        + nearest[hit.index].astype(str)
        + " but the address is in "
        + state[hit.index]
        + ": geocode the address again."
    )
    return findings(hit["id"], message, _shown(hit["lat"], hit["lon"]))


def _decimals(values: pd.Series) -> pd.Series:
    """True where a coordinate has at most two decimals (about a kilometre)."""
    return (values * 100 - (values * 100).round()).abs() < 1e-6


def _coarse(ctx: Context) -> pd.DataFrame:
    p = _pins(ctx)
    p = p[p["fault"] == ""]
    at_centre = (p["lat"].round(4) == p["zip_lat"].astype(float).round(4)) & (
        p["lon"].round(4) == p["zip_lon"].astype(float).round(4)
    )
    hit = p[(_decimals(p["lat"]) & _decimals(p["lon"])) | at_centre]
    return findings(
        hit["id"],
        "The map pin is only approximate (rounded, or the ZIP's centre): "
        "geocode the street address for an exact pin.",
        _shown(hit["lat"], hit["lon"]),
    )


def _office(ctx: Context) -> pd.DataFrame:
    s = ctx.settings
    if s.office_latitude is None or s.office_longitude is None:
        return nothing()
    p = _pins(ctx)
    p = p[p["fault"] == ""]
    near = miles(p["lat"].to_numpy(), p["lon"].to_numpy(), s.office_latitude, s.office_longitude)
    hit = p[near < 0.05]
    return findings(
        hit["id"],
        "The map pin is the office's own location: geocode the customer's address.",
        _shown(hit["lat"], hit["lon"]),
    )


COORDINATE_RULES: tuple[Rule, ...] = (
    Rule("GEO-LOC-001", "locations", "high", "Map pin missing", _missing),
    Rule("GEO-LOC-002", "locations", "high", "Map pin at zero (Null Island)", _zero),
    Rule("GEO-LOC-003", "locations", "high", "Map pin out of range", _range),
    Rule("GEO-LOC-004", "locations", "high", "Latitude and longitude swapped", _swapped),
    Rule("GEO-LOC-005", "locations", "high", "Sign of a coordinate wrong", _sign),
    Rule("GEO-LOC-006", "locations", "medium", "Map pin far from the ZIP", _far),
    Rule("GEO-LOC-007", "locations", "medium", "Map pin in another state", _other_state),
    Rule("GEO-LOC-008", "locations", "low", "Map pin approximate", _coarse),
    Rule("GEO-LOC-009", "locations", "medium", "Map pin on the office", _office),
)
