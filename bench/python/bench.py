"""watchword against pyotp and cryptography, side by side in one process.

Per call from Python, SHA-1, 6 digits, 30 s period:
  generate: Totp.generate(t) vs pyotp.TOTP.at(t) vs cryptography's TOTP.generate(t)
  verify:   Totp.verify(wrong code, t, skew=1) vs pyotp.TOTP.verify(wrong code, t, valid_window=1)
  service:  Verify.create_challenge(auth_payload=right code) over the memory store (the inputs of
            core/benches/service.rs), against Totp.verify with a wrong code in the same
            process (target: at most 3x); both called in a plain loop, and only the calls
            timed (not the making of each fresh service), as the Rust and C benchmarks do

Each figure is the median of several repetitions of a timed loop (time.perf_counter_ns).
Run: make bench-python (release build), or python bench/python/bench.py in the .venv.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from importlib.metadata import version
from typing import Callable, cast

import pyotp
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP as CryptoTOTP

import watchword

SECRET = b"12345678901234567890"
T = 1_700_000_000


def per_call_ns(fn: Callable[[], object], loops: int) -> float:
    """The mean time of one call in a loop of `loops` calls."""
    start = time.perf_counter_ns()
    for _ in range(loops):
        fn()
    return (time.perf_counter_ns() - start) / loops


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loops", type=int, default=20_000, help="calls per repetition (default 20000)")
    parser.add_argument("--repeats", type=int, default=9, help="repetitions; the median is reported (default 9)")
    opts = parser.parse_args()

    ww = watchword.Totp(SECRET)
    peer = pyotp.TOTP(watchword.base32_encode(SECRET))
    crypto = CryptoTOTP(SECRET, 6, SHA1(), 30, enforce_key_length=False)

    # The three agree before anything is timed.
    expected = ww.generate(T)
    assert peer.at(T) == expected, "pyotp disagrees"
    assert crypto.generate(T).decode() == expected, "cryptography disagrees"
    wrong = f"{(int(expected) + 1) % 1_000_000:06d}"
    assert all(ww.generate(T + d * 30) != wrong for d in (-1, 0, 1)), "pick another wrong code"
    assert ww.verify(wrong, T, skew=1) is None and peer.verify(wrong, for_time=T, valid_window=1) is False

    loops, repeats = opts.loops, opts.repeats

    # The service on the inputs of core/benches/service.rs (as the C and Node benchmarks): a
    # challenge created with the right code through the memory store, the calls 90 s apart (a
    # new step each time, within the largest quotas allowed), a fresh service every `chunk` calls
    # so that the store stays small; the codes are the app's, computed before anything is timed.
    # As in the Rust and C benchmarks, only the calls are timed: making each fresh service (an
    # entity, a factor and its verification) and dropping the one set aside are not.
    chunk, spacing, identity = 500, 90, "user-0001-abcd"
    calls = [(ww.generate((k + 1) * spacing), (k + 1) * spacing) for k in range(chunk)]

    def fresh_service() -> tuple[watchword.Verify, str]:
        service = watchword.Verify("Acme", challenge_quota_hour=500, challenge_quota_day=1000)
        factor = service.create_factor(identity, "phone", secret=SECRET, now=0)
        assert service.verify_factor(identity, factor.sid, ww.generate(0), now=0).approved
        return service, factor.sid

    def create_challenge_ns(loops: int) -> float:
        """The mean time of a create_challenge call, `loops` calls over fresh services."""
        timed, done = 0, 0
        while done < loops:
            service, sid = fresh_service()
            create, batch = service.create_challenge, calls[: min(chunk, loops - done)]
            start = time.perf_counter_ns()
            for code, now in batch:
                create(identity, sid, auth_payload=code, now=now)
            timed += time.perf_counter_ns() - start
            done += len(batch)
        return timed / loops

    def verify_miss_ns(loops: int) -> float:
        """The mean time of a Totp.verify miss, called in a loop as create_challenge is."""
        verify = ww.verify
        start = time.perf_counter_ns()
        for _ in range(loops):
            verify(wrong, T, 1)
        return (time.perf_counter_ns() - start) / loops

    service, sid = fresh_service()
    assert all(service.create_challenge(identity, sid, auth_payload=c, now=t).approved for c, t in calls[:3])
    del service
    # Peers are slower; fewer loops keep the run short without changing the per-call figure.
    peer_loops = max(loops // 10, 100)
    cases: list[tuple[str, str, Callable[[], float]]] = [
        ("generate", "watchword Totp.generate(t)", lambda: per_call_ns(lambda: ww.generate(T), loops)),
        ("generate", "pyotp TOTP.at(t)", lambda: per_call_ns(lambda: peer.at(T), peer_loops)),
        ("generate", "cryptography TOTP.generate(t)", lambda: per_call_ns(lambda: crypto.generate(T), peer_loops)),
        ("generate", "watchword Totp.generate() (clock)", lambda: per_call_ns(ww.generate, loops)),
        ("verify", "watchword Totp.verify(skew=1)", lambda: per_call_ns(lambda: ww.verify(wrong, T, 1), loops)),
        ("verify", "pyotp TOTP.verify(valid_window=1)",
         lambda: per_call_ns(lambda: peer.verify(wrong, for_time=T, valid_window=1), peer_loops)),
        ("service", "watchword Totp.verify(skew=1) in a loop", lambda: verify_miss_ns(loops)),
        ("service", "watchword Verify.create_challenge(code)", lambda: create_challenge_ns(loops)),
    ]
    # Every repetition times every case back to back, so a busy machine slows all of them
    # alike; the ratios are taken per repetition, then the median over repetitions.
    samples: dict[str, list[float]] = {name: [] for _, name, _ in cases}
    ratio_samples: dict[str, list[float]] = {"gen_pyotp": [], "gen_crypto": [], "verify_pyotp": [], "service": []}
    for _ in range(repeats):
        t = {name: timer() for _, name, timer in cases}
        for name, ns in t.items():
            samples[name].append(ns)
        gen = t["watchword Totp.generate(t)"]
        ratio_samples["gen_pyotp"].append(t["pyotp TOTP.at(t)"] / gen)
        ratio_samples["gen_crypto"].append(t["cryptography TOTP.generate(t)"] / gen)
        ratio_samples["verify_pyotp"].append(t["pyotp TOTP.verify(valid_window=1)"] / t["watchword Totp.verify(skew=1)"])
        ratio_samples["service"].append(t["watchword Verify.create_challenge(code)"] / t["watchword Totp.verify(skew=1) in a loop"])

    peers = f"pyotp {version('pyotp')}, cryptography {version('cryptography')}"
    print(f"Python {sys.version.split()[0]}, watchword {watchword.__version__}, {peers}")
    print(f"SHA-1, 6 digits, 30 s; median of {repeats} repetitions; verify with a wrong code\n")
    print(f"{'operation':<9} {'implementation':<36} {'ns/call':>10}")
    for op, name, _ in cases:
        print(f"{op:<9} {name:<36} {statistics.median(samples[name]):>10.0f}")
    print()
    # For bench/run.py: one JSON line per implementation and operation.
    if os.environ.get("BENCH_JSON"):
        labels = {
            "watchword Totp.generate(t)": "watchword",
            "pyotp TOTP.at(t)": f"pyotp {version('pyotp')}",
            "cryptography TOTP.generate(t)": f"cryptography {version('cryptography')}",
            "watchword Totp.verify(skew=1)": "watchword",
            "pyotp TOTP.verify(valid_window=1)": f"pyotp {version('pyotp')}",
        }
        with open(os.environ["BENCH_JSON"], "a") as out:
            for op, name, _ in cases:
                if name in labels:
                    line = {"language": "Python", "implementation": labels[name], "operation": op,
                            "ns": statistics.median(samples[name])}
                    out.write(json.dumps(line) + "\n")
    rows = [
        ("Totp.generate vs pyotp", "gen_pyotp", 20.0),
        ("Totp.generate vs cryptography", "gen_crypto", 5.0),
        ("Totp.verify vs pyotp", "verify_pyotp", 40.0),
    ]
    for label, key, target in rows:
        ratio = statistics.median(ratio_samples[key])
        verdict = "meets" if ratio >= target else "BELOW"
        print(f"{label:<30} {ratio:6.1f}x faster  (target {target:.0f}x: {verdict})")
    cost = statistics.median(ratio_samples["service"])
    verdict = "meets" if cost <= 3.0 else "ABOVE"
    print(f"{'create_challenge vs Totp.verify':<30} {cost:6.2f}x the cost (target at most 3x: {verdict})")
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "a") as out:
            line = {"language": "Python", "implementation": "watchword", "operation": "create_challenge",
                    "ns": statistics.median(samples["watchword Verify.create_challenge(code)"]),
                    "baseline_ns": statistics.median(samples["watchword Totp.verify(skew=1) in a loop"]),
                    "ratio": cost, "target": 3}
            out.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
