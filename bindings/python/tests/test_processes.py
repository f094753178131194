"""Several OS processes on one store (SPEC §7, §9): a code (TOTP or recovery) is approved once
across processes, a challenge takes no more wrong answers than its attempt limit, and what one
process wrote another one reads after the first has exited.

Each test runs on SQLite (a temporary file) and on PostgreSQL (the URL in the environment
variable WATCHWORD_TEST_PG_URL; without it the PostgreSQL tests fail, unless
WATCHWORD_TEST_PG=skip). The worker processes (process_worker.py) are started once per test
and driven round by round through their stdin and stdout.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator, List

import pytest

import watchword
from helpers import pg_url

WORKER = Path(__file__).with_name("process_worker.py")
ROUNDS = int(os.environ.get("WW_TEST_RACE_ROUNDS", "200"))
T0 = 1_700_000_010  # 10 s into a 30 s step


class Worker:
    """One worker process, answering a command per line."""

    def __init__(self, store: str, service: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), store, service],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def receive(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"worker {self.process.pid} exited (status {self.process.poll()})"
        return line.strip()

    def ask(self, line: str) -> str:
        self.send(line)
        return self.receive()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.send("quit")
            except BrokenPipeError:
                pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def start(store: str, service: str, count: int) -> List[Worker]:
    workers = [Worker(store, service) for _ in range(count)]
    for worker in workers:
        assert worker.receive() == "ready"
    return workers


def broadcast(workers: List[Worker], line: str) -> List[str]:
    """Sends one command to every worker at once, then collects their answers."""
    for worker in workers:
        worker.send(line)
    return [worker.receive() for worker in workers]


def code_at(uri: str, at: int) -> str:
    return watchword.KeyUri.parse(uri).totp().generate(at)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh store of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'watchword.db'}"
        return
    yield pg_url()


@pytest.fixture
def service() -> str:
    """A namespace of its own for every test, so a shared database holds nothing of earlier runs."""
    return f"race-{os.getpid()}-{secrets.token_hex(4)}"


def test_one_code_is_approved_once_across_eight_processes(store: str, service: str) -> None:
    verify = watchword.Verify("Race", store=store, service=service)
    workers = start(store, service, 8)
    try:
        for round in range(ROUNDS):
            identity = f"race-{round:04d}-user"
            now = T0 + round * 90
            factor = verify.create_factor(identity, "phone", now=now)
            assert factor.binding is not None
            uri = factor.binding.uri
            assert verify.verify_factor(identity, factor.sid, code_at(uri, now), now=now).approved
            code = code_at(uri, now + 30)
            answers = broadcast(workers, f"challenge {identity} {factor.sid} {code} {now + 30}")
            assert answers.count("ok approved") == 1, f"round {round}: {answers}"
            assert answers.count("ok replayed") == 7, f"round {round}: {answers}"
    finally:
        for worker in workers:
            worker.close()
    # The approved challenges are in the store, one per round.
    approved = verify.list_challenges("race-0000-user", status="approved")
    assert len(approved) == 1 and approved.next_page_token is None


def test_one_recovery_code_is_redeemed_once_across_sixteen_processes(store: str, service: str) -> None:
    # Each set keeps the iteration count it was made with: the workers hash with this one.
    verify = watchword.Verify("Race", store=store, service=service, recovery_code_iterations=1000)
    workers = start(store, service, 16)
    try:
        for round in range(max(ROUNDS // 10, 3)):
            identity = f"codes-{round:04d}-user"
            now = T0 + round
            factor = verify.create_factor(identity, "backup", factor_type="recovery_codes", count=2, now=now)
            assert factor.binding is not None and len(factor.binding.codes) == 2
            code = factor.binding.codes[1]
            answers = broadcast(workers, f"challenge {identity} {factor.sid} {code} {now}")
            assert answers.count("ok approved") == 1, f"round {round}: {answers}"
            # The workers have the default lockout threshold (10): replays past it meet a
            # locked factor, rightly.
            others = answers.count("ok replayed") + answers.count("error factor_locked")
            assert others == 15 and answers.count("ok replayed") >= 9, f"round {round}: {answers}"
            config = verify.fetch_factor(identity, factor.sid, now=now).config
            assert (config.count, config.remaining) == (2, 1)
    finally:
        for worker in workers:
            worker.close()


def test_sixteen_processes_never_pass_the_attempt_limit(store: str, service: str) -> None:
    verify = watchword.Verify("Race", store=store, service=service)
    limit = 5  # the default challenge_attempts
    workers = start(store, service, 16)
    try:
        for round in range(max(ROUNDS // 20, 3)):
            identity = f"wrong-{round:04d}-user"
            now = T0 + round * 90
            factor = verify.create_factor(identity, "phone", now=now)
            assert factor.binding is not None
            uri = factor.binding.uri
            assert verify.verify_factor(identity, factor.sid, code_at(uri, now), now=now).approved
            challenge = verify.create_challenge(identity, factor.sid, now=now + 30)
            near = {code_at(uri, now + 30 + d * 30) for d in range(-4, 5)}
            wrong = next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)
            answers = broadcast(workers, f"answer {identity} {challenge.sid} {wrong} {now + 30}")
            through = answers.count("ok invalid_code")
            assert through == limit, f"round {round}: {answers}"
            assert answers.count("error challenge_attempts_reached") == 16 - limit, f"round {round}: {answers}"
            assert verify.fetch_challenge(identity, challenge.sid, now=now + 30).status == "pending"
    finally:
        for worker in workers:
            worker.close()


def test_what_one_process_wrote_the_next_reads(store: str, service: str) -> None:
    identity = "persist-0001-user"
    first = start(store, service, 1)[0]
    try:
        answer = first.ask(f"enroll {identity} {T0}").split()
    finally:
        first.close()
    assert answer[0] == "ok" and first.process.returncode == 0, answer
    sid, uri = answer[1], answer[2]

    second = start(store, service, 1)[0]
    try:
        assert second.ask(f"verify {identity} {sid} {code_at(uri, T0 + 30)} {T0 + 30}") == "ok approved"
        # The replay floor is in the store too: the same code again, from yet another process.
        assert second.ask(f"challenge {identity} {sid} {code_at(uri, T0 + 30)} {T0 + 31}") == "ok replayed"
    finally:
        second.close()

    reopened = watchword.Verify("Race", store=store, service=service)
    factor = reopened.fetch_factor(identity, sid)
    assert factor.status == "verified"
    assert [e.identity for e in reopened.list_entities()] == [identity]
    challenges = reopened.list_challenges(identity, now=T0 + 31)
    assert [c.result for c in challenges] == [None] and challenges[0].status == "pending"
    # Another namespace of the same store sees none of it.
    assert watchword.Verify("Race", store=store, service=service + "-other").list_entities() == []


def test_a_call_waiting_for_the_store_lets_other_threads_run(tmp_path: Path) -> None:
    """The GIL is released during calls: while one thread waits for a SQLite database that
    another process holds locked, another Python thread makes progress."""
    path = tmp_path / "busy.db"
    verify = watchword.Verify("Acme", store=f"sqlite:///{path}")
    verify.create_entity("busy-0001-user", now=T0)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "db.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(0.8)\n"
            "db.execute('COMMIT')\n",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    done = threading.Event()
    ticks = 0
    result: List[watchword.Factor] = []

    def call() -> None:
        result.append(verify.create_factor("busy-0001-user", "phone", now=T0))
        done.set()

    caller = threading.Thread(target=call)
    caller.start()
    while not done.is_set():
        ticks += 1  # runs only while the caller does not hold the GIL
        done.wait(0.01)
    caller.join()
    assert holder.wait(timeout=30) == 0
    holder.stdout.close()
    assert result and result[0].status == "unverified"
    assert ticks >= 20, f"the other thread ran only {ticks} times during the call"
