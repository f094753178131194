"""A watchword store over the standard library's ``sqlite3``: the service's records in a table
of the application's own SQLite database.

    import sqlite3_store, watchword
    verify = watchword.Verify("Acme", store=sqlite3_store.Sqlite3Store("app.db"))

One table (created if missing) holds every record as a row: its service namespace, kind, key,
identity, creation date, version and stored text. A commit is one ``BEGIN IMMEDIATE``
transaction whose writes each check the row's version (compare-and-set): when one does not
match, the transaction is rolled back and the commit answers ``False`` — watchword then reads
again and retries. Each thread uses its own connection, as ``sqlite3`` requires.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Iterable, List, Optional, Sequence, Tuple

import watchword

SCHEMA = """
CREATE TABLE IF NOT EXISTS {table} (
    service  TEXT    NOT NULL,
    kind     TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    identity TEXT    NOT NULL,
    created  INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    data     TEXT    NOT NULL,
    PRIMARY KEY (service, kind, key)
);
CREATE INDEX IF NOT EXISTS {table}_identity ON {table} (service, kind, identity, created, key);
CREATE INDEX IF NOT EXISTS {table}_created ON {table} (service, kind, created, key);
"""


class Sqlite3Store:
    """watchword's records in the SQLite database at ``path``, table ``table``."""

    def __init__(self, path: str, table: str = "watchword_records") -> None:
        if not table.replace("_", "").isalnum():
            raise ValueError("table must be letters, digits and underscores")
        self.path, self.table = path, table
        self._local = threading.local()
        self._connection().executescript(SCHEMA.format(table=table))

    def _connection(self) -> sqlite3.Connection:
        connection: Optional[sqlite3.Connection] = getattr(self._local, "connection", None)
        if connection is None:
            # Autocommit mode: transactions are the explicit BEGIN of `commit`.
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            self._local.connection = connection
        return connection

    def get(self, service: str, kind: str, key: str) -> Optional[str]:
        row = self._connection().execute(
            f"SELECT data FROM {self.table} WHERE service = ? AND kind = ? AND key = ?", (service, kind, key)
        ).fetchone()
        return None if row is None else str(row[0])

    def _listing(self, where: str, params: Tuple[object, ...], after: Optional[Tuple[int, str]], limit: int) -> List[str]:
        if after is not None:
            where += " AND (created, key) > (?, ?)"
            params += tuple(after)
        rows = self._connection().execute(
            f"SELECT data FROM {self.table} WHERE {where} ORDER BY created, key LIMIT ?", params + (limit,)
        )
        return [str(row[0]) for row in rows]

    def list(self, service: str, identity: str, kind: str, after: Optional[Tuple[int, str]], limit: int) -> Iterable[str]:
        return self._listing("service = ? AND kind = ? AND identity = ?", (service, kind, identity), after, limit)

    def scan(self, service: str, kind: str, after: Optional[Tuple[int, str]], limit: int) -> Iterable[str]:
        return self._listing("service = ? AND kind = ?", (service, kind), after, limit)

    def commit(self, writes: Sequence[watchword.Write]) -> bool:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            for w in writes:
                row = (w.service, w.kind, w.key)
                if w.record is None:
                    sql = f"DELETE FROM {self.table} WHERE service = ? AND kind = ? AND key = ? AND version = ?"
                    changed = db.execute(sql, row + (w.expected_version,)).rowcount
                elif w.expected_version == 0:
                    sql = f"INSERT OR IGNORE INTO {self.table} VALUES (?, ?, ?, ?, ?, ?, ?)"
                    changed = db.execute(sql, row + (w.identity, w.created, w.version, w.record)).rowcount
                else:
                    sql = (
                        f"UPDATE {self.table} SET identity = ?, created = ?, version = ?, data = ? "
                        "WHERE service = ? AND kind = ? AND key = ? AND version = ?"
                    )
                    changed = db.execute(sql, (w.identity, w.created, w.version, w.record) + row + (w.expected_version,)).rowcount
                if changed != 1:
                    db.execute("ROLLBACK")
                    return False
            db.execute("COMMIT")
            return True
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
