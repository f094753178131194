"""``watchword.aio``: the verification service for asyncio.

``watchword.aio.Verify`` takes the settings of ``watchword.Verify`` and has the same
operations, as coroutines that never block the event loop:

- over a store URL (the memory store, SQLite, PostgreSQL) an operation runs on the loop's
  default executor;
- over a store of the application's own whose methods are coroutines (``watchword.AsyncStore``)
  it runs as steps: the operation says which records it needs and what to commit — worked out
  on the executor, so core's work (a recovery code's hashing among it) never runs on the loop —
  and each of the store's coroutines is awaited on the loop; no thread waits for the loop.

>>> import asyncio, watchword.aio
>>> async def main() -> str:
...     verify = watchword.aio.Verify("Acme")
...     factor = await verify.create_factor("user-0001", "phone", now=1_700_000_000)
...     return factor.status
>>> asyncio.run(main())
'unverified'
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Optional, Tuple

from . import _native
from . import _service
from ._service import Time

__all__ = ["Verify"]

_STORE_METHODS = ("get", "list", "scan", "commit")


def _asynchronous(store: Any) -> bool:
    """Whether ``store`` is an object whose store methods (some of them) are coroutines."""
    if store is None or isinstance(store, str):
        return False
    return any(inspect.iscoroutinefunction(getattr(store, name, None)) for name in _STORE_METHODS)


async def _drive(steps: _native.Steps, store: Any) -> Any:
    """Runs an operation's steps, answering each from ``store`` (awaiting what it returns)."""
    loop = asyncio.get_running_loop()
    while True:
        step = await loop.run_in_executor(None, steps.next)
        if step[0] == "done":
            return step[1]
        try:
            answer = getattr(store, step[0])(*step[1:])
            if inspect.isawaitable(answer):
                answer = await answer
        except Exception as error:  # the store's failure: the operation's storage error
            steps.fail(error)
        else:
            steps.give(answer)


class Verify:
    """The verification service for asyncio (see the module's documentation); every setting
    of ``watchword.Verify`` is a keyword here too. Its operations are the coroutine forms of
    ``watchword.Verify``'s, with the same arguments and answers."""

    __slots__ = ("_verify", "_store")

    def __init__(self, issuer: str, **settings: Any) -> None:
        store = settings.get("store")
        self._verify = _service.Verify(issuer, **settings)
        self._store = store if _asynchronous(store) else None

    @property
    def issuer(self) -> str:
        return self._verify.issuer

    @property
    def service(self) -> str:
        """The namespace of this service's records in its store."""
        return self._verify.service

    @property
    def sync(self) -> _service.Verify:
        """The same service for synchronous calls (as from a thread)."""
        return self._verify

    async def _run(self, op: str, names: Tuple[str, ...], values: Tuple[Any, ...]) -> Any:
        verify = self._verify
        if self._store is not None:
            return await _drive(verify._steps(op, names, values), self._store)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, verify._run, op, names, values)

    async def call(self, op: str, args: Any = None, *, now: Optional[Time] = None) -> Any:
        """``watchword.Verify.call`` (operations by name, JSON-shaped), off the event loop. Not
        for asynchronous stores: their operations are the typed coroutines."""
        if self._store is not None:
            raise TypeError("call runs over the service's own store; with an asynchronous store use the operations")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: self._verify.call(op, args, now=now))


# The operations: ``watchword.Verify``'s signatures, as coroutines (their types are in
# aio.pyi, generated from the same signatures by gen_aio_stub.py).
for _name in _native.OPERATIONS:
    setattr(
        Verify,
        _name,
        _service._generate(
            _service._DECLARED[_name],
            "return await self._run({op}, _names, {values})",
            is_async=True,
        ),
    )
del _name
