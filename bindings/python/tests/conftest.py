"""Shared helpers: the repository's test vectors (tests/vectors, read by every surface)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
VECTORS = ROOT / "tests" / "vectors"


def load(name: str) -> Any:
    """A vector file of tests/vectors as parsed JSON."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def case_id(case: Any) -> str:
    return str(case["name"])
