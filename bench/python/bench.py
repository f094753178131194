"""watchword against pyotp and cryptography, side by side in one process.

Per call from Python, SHA-1, 6 digits, 30 s period:
  generate: Totp.generate(t) vs pyotp.TOTP.at(t) vs cryptography's TOTP.generate(t)
  verify:   Totp.verify(wrong code, t, skew=1) vs pyotp.TOTP.verify(wrong code, t, valid_window=1)

Each figure is the median of several repetitions of a timed loop (time.perf_counter_ns).
Run: make bench-python (release build), or python bench/python/bench.py in the .venv.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from importlib.metadata import version
from typing import Callable

import pyotp
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP as CryptoTOTP

import watchword

SECRET = b"12345678901234567890"
T = 1_700_000_000


def per_call_ns(fn: Callable[[], object], loops: int, repeats: int) -> float:
    """The median over `repeats` of the mean time of one call in a loop of `loops` calls."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter_ns() - start) / loops)
    return statistics.median(samples)


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
    # Peers are slower; fewer loops keep the run short without changing the per-call figure.
    peer_loops = max(loops // 10, 100)
    rows = [
        ("generate", "watchword Totp.generate", per_call_ns(lambda: ww.generate(T), loops, repeats)),
        ("generate", "pyotp TOTP.at", per_call_ns(lambda: peer.at(T), peer_loops, repeats)),
        ("generate", "cryptography TOTP.generate", per_call_ns(lambda: crypto.generate(T), peer_loops, repeats)),
        ("generate", "watchword Totp.generate() (clock)", per_call_ns(ww.generate, loops, repeats)),
        ("verify", "watchword Totp.verify skew=1", per_call_ns(lambda: ww.verify(wrong, T, 1), loops, repeats)),
        (
            "verify",
            "pyotp TOTP.verify valid_window=1",
            per_call_ns(lambda: peer.verify(wrong, for_time=T, valid_window=1), peer_loops, repeats),
        ),
    ]
    times = {name: ns for _, name, ns in rows}
    peers = f"pyotp {version('pyotp')}, cryptography {version('cryptography')}"
    print(f"Python {sys.version.split()[0]}, watchword {watchword.__version__}, {peers}")
    print(f"median of {repeats} repetitions; SHA-1, 6 digits, wrong code for verify\n")
    print(f"{'operation':<9} {'implementation':<36} {'ns/call':>10}")
    for op, name, ns in rows:
        print(f"{op:<9} {name:<36} {ns:>10.0f}")

    gen = times["watchword Totp.generate"]
    ratios = [
        ("generate vs pyotp", times["pyotp TOTP.at"] / gen, 20.0),
        ("generate vs cryptography", times["cryptography TOTP.generate"] / gen, 5.0),
        ("verify vs pyotp", times["pyotp TOTP.verify valid_window=1"] / times["watchword Totp.verify skew=1"], 40.0),
    ]
    print()
    for label, ratio, target in ratios:
        verdict = "meets" if ratio >= target else "BELOW"
        print(f"{label:<26} {ratio:6.1f}x faster  (target {target:.0f}x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
