"""Stores the host writes: the protocol a ``Verify(..., store=my_store)`` calls.

A host store keeps watchword's records in the application's own database, inside its own
transactions and migrations. It sees what a SQL table would keep for each record: the service
namespace, the kind, the key (the identity for entities, the sid otherwise), the identity, the
creation date, the version and the stored JSON text (sealed when the service has secret keys).
Everything a store answers is checked by watchword: a record that cannot be read, one of another
key or identity, or one before the place a listing starts is a ``Storage`` error naming the
record, and nothing is written.
"""

from __future__ import annotations

from typing import Awaitable, Iterable, Optional, Protocol, Sequence, Tuple

from ._native import Write

__all__ = ["AsyncStore", "Cursor", "Store", "Write"]

Cursor = Tuple[int, str]
"""A place in a listing: the ``(created, key)`` of the last record of the previous read."""


class Store(Protocol):
    """A store written by the host (see ``examples/python/`` for ones over ``sqlite3`` and
    SQLAlchemy Core).

    Listings are in the order of ``(created, key)`` — each record's creation date, then its key —
    from after ``after`` (``None``: from the start), at least the first ``limit`` records; more
    (even all) are allowed, and are sorted and cut by watchword. The methods may be called from
    several threads at once (a service is shared by threads), and an exception they raise becomes
    the ``Storage`` error carrying its message.
    """

    def get(self, service: str, kind: str, key: str) -> Optional[str]:
        """The stored text of the record ``key`` of ``kind``, or ``None``."""
        ...

    def list(self, service: str, identity: str, kind: str, after: Optional[Cursor], limit: int) -> Iterable[str]:
        """``identity``'s records of ``kind``, in listing order."""
        ...

    def scan(self, service: str, kind: str, after: Optional[Cursor], limit: int) -> Iterable[str]:
        """The service's records of ``kind``, in listing order."""
        ...

    def commit(self, writes: Sequence[Write]) -> bool:
        """Applies every write or none, in one transaction: ``False`` (and nothing applied) when
        a row's version is not the write's ``expected_version`` — a row that exists for an
        ``expected_version`` of 0, or a missing one for any other."""
        ...


class AsyncStore(Protocol):
    """A ``Store`` whose methods are coroutines, for ``watchword.aio.Verify``."""

    def get(self, service: str, kind: str, key: str) -> Awaitable[Optional[str]]: ...

    def list(
        self, service: str, identity: str, kind: str, after: Optional[Cursor], limit: int
    ) -> Awaitable[Iterable[str]]: ...

    def scan(self, service: str, kind: str, after: Optional[Cursor], limit: int) -> Awaitable[Iterable[str]]: ...

    def commit(self, writes: Sequence[Write]) -> Awaitable[bool]: ...

