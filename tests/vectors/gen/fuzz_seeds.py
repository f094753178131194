"""Writes the fuzz targets' seed corpora (core/fuzz/seeds/<target>/) from the shared vectors,
so every fuzz run starts from real inputs: Base32 secrets, key URIs, stored records, service
arguments, and operation sequences.

    python3 tests/vectors/gen/fuzz_seeds.py
"""

import hashlib
import json
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
VECTORS = os.path.join(ROOT, "tests", "vectors")
SEEDS = os.path.join(ROOT, "core", "fuzz", "seeds")


def write(target, data):
    folder = os.path.join(SEEDS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def strings(value):
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)


def main():
    shutil.rmtree(SEEDS, ignore_errors=True)
    uris = json.load(open(os.path.join(VECTORS, "uris.json")))
    for case in uris["parse"]:
        write("key_uri", case["uri"])
        secret = case.get("expect", {}).get("secret_base32") if isinstance(case.get("expect"), dict) else None
        if secret:
            write("base32", secret)
            write("base32", " ".join(secret[i : i + 4].lower() for i in range(0, len(secret), 4)))
    scenarios = os.path.join(VECTORS, "scenarios")
    for name in sorted(os.listdir(scenarios)):
        if not name.endswith(".json"):
            continue
        scenario = json.load(open(os.path.join(scenarios, name)))
        write("records", json.dumps(scenario["settings"]))
        for i, step in enumerate(scenario["steps"]):
            for text in strings(step.get("args", {})):
                if text.startswith("{"):
                    write("records", text)
            # service_call takes (u8 operation, u64 now, &str arguments) as libFuzzer's
            # arbitrary input: the bytes below are that layout. The first steps of each
            # scenario are enough to show it every operation's arguments.
            if i < 8:
                args = json.dumps(step.get("args", {}))
                write("service_call", bytes([i % 22]) + struct.pack("<Q", step["now"]) + args.encode())
    # Operation sequences for the stateful target: two bytes an operation.
    for seed in range(8):
        data = bytes((seed * 37 + i * 11) % 256 for i in range(64))
        write("sequence", data)
    write("sequence", bytes([1, 3, 4, 0, 0, 200, 1, 3, 5, 0, 6, 0, 7, 0, 3, 3]))
    # Inputs a target once failed on start every later run too.
    regressions = os.path.join(ROOT, "core", "fuzz", "regressions")
    for target in sorted(os.listdir(regressions)) if os.path.isdir(regressions) else []:
        for name in sorted(os.listdir(os.path.join(regressions, target))):
            with open(os.path.join(regressions, target, name), "rb") as f:
                write(target, f.read())


if __name__ == "__main__":
    main()
