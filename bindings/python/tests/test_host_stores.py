"""Stores written in Python (``Verify(..., store=my_store)``, ``watchword.Store``): the shared
scenarios and the replay race through the examples over ``sqlite3`` and SQLAlchemy Core (on
SQLite and on the PostgreSQL server of ``make test``), the asyncio service over an
asynchronous store, and stores that answer wrongly."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest
import sqlalchemy as sa

import watchword
import watchword.aio
from conftest import ROOT
from helpers import pg_url
from store_checks import compare_and_set, listing
from test_scenarios import SCENARIOS, Runner, run_scenario

sys.path.insert(0, str(ROOT / "examples" / "python"))
import psycopg_async_store  # noqa: E402
import sqlalchemy_store  # noqa: E402
import sqlite3_store  # noqa: E402

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
TOTP = watchword.Totp(watchword.base32_decode(SECRET))
T = 1_700_000_010


def table_name() -> str:
    return f"ww_{os.getpid()}_{secrets.token_hex(4)}"


@pytest.fixture(params=["sqlite3", "sqlalchemy-sqlite", "sqlalchemy-postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Makes fresh stores (each in a table of its own) of one kind."""
    engines: List[sa.engine.Engine] = []
    stores: List[sqlalchemy_store.SqlAlchemyStore] = []

    def make() -> Any:
        if request.param == "sqlite3":
            return sqlite3_store.Sqlite3Store(str(tmp_path / "app.db"), table=table_name())
        if request.param == "sqlalchemy-sqlite":
            engine = sa.create_engine(f"sqlite:///{tmp_path / 'sa.db'}", connect_args={"timeout": 30}, pool_size=20)
        else:
            url = sa.engine.make_url(pg_url()).set(drivername="postgresql+psycopg")
            engine = sa.create_engine(url, pool_size=20)
        engines.append(engine)
        store = sqlalchemy_store.SqlAlchemyStore(engine, table=table_name())
        store.metadata.create_all(engine)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.table.drop(store.engine)
    for engine in engines:
        engine.dispose()


class AsyncMemoryStore:
    """A store whose methods are coroutines, over a dict: the rows a SQL table would hold."""

    def __init__(self) -> None:
        self.rows: Dict[Tuple[str, str, str], Tuple[str, int, int, str]] = {}

    async def get(self, service: str, kind: str, key: str) -> Optional[str]:
        await asyncio.sleep(0)
        row = self.rows.get((service, kind, key))
        return None if row is None else row[3]

    async def _listing(self, match: Callable[[Tuple[str, str, str], Tuple[str, int, int, str]], bool],
                       after: Optional[Tuple[int, str]], limit: int) -> List[str]:
        await asyncio.sleep(0)
        found = sorted((row[1], id_[2], row[3]) for id_, row in self.rows.items() if match(id_, row))
        return [text for created, key, text in found if after is None or (created, key) > tuple(after)][:limit]

    async def list(self, service: str, identity: str, kind: str, after: Optional[Tuple[int, str]], limit: int) -> List[str]:
        return await self._listing(lambda i, r: i[:2] == (service, kind) and r[0] == identity, after, limit)

    async def scan(self, service: str, kind: str, after: Optional[Tuple[int, str]], limit: int) -> List[str]:
        return await self._listing(lambda i, r: i[:2] == (service, kind), after, limit)

    async def commit(self, writes: Sequence[watchword.Write]) -> bool:
        await asyncio.sleep(0)
        if any(self.rows.get((w.service, w.kind, w.key), ("", 0, 0, ""))[2] != w.expected_version for w in writes):
            return False
        for w in writes:
            if w.record is None:
                del self.rows[(w.service, w.kind, w.key)]
            else:
                self.rows[(w.service, w.kind, w.key)] = (w.identity, w.created, w.version, w.record)
        return True


# The store contract on the store itself


def test_compare_and_set_and_listings(make_store: Callable[[], Any]) -> None:
    store = make_store()
    compare_and_set(store, lambda answer: answer)
    listing(store, lambda answer: answer)


@pytest.mark.parametrize("kind", ["memory", "postgresql"])
def test_compare_and_set_and_listings_of_asynchronous_stores(kind: str) -> None:
    loop = asyncio.new_event_loop()
    store: Any = AsyncMemoryStore()
    if kind == "postgresql":
        store = loop.run_until_complete(psycopg_async_store.PsycopgAsyncStore.open(pg_url(), table=table_name(), size=1))
    try:
        compare_and_set(store, loop.run_until_complete)
        listing(store, loop.run_until_complete)
    finally:
        if kind == "postgresql":
            loop.run_until_complete(store.close())
        loop.close()


# The shared scenarios


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenarios_through_host_stores(path: Path, make_store: Callable[[], Any]) -> None:
    run_scenario(path, lambda settings: Runner(settings, store=make_store()))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenarios_through_an_asynchronous_store(path: Path) -> None:
    loop = asyncio.new_event_loop()
    try:
        run_scenario(path, lambda settings: Runner(settings, store=AsyncMemoryStore(), loop=loop))
    finally:
        loop.close()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenarios_through_an_asynchronous_postgresql_store(path: Path) -> None:
    loop = asyncio.new_event_loop()
    store = loop.run_until_complete(psycopg_async_store.PsycopgAsyncStore.open(pg_url(), table=table_name(), size=2))
    try:
        run_scenario(path, lambda settings: Runner(settings, store=store, loop=loop))
    finally:
        loop.run_until_complete(store.close())
        loop.close()


def test_scenarios_through_aio_over_a_synchronous_store(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    try:
        for path in SCENARIOS[:5]:
            store = sqlite3_store.Sqlite3Store(str(tmp_path / "app.db"), table=table_name())
            run_scenario(path, lambda settings: Runner(settings, store=store, loop=loop))
    finally:
        loop.close()


# The replay race: one right code presented by sixteen callers at once


def enrolled(verify: watchword.Verify, identity: str) -> str:
    factor = verify.create_factor(identity, "phone", secret=SECRET, now=T)
    assert verify.verify_factor(identity, factor.sid, TOTP.generate(T), now=T).approved
    return factor.sid


def sixteen_threads_approve_a_code_once(store: Any, rounds: int = 200) -> None:
    """Sixteen threads present one right code at once, ``rounds`` times (a fresh factor each
    round): exactly one is approved, the others are told it was replayed."""
    # Sixteen presentations of one code: fifteen replays, below the lockout threshold.
    verify = watchword.Verify("Acme", store=store, lockout_threshold=20)
    callers = 16
    barrier = threading.Barrier(callers)
    tag = secrets.token_hex(4)

    def present(identity: str, sid: str, code: str) -> Any:
        barrier.wait()
        try:
            return verify.create_challenge(identity, sid, auth_payload=code, now=T + 30).result
        except watchword.WatchwordError as e:
            return e

    # The same sixteen threads for every round, as a server's worker threads.
    with concurrent.futures.ThreadPoolExecutor(callers) as pool:
        for round_ in range(rounds):
            identity = f"race-{tag}-{round_:04d}"
            sid = enrolled(verify, identity)
            code = TOTP.generate(T + 30)
            results = list(pool.map(lambda _: present(identity, sid, code), range(callers)))
            assert sorted(map(str, results)) == ["approved"] + ["replayed"] * (callers - 1), f"round {round_}: {results}"


def test_sixteen_threads_approve_a_code_once(make_store: Callable[[], Any]) -> None:
    sixteen_threads_approve_a_code_once(make_store())


@pytest.mark.parametrize("kind", ["memory", "postgresql"])
def test_sixteen_tasks_approve_a_code_once_through_an_asynchronous_store(kind: str) -> None:
    async def race() -> None:
        store: Any = AsyncMemoryStore()
        if kind == "postgresql":
            store = await psycopg_async_store.PsycopgAsyncStore.open(pg_url(), table=table_name())
        verify = watchword.aio.Verify("Acme", store=store, lockout_threshold=20)
        for round_ in range(200):
            identity = f"race-{round_:04d}"
            factor = await verify.create_factor(identity, "phone", secret=SECRET, now=T)
            assert (await verify.verify_factor(identity, factor.sid, TOTP.generate(T), now=T)).approved
            code = TOTP.generate(T + 30)
            answers = await asyncio.gather(
                *(verify.create_challenge(identity, factor.sid, auth_payload=code, now=T + 30) for _ in range(16))
            )
            results = sorted(str(a.result) for a in answers)
            assert results == ["approved"] + ["replayed"] * 15, f"round {round_}: {results}"
        if isinstance(store, psycopg_async_store.PsycopgAsyncStore):
            await store.close()

    asyncio.run(race())


# Stores that answer wrongly: a clear error, nothing changed


class Meddling(sqlite3_store.Sqlite3Store):
    """A sqlite3 store whose reads of one record answer ``self.answer`` instead."""

    target: Optional[str] = None
    answer: Any = None
    commit_answer: Any = None

    def get(self, service: str, kind: str, key: str) -> Any:
        if key == self.target:
            if isinstance(self.answer, BaseException):
                raise self.answer
            return self.answer
        return super().get(service, kind, key)

    def commit(self, writes: Sequence[watchword.Write]) -> Any:
        if self.commit_answer is not None:
            if isinstance(self.commit_answer, BaseException):
                raise self.commit_answer
            return self.commit_answer
        return super().commit(writes)

    def rows(self) -> List[Tuple[Any, ...]]:
        return list(self._connection().execute(f"SELECT * FROM {self.table} ORDER BY kind, key"))


def test_stores_that_answer_wrongly(tmp_path: Path) -> None:
    store = Meddling(str(tmp_path / "app.db"))
    verify = watchword.Verify("Acme", store=store)
    identity = "user-0001"
    sid = enrolled(verify, identity)
    other = verify.create_factor(identity, "laptop", now=T).sid
    before = store.rows()
    store.target = sid
    cases: List[Tuple[Any, str]] = [
        (OSError("connection reset by peer"), "OSError: connection reset by peer"),
        ("{not json", "cannot be read"),
        (store.get("default", "factor", other), f"was answered with the record of {other}"),
        (store.get("default", "entity", identity), "cannot be read"),
        (42, "answered int where a str or None was expected"),
        (b"bytes", "answered bytes where a str or None was expected"),
    ]
    for answer, says in cases:
        store.answer = answer
        for call in (
            lambda: verify.fetch_factor(identity, sid, now=T),
            lambda: verify.create_challenge(identity, sid, auth_payload=TOTP.generate(T + 60), now=T + 60),
        ):
            with pytest.raises(watchword.Storage) as info:
                call()
            assert says in str(info.value), str(info.value)
            assert SECRET not in str(info.value)
        assert store.rows() == before
    store.target = None
    for commit_answer, says in [(RuntimeError("disk full"), "RuntimeError: disk full"), (1, "answered int where True or False")]:
        store.commit_answer = commit_answer
        with pytest.raises(watchword.Storage, match=says):
            verify.create_challenge(identity, sid, auth_payload=TOTP.generate(T + 60), now=T + 60)
        assert store.rows() == before
    store.commit_answer = None
    # The same service works again once the store does.
    assert verify.create_challenge(identity, sid, auth_payload=TOTP.generate(T + 60), now=T + 60).approved


def test_listings_that_answer_wrongly(tmp_path: Path) -> None:
    class Lister(sqlite3_store.Sqlite3Store):
        listed: Any = None

        def list(self, *args: Any) -> Any:
            return self.listed if self.listed is not None else super().list(*args)

    store = Lister(str(tmp_path / "app.db"))
    verify = watchword.Verify("Acme", store=store)
    enrolled(verify, "user-0001")
    theirs = store.get("default", "factor", enrolled(verify, "user-0002"))
    for listed, says in [("a str", "answered str where an iterable of str"), (7, "answered int where an iterable"),
                         ([None], "answered NoneType where an iterable of str"), ([theirs], "belongs to another identity")]:
        store.listed = listed
        with pytest.raises(watchword.Storage, match=says):
            verify.list_factors("user-0001", now=T)
    # More than asked, unsorted, is fine: sorted and cut.
    store.listed = None
    everything = list(store.list("default", "user-0001", "factor", None, 1000)) * 2
    store.listed = list(reversed(everything))
    assert len(verify.list_factors("user-0001", limit=1, now=T)) == 1


def test_a_synchronous_service_refuses_an_asynchronous_store() -> None:
    verify = watchword.Verify("Acme", store=AsyncMemoryStore())  # type: ignore[arg-type]
    with pytest.raises(watchword.Storage, match="use it with watchword.aio.Verify"):
        verify.create_factor("user-0001", "phone", now=T)


def test_an_asynchronous_store_that_fails() -> None:
    class Failing(AsyncMemoryStore):
        async def commit(self, writes: Sequence[watchword.Write]) -> bool:
            raise ConnectionError("server closed the connection")

    async def run() -> None:
        store = Failing()
        verify = watchword.aio.Verify("Acme", store=store)
        with pytest.raises(watchword.Storage, match="ConnectionError: server closed the connection"):
            await verify.create_factor("user-0001", "phone", now=T)
        assert store.rows == {}

    asyncio.run(run())


def test_writes_do_not_show_their_records() -> None:
    seen: List[watchword.Write] = []

    class Recording(AsyncMemoryStore):
        async def commit(self, writes: Sequence[watchword.Write]) -> bool:
            seen.extend(writes)
            return await super().commit(writes)

    async def run() -> None:
        verify = watchword.aio.Verify("Acme", store=Recording())
        await verify.create_factor("user-0001", "phone", secret=SECRET, now=T)

    asyncio.run(run())
    factor = next(w for w in seen if w.kind == "factor")
    assert SECRET in (factor.record or "") and SECRET not in repr(factor)
    assert (factor.service, factor.identity, factor.created, factor.expected_version, factor.version) == ("default", "user-0001", T, 0, 1)
    assert json.loads(factor.record or "{}")["sid"] == factor.key


# The event loop keeps running


async def longest_gap(work: Callable[[], Any]) -> float:
    """The longest time between the runs of a 5 ms asyncio timer while ``work()`` is awaited."""
    longest, last, done = 0.0, time.monotonic(), False

    async def tick() -> None:
        nonlocal longest, last
        while not done:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            longest, last = max(longest, now - last), now

    ticker = asyncio.create_task(tick())
    await work()
    done = True
    await ticker
    return longest


def gaps_while(work: Callable[[], Any]) -> float:
    """``longest_gap`` on a new event loop."""
    return asyncio.run(longest_gap(work))


def test_the_event_loop_runs_during_postgresql_operations() -> None:
    # Opening the store (its connection pool) happens here, before the loop runs.
    verify = watchword.aio.Verify("Acme", store=pg_url(), service=f"loop-{secrets.token_hex(4)}")

    async def work() -> None:
        identity = "user-0001"
        factor = await verify.create_factor(identity, "phone", secret=SECRET, now=T)
        await verify.verify_factor(identity, factor.sid, TOTP.generate(T), now=T)
        for i in range(1000):
            await verify.fetch_factor(identity, factor.sid, now=T + i)

    assert gaps_while(work) < 0.05


def test_the_event_loop_runs_during_operations_on_an_asynchronous_store() -> None:
    async def work() -> None:
        verify = watchword.aio.Verify("Acme", store=AsyncMemoryStore())
        factor = await verify.create_factor("user-0001", "phone", secret=SECRET, now=T)
        await verify.verify_factor("user-0001", factor.sid, TOTP.generate(T), now=T)
        for i in range(1000):
            await verify.create_challenge("user-0001", factor.sid, now=T + 3600 * i)

    assert gaps_while(work) < 0.05


def test_the_event_loop_runs_during_operations_on_an_asynchronous_postgresql_store() -> None:
    async def run() -> float:
        store = await psycopg_async_store.PsycopgAsyncStore.open(pg_url(), table=table_name())
        verify = watchword.aio.Verify("Acme", store=store)
        factor = await verify.create_factor("user-0001", "phone", secret=SECRET, now=T)
        await verify.verify_factor("user-0001", factor.sid, TOTP.generate(T), now=T)

        async def work() -> None:
            for i in range(1000):
                await verify.create_challenge("user-0001", factor.sid, now=T + 3600 * i)

        try:
            return await longest_gap(work)
        finally:
            await store.close()

    assert asyncio.run(run()) < 0.05


# Sealed records through a host store


def test_a_host_store_holds_sealed_records(tmp_path: Path) -> None:
    key = watchword.generate_secret_key()
    store = sqlite3_store.Sqlite3Store(str(tmp_path / "app.db"))
    verify = watchword.Verify("Acme", store=store, secret_keys={"k1": key}, active_secret_key="k1")
    factor = verify.create_factor("user-0001", "Ada's phone", secret=SECRET, metadata={"team": "blue"}, now=T)
    assert verify.verify_factor("user-0001", factor.sid, TOTP.generate(T), now=T).approved
    rows = [str(text) for (text,) in store._connection().execute(f"SELECT data FROM {store.table}")]
    assert len(rows) == 2
    for text in rows:
        assert '"kid":"k1"' in text and SECRET not in text and "Ada" not in text and "blue" not in text
    # Another ring cannot open them, and says which key it would need.
    other = watchword.Verify("Acme", store=store, secret_keys={"k2": watchword.generate_secret_key()}, active_secret_key="k2")
    with pytest.raises(watchword.Storage, match="k1"):
        other.fetch_factor("user-0001", factor.sid, now=T)
