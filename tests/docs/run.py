#!/usr/bin/env python3
"""Runs the code blocks of a Markdown file (the README) as a reader would.

Every fenced block is run by the runner of its language against the freshly built library and
packages, or skipped with the reason its fence gives:

    ```python / ```js          run as a script (Node: an ES module that imports 'watchword')
    ```c                       compiled with -std=c99 -Wall -Wextra -Wpedantic -Werror against the
                               installed copy of the library, then run under valgrind (leaks fail)
    ```sh prefix=/usr/local    run with bash in the folder of the last C block (as app.c), with
                               the prefix replaced by the test's own install prefix
    ```rust                    compiled and run by `cargo test -p watchword-core --doc` (core's
                               ReadmeDoctests includes the README); this runner only reports them
    ```text                    not code

Markers after the language: `fragment` (lines that show one setting, not a program),
`no-run` (commands that build or test the whole repository: `make test` runs them itself) and
`dist` (commands that install the artifacts of `make dist`: `make dist-test` does that).
Rust blocks use rustdoc's own `ignore`. A block of any other kind, unmarked, is an error, so
a new example cannot be left out silently.

Usage: run.py README.md --out DIR --prefix DIR --python PY --node-package DIR [--valgrind CMD]
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

FENCE = re.compile(r"^```(\S*)(.*)$")
SKIP_REASONS = {
    "fragment": "a fragment: lines that show one setting, not a whole program",
    "no-run": "marked no-run: it builds or tests the whole repository (make test runs that itself)",
    "dist": "marked dist: it installs the artifacts of make dist, which make dist-test installs and uses from a clean place",
}
C_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
TIMEOUT = 120


def blocks(path):
    """(line number, language, markers, text) of every fenced block."""
    found, inside = [], None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if inside is None:
                m = FENCE.match(line)
                if m:
                    inside = (number, m.group(1), m.group(2).split(), [])
            elif line.startswith("```"):
                found.append((inside[0], inside[1], inside[2], "\n".join(inside[3]) + "\n"))
                inside = None
            else:
                inside[3].append(line)
    if inside is not None:
        sys.exit(f"{path}:{inside[0]}: the block is never closed")
    return found


def run(cmd, cwd, env=None, shell=False):
    done = subprocess.run(cmd, cwd=cwd, env=env, shell=shell, timeout=TIMEOUT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          executable="/bin/bash" if shell else None)
    if done.returncode != 0:
        shown = cmd if isinstance(cmd, str) else " ".join(shlex.quote(c) for c in cmd)
        tail = "\n".join(done.stdout.splitlines()[-40:])
        raise RuntimeError(f"`{shown}` exited with {done.returncode}; the end of its output:\n{tail}")
    return done.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("markdown")
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefix", required=True, help="where `make install` put the C library")
    ap.add_argument("--python", required=True)
    ap.add_argument("--node-package", required=True)
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--valgrind", default="valgrind --quiet --leak-check=full --error-exitcode=1 "
                    "--errors-for-leak-kinds=definite,indirect,possible")
    args = ap.parse_args()
    if os.sep in args.python:
        args.python = os.path.abspath(args.python)

    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    node_modules = os.path.join(args.out, "node_modules")
    os.makedirs(node_modules)
    os.symlink(os.path.abspath(args.node_package), os.path.join(node_modules, "watchword"))
    prefix = os.path.abspath(args.prefix)
    c_dir = None
    counts = {"ran": 0, "skipped": 0}
    failures = []
    started = time.monotonic()

    for line, lang, markers, text in blocks(args.markdown):
        where = f"{os.path.basename(args.markdown)}:{line} ({lang or 'no language'})"
        skip = next((SKIP_REASONS[m] for m in markers if m in SKIP_REASONS), None)
        if lang == "text":
            continue
        if skip is not None:
            print(f"skip {where}: {skip}")
            counts["skipped"] += 1
            continue
        if lang == "rust":
            print(f"rust {where}: compiled and run by cargo test -p watchword-core --doc")
            continue
        block_dir = os.path.join(args.out, f"line{line}")
        os.makedirs(block_dir)
        try:
            if lang == "python":
                path = os.path.join(block_dir, "example.py")
                with open(path, "w") as f:
                    f.write(text)
                run([args.python, path], cwd=block_dir)
            elif lang == "js":
                # In the output folder, so `import 'watchword'` finds node_modules/watchword.
                path = os.path.join(args.out, f"example{line}.mjs")
                with open(path, "w") as f:
                    f.write(text)
                run(["node", path], cwd=block_dir)
            elif lang == "c":
                with open(os.path.join(block_dir, "app.c"), "w") as f:
                    f.write(text)
                c_dir = block_dir
                run([args.cc, *C_FLAGS, f"-I{prefix}/include", "app.c", f"-L{prefix}/lib",
                     "-lwatchword", f"-Wl,-rpath,{prefix}/lib", "-o", "app"], cwd=block_dir)
                run(shlex.split(args.valgrind) + ["./app"], cwd=block_dir)
            elif lang == "sh" and any(m.startswith("prefix=") for m in markers):
                if c_dir is None:
                    raise RuntimeError("a shell block that builds app.c needs a C block before it")
                stated = next(m for m in markers if m.startswith("prefix="))[len("prefix="):]
                env = dict(os.environ, PKG_CONFIG_PATH=f"{prefix}/lib/pkgconfig")
                run("set -euo pipefail\n" + text.replace(stated, prefix), cwd=c_dir, env=env, shell=True)
            else:
                raise RuntimeError(f"no runner for a '{lang}' block: mark it `fragment` or `no-run`")
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            failures.append(f"{where}: {err}")
            print(f"FAIL {where}")
            continue
        print(f"ok   {where}")
        counts["ran"] += 1

    print(f"docs-test: {counts['ran']} blocks ran, {counts['skipped']} skipped, "
          f"{len(failures)} failed ({time.monotonic() - started:.1f} s)")
    for failure in failures:
        print(f"\n{failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
