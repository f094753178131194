"""The store contract checked on a store itself, as the Rust conformance suite checks the
built-in ones (store/src/conformance.rs: compare_and_set, listing): for the host stores written
in Python. ``call`` runs a store method and gives its answer (awaiting it for an asynchronous
store)."""

from __future__ import annotations

import secrets
from typing import Any, Callable, List, Optional, Tuple

from watchword import Write

Call = Callable[[Any], Any]


def put(service: str, kind: str, key: str, identity: str, created: int, expected: int, version: int, text: str) -> Write:
    return Write(service, kind, key, identity, created, expected, version, text)


def delete(service: str, kind: str, key: str, expected: int) -> Write:
    return Write(service, kind, key, "", 0, expected, expected, None)


def compare_and_set(store: Any, call: Call) -> None:
    """Inserts need no row, updates and deletes the row's version; a commit with any mismatch
    applies nothing."""
    service = f"cas-{secrets.token_hex(4)}"
    a = put(service, "entity", "user-a", "user-a", 10, 0, 1, "A1")
    assert call(store.commit([a])) is True
    assert call(store.get(service, "entity", "user-a")) == "A1"
    assert call(store.commit([a])) is False, "an insert over a row is a conflict"
    assert call(store.commit([put(service, "entity", "user-a", "user-a", 10, 2, 3, "A3")])) is False, "a stale update"
    assert call(store.commit([put(service, "entity", "user-a", "user-a", 10, 1, 2, "A2")])) is True
    assert call(store.get(service, "entity", "user-a")) == "A2"
    # All or nothing: a good insert beside a stale update is not applied.
    b = put(service, "entity", "user-b", "user-b", 11, 0, 1, "B1")
    assert call(store.commit([b, put(service, "entity", "user-a", "user-a", 10, 1, 9, "A9")])) is False
    assert call(store.get(service, "entity", "user-b")) is None and call(store.get(service, "entity", "user-a")) == "A2"
    assert call(store.commit([delete(service, "entity", "user-a", 1)])) is False, "a stale delete"
    assert call(store.commit([delete(service, "entity", "user-a", 2)])) is True
    assert call(store.get(service, "entity", "user-a")) is None
    assert call(store.get(f"{service}-other", "entity", "user-b")) is None
    assert call(store.get(service, "factor", "user-b")) is None


def listing(store: Any, call: Call) -> None:
    """Listings in (created, key) order, after a place, at least up to a limit; by identity and
    kind, and across the service."""
    service = f"list-{secrets.token_hex(4)}"
    rows = [("YC03", "ada", 5), ("YC01", "ada", 7), ("YC02", "ada", 7), ("YC04", "bob", 6), ("YC05", "ada", 9)]
    writes = [put(service, "challenge", key, who, created, 0, 1, f"text-{key}") for key, who, created in rows]
    writes.append(put(service, "factor", "YF01", "ada", 1, 0, 1, "text-YF01"))
    assert call(store.commit(writes)) is True

    def first(texts: Any, limit: int) -> List[str]:
        return list(texts)[:limit]

    ada = ["text-YC03", "text-YC01", "text-YC02", "text-YC05"]
    assert first(call(store.list(service, "ada", "challenge", None, 10)), 10) == ada
    assert first(call(store.list(service, "ada", "challenge", None, 2)), 2) == ada[:2]
    assert first(call(store.list(service, "ada", "challenge", (7, "YC01"), 10)), 10) == ada[2:]
    assert first(call(store.list(service, "ada", "challenge", (9, "YC05"), 10)), 10) == []
    assert first(call(store.list(service, "ada", "factor", None, 10)), 10) == ["text-YF01"]
    everyone = ["text-YC03", "text-YC04", "text-YC01", "text-YC02", "text-YC05"]
    assert first(call(store.scan(service, "challenge", None, 10)), 10) == everyone
    assert first(call(store.scan(service, "challenge", (6, "YC04"), 2)), 2) == everyone[2:4]
    after: Optional[Tuple[int, str]] = None
    seen: List[str] = []
    while True:
        page = first(call(store.scan(service, "challenge", after, 2)), 2)
        if not page:
            break
        seen += page
        key = page[-1].removeprefix("text-")
        after = next((created, k) for k, _, created in rows if k == key)
    assert seen == everyone
