"""A `watchword serve` process on a free port for the official Twilio SDK, always stopped."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "sdk-auth-token-0123456789"


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[str]


def start(store: str, extra: list[str] | None = None, url_scheme: str = "http") -> Server:
    binary = os.environ.get("WATCHWORD_SERVER_BIN")
    if not binary:
        raise RuntimeError("WATCHWORD_SERVER_BIN names the watchword binary (make server-test sets it)")
    env = dict(os.environ)
    env.update(
        WATCHWORD_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        WATCHWORD_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        WATCHWORD_LOG=os.environ.get("WATCHWORD_LOG", "error"),
    )
    env.pop("WATCHWORD_CONFIG", None)
    process = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--store", store, *(extra or [])],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        process.kill()
        process.wait()
        raise RuntimeError(f"the server did not start: {line!r}")
    return Server(base_url=f"{url_scheme}://" + line.removeprefix("listening on "), process=process)


def stop(server: Server) -> int:
    server.process.terminate()
    try:
        return server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        return server.process.wait()


STORES = ["memory", "sqlite"] + (["postgresql"] if os.environ.get("WATCHWORD_TEST_PG_URL") else [])


def store_url(kind: str, tmp: str) -> str:
    if kind == "memory":
        return "memory:"
    if kind == "sqlite":
        return f"sqlite:///{tmp}/watchword.db"
    # Every server gets tables of its own.
    url = os.environ["WATCHWORD_TEST_PG_URL"]
    return f"{url}{'&' if '?' in url else '?'}table_prefix=sdk{os.urandom(6).hex()}_"


@pytest.fixture(params=STORES)
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as tmp:
        store = store_url(request.param, tmp)
        running = start(store)
        try:
            yield running
        finally:
            assert stop(running) == 0, "the server stops gracefully"
