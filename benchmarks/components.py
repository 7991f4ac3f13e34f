"""Connected components of linked pairs; plain Python, so the peers' environment can use it too."""

from __future__ import annotations

from collections.abc import Iterable


def components(links: Iterable[Iterable[str]]) -> list[list[str]]:
    """Groups of ids joined by any chain of ``links`` (each an iterable of ids)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for link in links:
        ids = list(link)
        for other in ids[1:]:
            parent[find(other)] = find(ids[0])
    groups: dict[str, list[str]] = {}
    for member in parent:
        groups.setdefault(find(member), []).append(member)
    return list(groups.values())
