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

/// The background of the terminal a QR code is drawn on. The half blocks take the terminal's
/// text colour: on a dark background they draw the light modules, on a light background the
/// dark ones, so a phone camera sees dark modules on a light ground either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Background {
    /// Light text on a dark background (the default).
    #[default]
    Dark,
    /// Dark text on a light background.
    Light,
}

impl Background {
    /// Both backgrounds, in the order of their names' listing.
    pub const ALL: [Background; 2] = [Background::Dark, Background::Light];

    /// The stable number of the background (the C ABI's `WW_QR_*_BACKGROUND`).
    pub const fn to_u32(self) -> u32 {
        match self {
            Background::Dark => 0,
            Background::Light => 1,
        }
    }

    /// The background with the given stable number, if there is one.
    ///
    /// ```
    /// use watchword_core::qr::Background;
    /// assert_eq!(Background::from_u32(Background::Light.to_u32()), Some(Background::Light));
    /// assert_eq!(Background::from_u32(2), None);
    /// ```
    pub const fn from_u32(value: u32) -> Option<Background> {
        match value {
            0 => Some(Background::Dark),
            1 => Some(Background::Light),
            _ => None,
        }
    }

    /// `"dark"` or `"light"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Background::Dark => "dark",
            Background::Light => "light",
        }
    }

    /// The background a name stands for: `"dark"` or `"light"`; anything else is an
    /// `invalid_parameter` error naming `background`.
    ///
    /// ```
    /// use watchword_core::qr::Background;
    /// assert_eq!(Background::parse("light").unwrap(), Background::Light);
    /// assert!(Background::parse("white").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Background, Error> {
        Background::ALL.into_iter().find(|b| b.as_str() == name).ok_or_else(Background::invalid)
    }

    /// The error for a background that is neither dark nor light.
    pub fn invalid() -> Error {
        Error::InvalidParameter(Invalid::Parameter { name: "background", expected: "\"dark\" or \"light\"" })
    }
}

/// The QR code of `text` drawn with Unicode half blocks (`█ ▀ ▄`), two modules per character
/// cell, for a terminal with the given background: on a dark one the light modules (and the
/// quiet zone) are drawn and the dark ones left as background; on a light one the dark modules
/// are drawn. The two drawings are each other's complement, module by module (the half below
/// the last row, the size being odd, is never drawn). Lines end with `\n`.
///
/// ```
/// use watchword_core::qr::{terminal, Background};
/// let uri = "otpauth://totp/Acme:ada?secret=JBSWY3DPEHPK3PXP";
/// let dark = terminal(uri, Background::Dark).unwrap();
/// let light = terminal(uri, Background::Light).unwrap();
/// assert!(dark.lines().all(|l| l.chars().all(|c| " █▀▄".contains(c))));
/// assert_eq!(dark.chars().count(), light.chars().count());
/// assert_ne!(dark, light);
/// ```
pub fn terminal(text: &str, background: Background) -> Result<String, Error> {
    let (size, dark) = modules(text)?;
    // The half below the last row (the size is odd) is never drawn.
    let drawn = |x: usize, y: usize| y < size && dark[y * size + x] == (background == Background::Light);
    let mut out = String::with_capacity((size + 1) * size.div_ceil(2) * 3);
    for y in (0..size).step_by(2) {
        for x in 0..size {
            out.push(match (drawn(x, y), drawn(x, y + 1)) {
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
