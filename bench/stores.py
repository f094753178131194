"""Challenge create-with-code per second through each store, with 1 and 8 processes, against
what a Python team writes today: pyotp + psycopg with SELECT … FOR UPDATE in a transaction
(django-otp's pattern), on the same PostgreSQL server with the same durability settings.

Each process works on its own users and factors, so contention is the database's, not one
factor's. Codes are computed before the clock starts, for both sides. A race phase then checks
that neither side approves one code twice (8 processes, one factor, one code, 50 rounds).

    python bench/stores.py [--seconds 5] [--rounds 3] [--pg URL] [--out bench/stores.md]

The machines this runs on change speed from minute to minute, so the contenders take turns:
every round measures each store once, and the table gives each cell's median over the rounds
and, for PostgreSQL, the median of the per-round ratios to the baseline.

The PostgreSQL URL comes from --pg or WATCHWORD_TEST_PG_URL (`make bench` starts a throwaway
server). Prints a Markdown table and writes it to --out.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import pyotp
import watchword

T0 = 1_700_000_010
FACTORS = 200
SETTINGS: Dict[str, Any] = {"challenge_quota_hour": 500, "challenge_quota_day": 1000, "lockout_threshold": 100}


def plan(secret: str, count: int, first_step: int) -> List[Tuple[int, int, str]]:
    """(factor index, now, code) for `count` operations: each at a new step, factors in turn."""
    totp = watchword.Totp(secret)
    out = []
    for i in range(count):
        now = T0 + 30 * (first_step + i)
        out.append((i % FACTORS, now, totp.generate(now)))
    return out


# ---------------------------------------------------------------- watchword


def ww_worker(url: str, service: str, worker: int, seconds: float, start: Any, out: Any) -> None:
    verify = watchword.Verify("Acme", store=url, service=service, **SETTINGS)
    secret = pyotp.random_base32(32)
    sids = []
    for f in range(FACTORS):
        identity = f"bench-{worker:03d}-{f:05d}"
        factor = verify.create_factor(identity, "phone", secret=secret, now=T0)
        verify.verify_factor(identity, factor.sid, watchword.Totp(secret).generate(T0), now=T0)
        sids.append((identity, factor.sid))
    ops = plan(secret, 200_000, 1)
    start.wait()
    done = 0
    began = time.perf_counter()
    deadline = began + seconds
    for f, now, code in ops:
        identity, sid = sids[f]
        challenge = verify.create_challenge(identity, sid, auth_payload=code, now=now)
        if challenge.result != "approved":
            raise SystemExit(f"watchword: {challenge.result} for a fresh right code")
        done += 1
        if done % 64 == 0 and time.perf_counter() >= deadline:
            break
    out.put((done, time.perf_counter() - began))


def ww_race(url: str, service: str, rounds: int, worker: int, start: Any, out: Any) -> None:
    verify = watchword.Verify("Acme", store=url, service=service, **SETTINGS)
    results = []
    for r in range(rounds):
        start.wait()
        identity, sid, code, now = json.loads(open(os.path.join(service_dir(service), f"{r}.json")).read())
        results.append(verify.create_challenge(identity, sid, auth_payload=code, now=now).result)
    out.put(results)


def service_dir(service: str) -> str:
    path = os.path.join(tempfile.gettempdir(), f"ww-bench-{service}")
    os.makedirs(path, exist_ok=True)
    return path


# ---------------------------------------------------------------- baseline

BASELINE_SCHEMA = """
CREATE TABLE IF NOT EXISTS bl_factors (sid text PRIMARY KEY, identity text NOT NULL, secret text NOT NULL,
    last_step bigint, version bigint NOT NULL, data text NOT NULL);
CREATE TABLE IF NOT EXISTS bl_challenges (sid text PRIMARY KEY, identity text NOT NULL, factor_sid text NOT NULL,
    created bigint NOT NULL, status text NOT NULL, version bigint NOT NULL, data text NOT NULL);
CREATE INDEX IF NOT EXISTS bl_challenges_identity ON bl_challenges (identity, created, sid);
"""


def bl_answer(conn: Any, sid: str, code: str, now: int) -> str:
    """django-otp's verify_token over psycopg: lock the factor row, check the code with pyotp
    in a ±1 step window, refuse a step not newer than the last one, store the challenge."""
    with conn.transaction():
        row = conn.execute("SELECT identity, secret, last_step FROM bl_factors WHERE sid = %s FOR UPDATE", (sid,))
        identity, secret, last_step = row.fetchone()
        totp = pyotp.TOTP(secret)
        step = now // 30
        matched = None
        for offset in (-1, 0, 1):
            if totp.at((step + offset) * 30) == code:
                matched = step + offset
        if matched is None:
            result = "invalid_code"
        elif last_step is not None and matched <= last_step:
            result = "replayed"
        else:
            result = "approved"
            conn.execute(
                "UPDATE bl_factors SET last_step = %s, version = version + 1 WHERE sid = %s", (matched, sid)
            )
        challenge = "YC" + secrets.token_hex(16)
        data = json.dumps({"sid": challenge, "factor_sid": sid, "status": result, "date_created": now})
        conn.execute(
            "INSERT INTO bl_challenges VALUES (%s, %s, %s, %s, %s, 1, %s)",
            (challenge, identity, sid, now, "approved" if result == "approved" else "pending", data),
        )
    return result


def bl_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


def bl_worker(url: str, service: str, worker: int, seconds: float, start: Any, out: Any) -> None:
    conn = bl_connect(url)
    secret = pyotp.random_base32(32)
    sids = []
    for f in range(FACTORS):
        sid = "YF" + secrets.token_hex(16)
        identity = f"bench-{service}-{worker:03d}-{f:05d}"
        conn.execute(
            "INSERT INTO bl_factors VALUES (%s, %s, %s, %s, 1, '{}')", (sid, identity, secret, T0 // 30)
        )
        sids.append(sid)
    ops = plan(secret, 200_000, 1)
    start.wait()
    done = 0
    began = time.perf_counter()
    deadline = began + seconds
    for f, now, code in ops:
        if bl_answer(conn, sids[f], code, now) != "approved":
            raise SystemExit("baseline: a fresh right code was not approved")
        done += 1
        if done % 64 == 0 and time.perf_counter() >= deadline:
            break
    out.put((done, time.perf_counter() - began))


def bl_race(url: str, service: str, rounds: int, worker: int, start: Any, out: Any) -> None:
    conn = bl_connect(url)
    results = []
    for r in range(rounds):
        start.wait()
        _, sid, code, now = json.loads(open(os.path.join(service_dir(service), f"{r}.json")).read())
        results.append(bl_answer(conn, sid, code, now))
    out.put(results)


# ---------------------------------------------------------------- runs


def throughput(worker: Callable[..., None], url: str, processes: int, seconds: float) -> float:
    service = "bench" + secrets.token_hex(4)
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(processes)
    out = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(url, service, w, seconds, start, out)) for w in range(processes)]
    for p in procs:
        p.start()
    counts = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a worker failed with exit code {p.exitcode}")
    total = sum(done for done, _ in counts)
    longest = max(elapsed for _, elapsed in counts)
    return total / longest


def race(kind: str, url: str, rounds: int = 50, processes: int = 8) -> Tuple[int, int]:
    """(rounds with exactly one approval, rounds): every process answers the same right code."""
    service = "race" + secrets.token_hex(4)
    secret = pyotp.random_base32(32)
    folder = service_dir(service)
    if kind == "watchword":
        verify = watchword.Verify("Acme", store=url, service=service, **SETTINGS)
    else:
        conn = bl_connect(url)
    for r in range(rounds):
        identity = f"race-{r:06d}-user"
        now = T0 + 30 * (r + 1)
        code = pyotp.TOTP(secret).at(now)
        if kind == "watchword":
            factor = verify.create_factor(identity, "phone", secret=secret, now=T0)
            verify.verify_factor(identity, factor.sid, pyotp.TOTP(secret).at(T0), now=T0)
            sid = factor.sid
        else:
            sid = "YF" + secrets.token_hex(16)
            conn.execute("INSERT INTO bl_factors VALUES (%s, %s, %s, %s, 1, '{}')", (sid, identity, secret, T0 // 30))
        with open(os.path.join(folder, f"{r}.json"), "w") as f:
            json.dump([identity, sid, code, now], f)
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(processes)
    out = ctx.Queue()
    target = ww_race if kind == "watchword" else bl_race
    procs = [ctx.Process(target=target, args=(url, service, rounds, w, start, out)) for w in range(processes)]
    for p in procs:
        p.start()
    per_process = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    once = sum(1 for r in range(rounds) if sum(res[r] == "approved" for res in per_process) == 1)
    return once, rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", default=os.environ.get("WATCHWORD_TEST_PG_URL"))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "stores.md"))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="ww-bench-")
    stores: List[Tuple[str, Callable[..., None], Optional[str]]] = [
        ("watchword, memory: (one process's own)", ww_worker, "memory:"),
        ("watchword, SQLite synchronous=FULL", ww_worker, f"sqlite:///{folder}/full.db"),
        ("watchword, SQLite synchronous=NORMAL", ww_worker, f"sqlite:///{folder}/normal.db?synchronous=normal"),
    ]
    if args.pg:
        import psycopg

        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(BASELINE_SCHEMA)
        stores.append(("watchword, PostgreSQL", ww_worker, args.pg))
        stores.append(("pyotp + psycopg, SELECT … FOR UPDATE", bl_worker, args.pg))
    else:
        print("no PostgreSQL URL (--pg or WATCHWORD_TEST_PG_URL): PostgreSQL rows skipped", file=sys.stderr)
    if args.pg:
        # A deployed database has planner statistics; a fresh one has none for its first
        # minute (autovacuum has not analyzed it yet), and PostgreSQL then picks poor indexes.
        # One unrecorded warm-up of each side, then ANALYZE, so both are measured as deployed.
        throughput(ww_worker, args.pg, 8, 1)
        throughput(bl_worker, args.pg, 8, 1)
        import psycopg

        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute("ANALYZE")
    measured: Dict[str, List[Tuple[float, float]]] = {name: [] for name, _, _ in stores}
    for round_ in range(args.rounds):
        for name, worker, url in stores:
            assert url is not None
            one = throughput(worker, url, 1, args.seconds)
            eight = throughput(worker, url, 8, args.seconds)
            measured[name].append((one, eight))
            print(f"round {round_ + 1}: {name}: {one:,.0f}/s with 1 process, {eight:,.0f}/s with 8", file=sys.stderr)

    def median(values: List[float]) -> float:
        ordered = sorted(values)
        return ordered[len(ordered) // 2]

    lines = [
        "| store | 1 process | 8 processes |",
        "|---|---:|---:|",
    ]
    for name, _, _ in stores:
        ones, eights = [m[0] for m in measured[name]], [m[1] for m in measured[name]]
        lines.append(f"| {name} | {median(ones):,.0f}/s | {median(eights):,.0f}/s |")
    if args.pg:
        ours, theirs = measured["watchword, PostgreSQL"], measured["pyotp + psycopg, SELECT … FOR UPDATE"]
        one = median([a[0] / b[0] for a, b in zip(ours, theirs)])
        eight = median([a[1] / b[1] for a, b in zip(ours, theirs)])
        lines.append(f"| watchword PostgreSQL ÷ pyotp + psycopg (median of the rounds' ratios) | {one:.2f}× | {eight:.2f}× |")
    races = []
    if args.pg:
        for kind, label in (("watchword", "watchword, PostgreSQL"), ("baseline", "pyotp + psycopg")):
            once, rounds = race(kind, args.pg)
            races.append(f"- {label}: {once} of {rounds} rounds approved the code exactly once")
    races.append(
        "- watchword, SQLite: %d of %d rounds approved the code exactly once"
        % race("watchword", f"sqlite:///{folder}/race.db")
    )
    text = f"Median of {args.rounds} rounds of {args.seconds:g} s each.\n\n" + "\n".join(lines) + "\n\nRace check (8 processes answer one right code at once):\n\n" + "\n".join(races)
    print(text)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
