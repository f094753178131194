"""A watchword store over SQLAlchemy Core: the service's records in a table of the application's
own database — any database SQLAlchemy speaks (SQLite, PostgreSQL, MySQL …) — created by the
application's own metadata and migrations.

    import sqlalchemy, sqlalchemy_store, watchword
    engine = sqlalchemy.create_engine("postgresql+psycopg://app@db/app")
    store = sqlalchemy_store.SqlAlchemyStore(engine)
    store.metadata.create_all(engine)          # or a migration of the application
    verify = watchword.Verify("Acme", store=store)

A commit is one transaction (``engine.begin()``) whose writes each check the row's version
(compare-and-set). A version that does not match — or an insert of a row that exists — rolls
the transaction back and answers ``False``; watchword then reads again and retries.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

import sqlalchemy as sa

import watchword


class SqlAlchemyStore:
    """watchword's records in the table ``table`` of ``engine``'s database."""

    def __init__(self, engine: sa.engine.Engine, table: str = "watchword_records", metadata: Optional[sa.MetaData] = None) -> None:
        self.engine = engine
        self.metadata = metadata if metadata is not None else sa.MetaData()
        self.table = sa.Table(
            table,
            self.metadata,
            sa.Column("service", sa.String(64), primary_key=True),
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("key", sa.String(128), primary_key=True),
            sa.Column("identity", sa.String(128), nullable=False),
            sa.Column("created", sa.BigInteger, nullable=False),
            sa.Column("version", sa.BigInteger, nullable=False),
            sa.Column("data", sa.Text, nullable=False),
            sa.Index(f"{table}_identity", "service", "kind", "identity", "created", "key"),
            sa.Index(f"{table}_created", "service", "kind", "created", "key"),
        )

    def get(self, service: str, kind: str, key: str) -> Optional[str]:
        t = self.table
        query = sa.select(t.c.data).where(t.c.service == service, t.c.kind == kind, t.c.key == key)
        with self.engine.connect() as db:
            return db.execute(query).scalar_one_or_none()

    def _listing(self, query: sa.Select[str], after: Optional[Tuple[int, str]], limit: int) -> List[str]:
        t = self.table
        if after is not None:
            created, key = after
            query = query.where(sa.or_(t.c.created > created, sa.and_(t.c.created == created, t.c.key > key)))
        query = query.order_by(t.c.created, t.c.key).limit(limit)
        with self.engine.connect() as db:
            return list(db.execute(query).scalars())

    def list(self, service: str, identity: str, kind: str, after: Optional[Tuple[int, str]], limit: int) -> Iterable[str]:
        t = self.table
        query = sa.select(t.c.data).where(t.c.service == service, t.c.kind == kind, t.c.identity == identity)
        return self._listing(query, after, limit)

    def scan(self, service: str, kind: str, after: Optional[Tuple[int, str]], limit: int) -> Iterable[str]:
        t = self.table
        return self._listing(sa.select(t.c.data).where(t.c.service == service, t.c.kind == kind), after, limit)

    def commit(self, writes: Sequence[watchword.Write]) -> bool:
        t = self.table
        try:
            with self.engine.begin() as db:
                for w in writes:
                    row = (t.c.service == w.service, t.c.kind == w.kind, t.c.key == w.key)
                    if w.record is None:
                        changed = db.execute(sa.delete(t).where(*row, t.c.version == w.expected_version)).rowcount
                    elif w.expected_version == 0:
                        values = dict(service=w.service, kind=w.kind, key=w.key, identity=w.identity,
                                      created=w.created, version=w.version, data=w.record)
                        # A row that exists already fails the primary key: IntegrityError.
                        db.execute(sa.insert(t).values(**values))
                        changed = 1
                    else:
                        update = sa.update(t).where(*row, t.c.version == w.expected_version)
                        values = dict(identity=w.identity, created=w.created, version=w.version, data=w.record)
                        changed = db.execute(update.values(**values)).rowcount
                    if changed != 1:
                        raise _Conflict()
            return True
        except (_Conflict, sa.exc.IntegrityError):
            # The transaction was rolled back by leaving `begin()` with the exception.
            return False


class _Conflict(Exception):
    """A write's version did not match: the transaction is rolled back."""
