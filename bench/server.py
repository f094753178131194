"""`watchword serve` under an HTTP load generator: challenges created with the factor's code per
second over the memory store and over SQLite, next to an axum hello-world handler measured the
same way (server/examples/hello.rs: the server's accept loop and workers, the same release profile), which is
the HTTP ceiling of the machine. Writes a Markdown section (bench/run.py puts it in
bench/results.md).

    make bench-server                   (installs wrk when missing, builds, runs)
    python3 bench/server.py --out FILE  (the same, once wrk is installed)

The load generator is wrk, with a fixed number of connections and threads for a fixed time. Its
Lua script (written here) rotates over pre-built requests: `POST /v2/Services/{VA}/Entities/
{identity}/Challenges` with `FactorSid` and `AuthPayload` = the factor's code, form-encoded, with
Basic authentication. The factors are created and verified through the Twilio API beforehand,
enough of them that no factor sees more than PER_FACTOR requests in a run: a factor's code is
approved once (unless its enrollment, in the same time step, used it) and answered `replayed`
after (both are real checks that write the challenge and the factor), and a replay counts as a
failure, so a factor must stay
under the lockout threshold (raised to its maximum, 100, with the quotas, in the server's
[settings]). Every answer must be 201: wrk's non-2xx count and socket errors are reported, and
the server's own metrics are read after the run (answers by status, results by kind) and checked
against wrk's count. A run with errors says so in the table.

The hello-world and the memory store take turns for several rounds (a fresh process each), so
that other load on the machine hits both alike; the ratio is the median of the rounds' ratios.
SQLite (synchronous=NORMAL, then FULL) runs once each.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import math
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
OUT = TARGET / "bench"

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "bench-auth-token-0123456789"
AUTH = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()

# A factor sees at most this many requests in a run: one approval, then replays, which count as
# consecutive failures; the lockout threshold (100 at most) must not be reached.
PER_FACTOR = 80
FACTORS_PER_ENTITY = 1000

# The service settings the benchmark needs: the quotas, the lockout and the failure budget at
# their maximums (README, Settings), so no factor runs out during a run.
SETTINGS = """
[settings]
challenge_quota_hour = 500
challenge_quota_day = 1000
lockout_threshold = 100
lockout_permanent_threshold = 1000
failure_budget = 1000
factors_per_entity = 1000
factor_creations_per_day = 1000
"""

# wrk's script. Each thread takes every n-th pre-built request of the file named by the
# environment and sends them in turn; done() prints one JSON line with the figures.
LUA = r"""
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS"))
  local file = os.getenv("BENCH_REQUESTS")
  reqs = {}
  if file == nil or file == "" then
    local path = os.getenv("BENCH_PATH") or "/"
    local headers = {}
    if os.getenv("BENCH_AUTH") then headers["Authorization"] = os.getenv("BENCH_AUTH") end
    reqs[1] = wrk.format("GET", path, headers, nil)
  else
    local i = 0
    for line in io.lines(file) do
      if i % n == id - 1 then
        local tab = line:find("\t", 1, true)
        local path, body = line:sub(1, tab - 1), line:sub(tab + 1)
        reqs[#reqs + 1] = wrk.format("POST", path, {
          ["Authorization"] = os.getenv("BENCH_AUTH"),
          ["Content-Type"] = "application/x-www-form-urlencoded",
        }, body)
      end
      i = i + 1
    end
  end
  nreqs = #reqs
  next_req = 0
end

function request()
  next_req = next_req + 1
  if next_req > nreqs then next_req = 1 end
  return reqs[next_req]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(cmd: list[str], **kw: object) -> None:
    log("+ " + " ".join(str(c) for c in cmd))
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]


def ensure_wrk() -> str:
    """wrk, from Debian when the machine lacks it (as root; otherwise it says what to install)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("bench/server.py needs wrk: apt-get install wrk (or make bench-server as root)")
    run(["apt-get", "update"])
    run(["apt-get", "install", "-y", "--no-install-recommends", "wrk"])
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is still missing after apt-get install wrk")
    return found


def build() -> tuple[Path, Path]:
    run(["cargo", "build", "--locked", "--release", "-p", "watchword-server", "--bin", "watchword", "--example", "hello"],
        cwd=ROOT)
    return TARGET / "release" / "watchword", TARGET / "release" / "examples" / "hello"


def totp(secret_b32: str, at: float, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 with SHA-1, from the factor's Base32 secret."""
    padded = secret_b32.upper() + "=" * (-len(secret_b32) % 8)
    key = base64.b32decode(padded)
    mac = hmac.new(key, struct.pack(">Q", int(at // step)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(value).zfill(digits)


@dataclass
class Process:
    process: subprocess.Popen[str]
    host: str
    port: int


def start(cmd: list[str], env: dict[str, str] | None = None) -> Process:
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        process.kill()
        process.wait()
        raise RuntimeError(f"{cmd[0]} did not start: {line!r}")
    host, port = line.removeprefix("listening on ").rsplit(":", 1)
    return Process(process, host, int(port))


def stop(p: Process) -> None:
    p.process.terminate()
    try:
        p.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.process.kill()
        p.process.wait()


class Client:
    """Plain HTTP/1.1 with keep-alive against the server's Twilio API."""

    def __init__(self, p: Process) -> None:
        self.conn = http.client.HTTPConnection(p.host, p.port, timeout=60)

    def call(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Authorization": AUTH}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def post(self, path: str, form: dict[str, str], expect: int = 201) -> dict[str, object]:
        status, body = self.call("POST", path, form)
        if status != expect:
            raise RuntimeError(f"POST {path}: {status} {body[:300]!r}")
        return json.loads(body)  # type: ignore[no-any-return]


@dataclass
class Factor:
    path: str  # …/Entities/{identity}/Challenges
    sid: str
    secret: str


def enroll(p: Process, va: str, entity: int, count: int) -> list[Factor]:
    """An entity with `count` verified TOTP factors, each verified with its current code."""
    client = Client(p)
    identity = f"bench-{entity:05d}"
    base = f"/v2/Services/{va}/Entities"
    client.post(base, {"Identity": identity})
    factors = []
    for i in range(count):
        created = client.post(f"{base}/{identity}/Factors",
                              {"FriendlyName": f"device {i}", "FactorType": "totp"})
        secret = str(created["binding"]["secret"])  # type: ignore[index]
        sid = str(created["sid"])
        verified = client.post(f"{base}/{identity}/Factors/{sid}",
                               {"AuthPayload": totp(secret, time.time())}, expect=200)
        if verified.get("status") != "verified":
            raise RuntimeError(f"factor {sid} not verified: {verified}")
        factors.append(Factor(f"{base}/{identity}/Challenges", sid, secret))
    return factors


def setup_factors(p: Process, count: int) -> tuple[str, list[Factor]]:
    client = Client(p)
    service = client.post("/v2/Services", {"FriendlyName": "bench"})
    va = str(service["sid"])
    entities = math.ceil(count / FACTORS_PER_ENTITY)
    sizes = [min(FACTORS_PER_ENTITY, count - e * FACTORS_PER_ENTITY) for e in range(entities)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        batches = list(pool.map(lambda e: enroll(p, va, e, sizes[e]), range(entities)))
    return va, [f for batch in batches for f in batch]


def metrics(p: Process) -> dict[str, float]:
    conn = http.client.HTTPConnection(p.host, p.port, timeout=60)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, value = line.rsplit(" ", 1)
        values[name] = float(value)
    return values


@dataclass
class Run:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    load: float
    errors: list[str]
    results: dict[str, int]


def wrk(wrk_bin: str, p: Process, args: argparse.Namespace, script: Path, duration: float, *,
        requests: Path | None = None, path: str = "/", auth: bool = False) -> dict[str, float]:
    env = dict(os.environ, BENCH_THREADS=str(args.threads), BENCH_REQUESTS=str(requests or ""), BENCH_PATH=path)
    if auth:
        env["BENCH_AUTH"] = AUTH
    # wrk leaves answers slower than its timeout out of the latencies: 30 s keeps them in the p99.
    cmd = [wrk_bin, f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s", "--timeout", "30s",
           "-s", str(script), f"http://{p.host}:{p.port}{path}"]
    log("+ " + " ".join(cmd))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    line = [row for row in out.splitlines() if row.startswith("{")][-1]
    return json.loads(line)  # type: ignore[no-any-return]


def figures(label: str, w: dict[str, float], load: float) -> Run:
    errors = [f"{w[k]:,.0f} {name}" for k, name in
              [("status", "non-2xx answers"), ("connect", "connect errors"), ("read", "read errors"),
               ("write", "write errors"), ("timeout", "answers slower than 30 s")] if w[k]]
    return Run(label, w["requests"] / (w["duration_us"] / 1e6), w["p50_us"] / 1000, w["p99_us"] / 1000, load,
               errors, {})


def combine(runs: list[Run]) -> Run:
    """Rounds of one server: the medians of the figures, every error, the results summed."""
    results: dict[str, int] = {}
    for r in runs:
        for k, v in r.results.items():
            results[k] = results.get(k, 0) + v
    return Run(runs[0].label, statistics.median(r.rps for r in runs), statistics.median(r.p50_ms for r in runs),
               statistics.median(r.p99_ms for r in runs), statistics.median(r.load for r in runs),
               [e for r in runs for e in r.errors], results)


def hello(wrk_bin: str, hello_bin: Path, args: argparse.Namespace, script: Path) -> Run:
    p = start([str(hello_bin), "127.0.0.1:0"])
    try:
        wrk(wrk_bin, p, args, script, args.warmup)
        load = os.getloadavg()[0]
        return figures("axum hello-world (`GET /`)", wrk(wrk_bin, p, args, script, args.duration), load)
    finally:
        stop(p)


def serve(wrk_bin: str, server_bin: Path, args: argparse.Namespace, script: Path, store: str, label: str,
          factors_needed: int, tmp: Path, parts: list[list[Run]] | None = None) -> Run:
    config = tmp / "watchword.toml"
    config.write_text(SETTINGS)
    env = dict(os.environ, WATCHWORD_TWILIO_ACCOUNT_SID=ACCOUNT_SID, WATCHWORD_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
               WATCHWORD_LOG="error")
    p = start([str(server_bin), "serve", "--listen", "127.0.0.1:0", "--store", store, "--config", str(config)], env)
    try:
        started = time.monotonic()
        va, factors = setup_factors(p, factors_needed)
        log(f"{label}: {len(factors)} verified factors in {time.monotonic() - started:.1f} s")
        # Warm up on reads of the service (the same authentication and blocking pool), leaving the
        # factors to the run.
        wrk(wrk_bin, p, args, script, args.warmup, path=f"/v2/Services/{va}", auth=True)
        if parts is not None:
            # Where the time goes: the server's HTTP stack alone (its accept loop and layers,
            # no authentication, no store), then an authenticated read of the service (one
            # store call on the blocking pool, a JSON answer).
            for i, (path, auth, part) in enumerate([
                    ("/healthz", False, "`watchword serve`, `GET /healthz` (HTTP stack only)"),
                    (f"/v2/Services/{va}", True, "`watchword serve`, `GET /v2/Services/{VA}` (authenticated read)")]):
                parts[i].append(figures(part, wrk(wrk_bin, p, args, script, args.duration, path=path, auth=auth),
                                        os.getloadavg()[0]))
        # Codes of the current time step, computed just before the run: the run stays inside
        # the window (skew 1), so every code is checked for real.
        now = time.time()
        requests = tmp / "requests.tsv"
        with requests.open("w") as out:
            for f in factors:
                body = urllib.parse.urlencode({"FactorSid": f.sid, "AuthPayload": totp(f.secret, now)})
                out.write(f"{f.path}\t{body}\n")
        before = metrics(p)
        load = os.getloadavg()[0]
        w = wrk(wrk_bin, p, args, script, args.duration, requests=requests, path=factors[0].path, auth=True)
        # Requests wrk sent just before it stopped may still be in the server's hands: let them
        # finish, so that their results and their answers are both counted.
        time.sleep(0.5)
        after = metrics(p)
    finally:
        stop(p)
    run_ = figures(label, w, load)
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
    route = "/v2/Services/{va}/Entities/{identity}/Challenges"
    answers = {k: int(v) for k, v in delta.items() if k.startswith("watchword_http_requests_total{")
               and f'route="{route}"' in k}
    created = sum(v for k, v in answers.items() if 'status="201"' in k)
    others = {k: v for k, v in answers.items() if 'status="201"' not in k}
    for k, n in others.items():
        run_.errors.append(f"{n:,} answers {k.split('status=')[1].rstrip('}')}")
    for k, v in delta.items():
        if k.startswith("watchword_verification_results_total{") and 'operation="create_challenge"' in k:
            run_.results[k.split('result="')[1].split('"')[0]] = int(v)
    # wrk counts the answers it read before it stopped; the server may have answered a few more
    # (at most one per connection).
    if not (w["requests"] - w["status"] <= created <= w["requests"] + args.connections):
        run_.errors.append(f"the server answered 201 {created:,} times, wrk counted {w['requests']:,.0f} requests")
    if sum(run_.results.values()) != created:
        run_.errors.append(f"{sum(run_.results.values()):,} codes checked for {created:,} challenges")
    return run_


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the Markdown section there")
    parser.add_argument("--duration", type=float, default=10, help="seconds of each measured run (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up before each (default 2)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="hello-world and memory store turns (default 3)")
    parser.add_argument("--no-full", action="store_true", help="leave SQLite synchronous=FULL out")
    parser.add_argument("--no-build", action="store_true", help="use the release binaries already built")
    args = parser.parse_args()

    wrk_bin = ensure_wrk()
    if args.no_build:
        server_bin, hello_bin = TARGET / "release" / "watchword", TARGET / "release" / "examples" / "hello"
    else:
        server_bin, hello_bin = build()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "bench.lua"
        script.write_text(LUA)
        # The hello-world and the memory store take turns, a fresh process each round, so that
        # other load on the machine hits them alike; the ratio is the median of the rounds'.
        hellos, memories = [], []
        parts: list[list[Run]] = [[], []]
        for round_ in range(args.rounds):
            hellos.append(hello(wrk_bin, hello_bin, args, script))
            log(f"round {round_ + 1}: hello-world {hellos[-1].rps:,.0f}/s")
            # Enough factors for the hello-world's rate, which no server exceeds.
            needed = max(100, math.ceil(hellos[-1].rps * 1.2 * args.duration / PER_FACTOR))
            memories.append(serve(wrk_bin, server_bin, args, script, "memory:", "`watchword serve`, memory store",
                                  needed, tmp, parts))
            log(f"round {round_ + 1}: memory store {memories[-1].rps:,.0f}/s, errors: {memories[-1].errors or 'none'}")
        ratio = statistics.median(m.rps / h.rps for h, m in zip(hellos, memories))
        ceiling, memory = combine(hellos), combine(memories)
        runs = [ceiling, *(combine(part) for part in parts), memory]
        stores = [(f"sqlite:///{tmp}/normal.db?synchronous=normal", "`watchword serve`, SQLite synchronous=NORMAL")]
        if not args.no_full:
            stores.append((f"sqlite:///{tmp}/full.db?synchronous=full", "`watchword serve`, SQLite synchronous=FULL"))
        # SQLite: enough factors for 1.5 times the memory store's rate (creating factors on
        # SQLite takes a while). Too few would show as 429 answers, reported as errors.
        needed = max(100, math.ceil(memory.rps * 1.5 * args.duration / PER_FACTOR))
        for store, label in stores:
            runs.append(serve(wrk_bin, server_bin, args, script, store, label, needed, tmp))
            log(f"{label}: {runs[-1].rps:,.0f}/s, errors: {runs[-1].errors or 'none'}")

    version = subprocess.run([wrk_bin, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    rounds = "; ".join(f"{h.rps:,.0f}/s and {m.rps:,.0f}/s ({m.rps / h.rps:.0%})" for h, m in zip(hellos, memories))
    lines = [f"{version.split(' [')[0]}, {args.threads} threads, {args.connections} connections, "
             f"{args.duration:g} s per run after {args.warmup:g} s of warm-up, load generator and server "
             f"on the same {os.cpu_count()} cores; load average (1 min) just before each run. The hello-world "
             f"and the memory store took turns for {args.rounds} rounds, a fresh process each (medians below; "
             f"the rounds: {rounds}); each memory round also measured the server's `GET /healthz` and an "
             f"authenticated `GET` of the service first, to show where the time goes; SQLite ran once each.", "",
             "| server | requests/s | p50 | p99 | ÷ hello-world | errors | codes checked | load |",
             "|---|---:|---:|---:|---:|---|---|---:|"]
    for r in runs:
        checked = ", ".join(f"{v:,} {k}" for k, v in sorted(r.results.items())) or "—"
        lines.append(f"| {r.label} | {r.rps:,.0f} | {r.p50_ms:.2f} ms | {r.p99_ms:.2f} ms | "
                     f"{ratio if r is memory else r.rps / ceiling.rps:.0%} | {'; '.join(r.errors) or 'none'} | {checked} | {r.load:.2f} |")
    verdict = "met" if ratio >= 0.5 and not memory.errors else "missed"
    loads = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines += ["", f"Memory store ÷ hello-world, median of the rounds: {ratio:.0%} (target ≥ 50%: {verdict}"
              f"{', the run had errors' if memory.errors else ''}). Load average (1, 5, 15 min) at the end: "
              f"{loads}."]
    if any(r.errors for r in runs):
        lines.append("")
        lines.append("**A run had errors (in its row): not every request was answered 201 in time.**")
    text = "\n".join(lines)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0 if not any(r.errors for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
