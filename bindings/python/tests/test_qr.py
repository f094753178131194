"""QR codes of key URIs (core feature `qr`): SVG and terminal half blocks."""

from __future__ import annotations

import pytest

import watchword
from helpers import IDENTITY, NOW


def test_binding_qr_codes() -> None:
    factor = watchword.Verify("Acme").create_factor(IDENTITY, "phone", now=NOW)
    assert factor.binding is not None
    svg = factor.binding.qr_svg()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")
    assert svg == watchword.qr_svg(factor.binding.uri) == factor.binding.key_uri().qr_svg()
    art = factor.binding.qr_terminal()
    rows = art.splitlines()
    assert len(rows) >= 15 and len({len(r) for r in rows}) == 1, "a square of equal rows"
    assert set(art) <= set("█▀▄ \n") and "▀" in art and "▄" in art
    assert len(rows[0]) in (2 * len(rows), 2 * len(rows) - 1), "two module rows per text row"
    assert art == watchword.qr_terminal(factor.binding.uri)
    other = watchword.Verify("Acme").create_factor(IDENTITY, "phone", now=NOW)
    assert other.binding is not None and other.binding.qr_terminal() != art


def test_qr_errors() -> None:
    with pytest.raises(watchword.InvalidParameter):
        watchword.qr_svg("x" * 5000)
    with pytest.raises(TypeError):
        watchword.qr_terminal(b"otpauth://")  # type: ignore[arg-type]
