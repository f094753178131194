"""watchword against every peer, side by side: builds in release, runs the Rust, C, Python and
Node benchmarks one after the other in this run, then the service's throughput, the durable
stores and `watchword serve` under wrk (bench/server.py), and writes
bench/results.md.

    make bench            (sets up the virtualenv, the npm packages and liboath first)
    python3 bench/run.py  (the same, once those exist)

Every benchmark times SHA-1, 6-digit codes with a 20-byte key and a 30 s period:
`generate` (the code at a time) and `verify` (a wrong code checked with one step of skew each
side, so the whole window is evaluated). Each figure is the median of several repetitions, and
the contenders of a language take turns within each repetition so that other load on the
machine hits them alike. Each benchmark prints JSON lines
`{"language", "implementation", "operation", "ns"}` into the file named by $BENCH_JSON.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
OUT = TARGET / "bench"


def run(cmd: list[str], **kw: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]


def rust(results: Path) -> None:
    """Criterion's medians for watchword and totp-rs (core/benches/otp.rs)."""
    env = dict(os.environ, WATCHWORD_BENCH_CPU_TIME="1")
    run(["cargo", "bench", "--locked", "-p", "watchword-core", "--bench", "otp", "--", "sha1-6digits-20byte-key"],
        cwd=ROOT, env=env)
    group = TARGET / "criterion" / "sha1-6digits-20byte-key"
    names = {
        "watchword_generate": ("watchword", "generate"),
        "totp-rs_generate": ("totp-rs", "generate"),
        "watchword_verify-wrong-skew1": ("watchword", "verify"),
        "totp-rs_check-wrong-skew1": ("totp-rs", "verify"),
    }
    lock = (ROOT / "Cargo.lock").read_text()
    version = lock.split('name = "totp-rs"\nversion = "', 1)[1].split('"', 1)[0]
    with results.open("a") as out:
        for directory, (implementation, operation) in names.items():
            implementation = implementation if implementation == "watchword" else f"totp-rs {version}"
            estimates = json.loads((group / directory / "new" / "estimates.json").read_text())
            ns = estimates["median"]["point_estimate"]
            out.write(json.dumps({"language": "Rust", "implementation": implementation,
                                  "operation": operation, "ns": ns}) + "\n")


def c(results: Path) -> None:
    """The C ABI against liboath (bench/c/peers.c), linked against the release library."""
    run(["make", "--no-print-directory", "c-lib-release"], cwd=ROOT)
    lib = TARGET / "c" / "release" / "lib"
    exe = OUT / "c-peers"
    run(["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{ROOT / 'include'}", str(ROOT / "bench/c/peers.c"),
         "-o", str(exe), f"-L{lib}", f"-Wl,-rpath,{lib}", "-lwatchword", "-loath"])
    with results.open("a") as out:
        subprocess.run([str(exe)], check=True, stdout=out)


def python(results: Path) -> None:
    """watchword's Python package against pyotp and cryptography (bench/python/bench.py)."""
    run(["make", "--no-print-directory", "bench-python"], cwd=ROOT, env=dict(os.environ, BENCH_JSON=str(results)))


def node(results: Path) -> None:
    """watchword's Node package against otpauth and otplib (bench/node/bench.mjs)."""
    run(["make", "--no-print-directory", "bench-node"], cwd=ROOT, env=dict(os.environ, BENCH_JSON=str(results)))


def stores() -> str:
    """Challenge create-with-code per second through each store with 1 and 8 processes,
    against pyotp + psycopg with SELECT … FOR UPDATE (bench/stores.py), in the project's
    virtualenv with the release build bench-python installed."""
    out = OUT / "stores.md"
    run([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "bench" / "stores.py"), "--out", str(out)], cwd=ROOT)
    return out.read_text().strip()


def server() -> str:
    """`watchword serve` under wrk against an axum hello-world (bench/server.py): challenges
    created with the code per second over the memory store and SQLite. A run with errors is
    reported in its table rather than stopping the report."""
    out = OUT / "server.md"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(ROOT / "bench" / "server.py"), "--out", str(out)]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT)
    return out.read_text().strip()


def service() -> tuple[str, float]:
    """The service on one core (core/benches/service.rs): `create_challenge` with the code,
    through `Verify<MemoryStore>`, skew 1, committed with compare-and-set."""
    run(["cargo", "bench", "--locked", "-p", "watchword-core", "--bench", "service"], cwd=ROOT)
    group = TARGET / "criterion" / "service"
    lines = ["| create_challenge with | time per call | calls per second |", "|---|---:|---:|"]
    right = 0.0
    for directory, label in [("create_challenge_right_code_approved", "the right code (`approved`)"),
                             ("create_challenge_wrong_code", "a wrong code (`invalid_code`)")]:
        estimates = json.loads((group / directory / "new" / "estimates.json").read_text())
        ns = estimates["median"]["point_estimate"]
        right = right or ns
        lines.append(f"| {label} | {ns / 1000:.2f} µs | {1e9 / ns:,.0f} |")
    return "\n".join(lines), right


def recovery() -> str:
    """The recovery-code redemptions the service bench measured (its `recovery` group): one
    PBKDF2-HMAC-SHA256 hash at the default 100,000 iterations per call."""
    group = TARGET / "criterion" / "recovery"
    lines = ["| create_challenge with a recovery code | time per call | calls per second |", "|---|---:|---:|"]
    for directory, label in [("redeem_recovery_code_approved", "a right code (`approved`, used up)"),
                             ("redeem_recovery_code_wrong", "a wrong code (`invalid_code`)")]:
        estimates = json.loads((group / directory / "new" / "estimates.json").read_text())
        ns = estimates["median"]["point_estimate"]
        lines.append(f"| {label} | {ns / 1e6:.1f} ms | {1e9 / ns:,.0f} |")
    return "\n".join(lines)


def seal() -> str:
    """Sealing and opening one factor record: the cost sealed records add to a store's write and
    read, over the plain record's text, which a store without keys pays too. Criterion's medians
    (core/benches/seal.rs) and the fastest of 400 runs of 100 calls (core/examples/
    seal_fastest.rs), which is what the code costs when other work shares the machine; the
    target is judged on the latter."""
    run(["cargo", "bench", "--locked", "-p", "watchword-core", "--bench", "seal"], cwd=ROOT)
    group = TARGET / "criterion" / "seal"

    def median(name: str) -> float:
        estimates = json.loads((group / name / "new" / "estimates.json").read_text())
        return float(estimates["median"]["point_estimate"])

    cmd = ["cargo", "run", "--locked", "--release", "-q", "-p", "watchword-core", "--example", "seal_fastest"]
    print("+", " ".join(cmd), flush=True)
    printed = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    rows = [line.removesuffix(" ns").rsplit(None, 1) for line in printed.splitlines() if line.endswith(" ns")]
    fastest = {name.strip(): float(value) for name, value in rows}

    lines = ["| one factor record | sealed | plain | sealing adds | fastest run: sealing adds | target |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, sealed, plain, fast_sealed, fast_plain in [
            ("to its stored text (seal)", "seal_factor_to_text", "plain_factor_to_text",
             "sealed record to text", "plain record to text"),
            ("from its stored text (open)", "open_factor_from_text", "plain_factor_from_text",
             "sealed record from text", "plain record from text")]:
        added = median(sealed) - median(plain)
        fast_added = fastest[fast_sealed] - fastest[fast_plain]
        met = "met" if fast_added <= 2000 else "missed"
        lines.append(f"| {label} | {median(sealed) / 1000:.2f} µs | {median(plain) / 1000:.2f} µs | "
                     f"{added / 1000:.2f} µs | {fast_added / 1000:.2f} µs | ≤ 2 µs ({met}) |")
    return "\n".join(lines)


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| language | operation | watchword | peer | peer time | watchword is |",
        "|---|---|---:|---|---:|---:|",
    ]
    for language in ["Rust", "C", "Python", "Node"]:
        for operation in ["generate", "verify"]:
            mine = [r for r in rows if r["language"] == language and r["operation"] == operation
                    and r["implementation"] == "watchword"]
            if not mine:
                continue
            ours = float(mine[0]["ns"])  # type: ignore[arg-type]
            for peer in rows:
                if peer["language"] != language or peer["operation"] != operation or peer["implementation"] == "watchword":
                    continue
                theirs = float(peer["ns"])  # type: ignore[arg-type]
                lines.append(f"| {language} | {operation} | {ours:,.0f} ns | {peer['implementation']} | "
                             f"{theirs:,.0f} ns | {theirs / ours:.1f}× faster |")
    return "\n".join(lines)


def service_calls(rows: list[dict[str, object]], rust_ns: float) -> str:
    """Each surface's `create_challenge` with the right code over the memory store against its
    baseline: a `Totp.verify` miss (skew 1) in the same process for Python and Node (as their
    benches report it), core's typed call (`rust_ns`, criterion) for the C ABI."""
    lines = ["| language | create_challenge | against | its time | ratio | target |", "|---|---:|---|---:|---:|---:|"]
    for r in rows:
        if r.get("operation") != "create_challenge":
            continue
        ns = float(r["ns"])  # type: ignore[arg-type]
        if "baseline_ns" in r:
            against, baseline = "`Totp.verify` miss", float(r["baseline_ns"])  # type: ignore[arg-type]
            ratio, target = float(r["ratio"]), float(r["target"])  # type: ignore[arg-type]
        else:
            against, baseline, target = "core's typed call (Rust)", rust_ns, 1.3
            ratio = ns / rust_ns
        met = "met" if ratio <= target else "missed"
        lines.append(f"| {r['language']} | {ns:,.0f} ns | {against} | {baseline:,.0f} ns | {ratio:.1f}× | "
                     f"≤ {target:g}× ({met}) |")
    return "\n".join(lines) if len(lines) > 2 else ""


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    results = OUT / "results.jsonl"
    results.write_text("")
    for bench in (rust, c, python, node):
        bench(results)
    service_table, rust_ns = service()
    seal_table = seal()
    stores_table = stores()
    server_table = server()
    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    sha_ni = "sha_ni" in Path("/proc/cpuinfo").read_text()
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    text = f"""# Benchmark results

Produced by `make bench` (bench/run.py) on {date}: {cpu}, {os.cpu_count()} cores,
{'with' if sha_ni else 'without'} the SHA extensions. SHA-1, 6 digits, 20-byte key, 30 s period;
`verify` checks a wrong code with a skew of one step each side (the whole window). Time per call,
median of several repetitions; in each language the contenders take turns within every
repetition. Lower is better.

{table(rows)}

The service on one core (`cargo bench -p watchword-core --bench service`): a challenge created
with the code through `Verify<MemoryStore>`, checked with a skew of one step and committed with
compare-and-set. A wrong code is also checked one and two steps beyond the window, to report
`outside_window`, so it costs 14 SHA-1 blocks where a right one costs 6.

{service_table}

Recovery codes at the default hashing cost (PBKDF2-HMAC-SHA256, 100,000 iterations, two SHA-256
blocks each): a redemption is one hash of the answer, compared with the factor's 20 stored
hashes, plus the same commit as above; a wrong code of the right form costs the same.

{recovery()}

Sealed records (`cargo bench -p watchword-core --bench seal`, and the fastest of 400 runs of 100
calls from `cargo run --release -p watchword-core --example seal_fastest`): a verified factor's
record (about 600 bytes of JSON) sealed with XChaCha20-Poly1305 into its envelope's text, and
opened from it, against the plain record's text, which a store writes and reads without keys as
well.

{seal_table}

The service as each binding's users call it: `create_challenge` with the right code over the
memory store, on the inputs of core's benchmark above in every language (calls 90 s apart, a
fresh service every 500 calls, the codes made beforehand). Python and Node against a
`Totp.verify` of a wrong code (skew 1) in the same process (median of the per-round ratios); the
C ABI (the outcome filled, no JSON view) against core's typed call above.

{service_calls(rows, rust_ns)}

Durable stores (`bench/stores.py`): challenges created with the right code per second, each
process on its own users and factors, from Python, against what a Python team writes today —
pyotp with psycopg, `SELECT … FOR UPDATE` in a transaction (django-otp's pattern) — on the same
throwaway PostgreSQL server (`make bench` starts it; synchronous_commit on, as in production),
with the same table shape and concurrency. SQLite FULL syncs every commit to the disk.

{stores_table}

`watchword serve` (`bench/server.py`, `make bench-server`): `POST /v2/Services/{{VA}}/Entities/
{{identity}}/Challenges` with `FactorSid` and `AuthPayload` = the factor's current code, form-encoded,
Basic authentication, rotating over enough verified factors that none runs out of its quotas or
reaches the lockout; a factor's code is `approved` once (unless its enrollment, in the same time
step, used it) and `replayed` after, both checked and written. Next to an axum hello-world
(`server/examples/hello.rs`, the same tokio runtime and release profile), the HTTP ceiling of the
machine. Target: the memory store at ≥ 50% of the hello-world's requests per second.

{server_table}
"""
    (ROOT / "bench" / "results.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
