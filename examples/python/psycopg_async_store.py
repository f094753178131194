"""An asynchronous watchword store over psycopg 3 (``psycopg.AsyncConnection``), for
``watchword.aio.Verify``: the service's records in a table of the application's own PostgreSQL
database, every query awaited on the event loop.

    store = await PsycopgAsyncStore.open("postgresql://app@db/app")
    verify = watchword.aio.Verify("Acme", store=store)
    ...
    await store.close()

A commit is one transaction on one connection: inserts with ``ON CONFLICT DO NOTHING``, updates
and deletes ``WHERE version = expected``; a write that changes no row rolls the transaction back
and answers ``False`` — watchword then reads again and retries.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator, Iterable, List, Optional, Sequence, Tuple

import psycopg

import watchword

SCHEMA = """
CREATE TABLE IF NOT EXISTS {table} (
    service  text   NOT NULL,
    kind     text   NOT NULL,
    key      text   NOT NULL,
    identity text   NOT NULL,
    created  bigint NOT NULL,
    version  bigint NOT NULL,
    data     text   NOT NULL,
    PRIMARY KEY (service, kind, key)
);
CREATE INDEX IF NOT EXISTS {table}_identity ON {table} (service, kind, identity, created, key);
CREATE INDEX IF NOT EXISTS {table}_created ON {table} (service, kind, created, key);
"""


class _Conflict(Exception):
    """A write's version did not match: the transaction is rolled back."""


class PsycopgAsyncStore:
    """watchword's records in the table ``table`` of a PostgreSQL database, over ``size``
    connections."""

    def __init__(self, connections: List[psycopg.AsyncConnection], table: str) -> None:
        self.table = table
        self._free: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()
        self._all = connections
        for connection in connections:
            self._free.put_nowait(connection)

    @classmethod
    async def open(cls, url: str, table: str = "watchword_records", size: int = 8) -> PsycopgAsyncStore:
        if not table.replace("_", "").isalnum():
            raise ValueError("table must be letters, digits and underscores")
        connections = [await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in range(size)]
        await connections[0].execute(SCHEMA.format(table=table).encode())
        return cls(connections, table)

    async def close(self) -> None:
        for connection in self._all:
            await connection.close()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        connection = await self._free.get()
        try:
            yield connection
        finally:
            self._free.put_nowait(connection)

    async def get(self, service: str, kind: str, key: str) -> Optional[str]:
        sql = f"SELECT data FROM {self.table} WHERE service = %s AND kind = %s AND key = %s"
        async with self._connection() as db:
            row = await (await db.execute(sql.encode(), (service, kind, key))).fetchone()
        return None if row is None else str(row[0])

    async def _listing(self, where: str, params: Tuple[object, ...], after: Optional[Tuple[int, str]], limit: int) -> List[str]:
        if after is not None:
            where += " AND (created, key) > (%s, %s)"
            params += tuple(after)
        sql = f"SELECT data FROM {self.table} WHERE {where} ORDER BY created, key LIMIT %s"
        async with self._connection() as db:
            rows = await (await db.execute(sql.encode(), params + (limit,))).fetchall()
        return [str(row[0]) for row in rows]

    async def list(self, service: str, identity: str, kind: str, after: Optional[Tuple[int, str]], limit: int) -> Iterable[str]:
        return await self._listing("service = %s AND kind = %s AND identity = %s", (service, kind, identity), after, limit)

    async def scan(self, service: str, kind: str, after: Optional[Tuple[int, str]], limit: int) -> Iterable[str]:
        return await self._listing("service = %s AND kind = %s", (service, kind), after, limit)

    async def commit(self, writes: Sequence[watchword.Write]) -> bool:
        t = self.table
        try:
            async with self._connection() as db, db.transaction():
                for w in writes:
                    row = (w.service, w.kind, w.key)
                    if w.record is None:
                        sql = f"DELETE FROM {t} WHERE service = %s AND kind = %s AND key = %s AND version = %s"
                        params: Tuple[object, ...] = row + (w.expected_version,)
                    elif w.expected_version == 0:
                        sql = f"INSERT INTO {t} VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
                        params = row + (w.identity, w.created, w.version, w.record)
                    else:
                        sql = (
                            f"UPDATE {t} SET identity = %s, created = %s, version = %s, data = %s "
                            "WHERE service = %s AND kind = %s AND key = %s AND version = %s"
                        )
                        params = (w.identity, w.created, w.version, w.record) + row + (w.expected_version,)
                    if (await db.execute(sql.encode(), params)).rowcount != 1:
                        raise _Conflict()
            return True
        except _Conflict:
            return False
