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


# What a light-background drawing has where a dark-background one has a character: every module
# flips, except the half below the last row, which is never drawn.
FLIPPED = {"█": " ", "▀": "▄", "▄": "▀", " ": "█"}
FLIPPED_LAST_ROW = {"▀": " ", " ": "▀"}


def test_light_background_flips_every_module() -> None:
    factor = watchword.Verify("Acme").create_factor(IDENTITY, "phone", now=NOW)
    assert factor.binding is not None
    uri = factor.binding.uri
    dark = factor.binding.qr_terminal()
    assert dark == factor.binding.qr_terminal("dark") == watchword.qr_terminal(uri, "dark")
    light = factor.binding.qr_terminal(background="light")
    assert light == watchword.qr_terminal(uri, "light") == factor.binding.key_uri().qr_terminal("light")
    dark_rows, light_rows = dark.splitlines(), light.splitlines()
    assert len(dark_rows) == len(light_rows)
    for i, (d, l) in enumerate(zip(dark_rows, light_rows)):
        table = FLIPPED_LAST_ROW if i == len(dark_rows) - 1 else FLIPPED
        assert l == "".join(table[c] for c in d), f"row {i}"


def test_qr_errors() -> None:
    with pytest.raises(watchword.InvalidParameter):
        watchword.qr_svg("x" * 5000)
    with pytest.raises(TypeError):
        watchword.qr_terminal(b"otpauth://")  # type: ignore[arg-type]
    with pytest.raises(watchword.InvalidParameter, match="background"):
        watchword.qr_terminal("otpauth://totp/a?secret=MZXW6YTB", "white")
    with pytest.raises(TypeError):
        watchword.qr_terminal("otpauth://totp/a?secret=MZXW6YTB", 1)  # type: ignore[arg-type]
