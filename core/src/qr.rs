//! QR codes of key URIs, so an authenticator app can scan a new factor's binding: SVG for web
//! pages, and Unicode half blocks for terminals.

use alloc::string::String;
use alloc::vec::Vec;

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

use crate::error::{Error, Invalid};

/// Modules of light margin around the code, as the QR standard asks.
const QUIET_ZONE: usize = 4;

fn encode(text: &str) -> Result<QrCode, Error> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| {
        Error::InvalidParameter(Invalid::Parameter { name: "uri", expected: "text short enough for a QR code" })
    })
}

/// The QR code of `text` as an SVG document (black on white, with its quiet zone).
///
/// ```
/// let svg = watchword_core::qr::svg("otpauth://totp/Acme:ada?secret=JBSWY3DPEHPK3PXP&issuer=Acme").unwrap();
/// assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
/// ```
pub fn svg(text: &str) -> Result<String, Error> {
    Ok(encode(text)?
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

/// The module matrix of `text`'s QR code with its quiet zone: `true` is a dark module.
pub fn modules(text: &str) -> Result<(usize, Vec<bool>), Error> {
    let code = encode(text)?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let mut out = alloc::vec![false; size * size];
    for y in 0..width {
        for x in 0..width {
            out[(y + QUIET_ZONE) * size + x + QUIET_ZONE] = colors[y * width + x] == Color::Dark;
        }
    }
    Ok((size, out))
}

/// The QR code of `text` drawn with Unicode half blocks (`█ ▀ ▄`), two modules per character
/// cell, for a terminal with a dark background: the light modules are drawn, the dark ones
/// left as background. Lines end with `\n`.
///
/// ```
/// let text = watchword_core::qr::terminal("otpauth://totp/Acme:ada?secret=JBSWY3DPEHPK3PXP").unwrap();
/// assert!(text.lines().all(|l| l.chars().all(|c| " █▀▄".contains(c))));
/// ```
pub fn terminal(text: &str) -> Result<String, Error> {
    let (size, dark) = modules(text)?;
    let light = |x: usize, y: usize| y >= size || !dark[y * size + x];
    let mut out = String::with_capacity((size + 1) * size.div_ceil(2) * 3);
    for y in (0..size).step_by(2) {
        for x in 0..size {
            out.push(match (light(x, y), y + 1 < size && light(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}
