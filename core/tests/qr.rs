//! The QR codes decode back to the exact URI, from the module matrix and from the terminal text.
#![cfg(feature = "qr")]

use watchword_core::qr::{self, Background};
use watchword_core::service::{MemoryStore, NewFactor, ServiceConfig, Verify};

/// Decodes a bitmap (`true` = dark) scaled up `scale` times, as a camera would see it.
fn decode(size: usize, dark: impl Fn(usize, usize) -> bool, scale: usize) -> String {
    let mut image =
        rqrr::PreparedImage::prepare_from_bitmap(size * scale, size * scale, |x, y| dark(x / scale, y / scale));
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code is found");
    grids[0].decode().expect("the QR code decodes").1
}

fn uris() -> Vec<String> {
    let verify = Verify::new(ServiceConfig::new("Acme Co").unwrap(), MemoryStore::new());
    let mut uris: Vec<String> = ["Ada’s phone", "a", "laptop ✓ 2"]
        .iter()
        .map(|name| verify.create_factor("user-0001-abcd", NewFactor::new(name), 0).unwrap().binding.uri.clone())
        .collect();
    let sha512 = NewFactor { alg: Some(watchword_core::Algorithm::Sha512), ..NewFactor::new("long secret") };
    uris.push(verify.create_factor("user-0001-abcd", sha512, 0).unwrap().binding.uri.clone());
    uris
}

#[test]
fn module_matrix_decodes_to_the_uri() {
    for uri in uris() {
        let (size, modules) = qr::modules(&uri).unwrap();
        assert_eq!(decode(size, |x, y| modules[y * size + x], 4), uri);
    }
}

/// The module colours a terminal shows for `text` drawn for `background`: `true` is dark. A
/// drawn half takes the terminal's text colour: light on a dark background, dark on a light one.
fn seen(text: &str, background: Background) -> (usize, impl Fn(usize, usize) -> bool) {
    let rows: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let width = rows[0].len();
    assert!(rows.iter().all(|r| r.len() == width));
    assert!(rows.len() * 2 >= width);
    let dark_text = background == Background::Light;
    let seen = move |x: usize, y: usize| {
        let drawn = match rows[y / 2][x] {
            '█' => true,
            '▀' => y % 2 == 0,
            '▄' => y % 2 == 1,
            ' ' => false,
            other => panic!("unexpected character {other:?}"),
        };
        drawn == dark_text
    };
    (width, seen)
}

#[test]
fn terminal_text_decodes_to_the_uri_on_both_backgrounds() {
    for uri in uris() {
        for background in Background::ALL {
            let text = qr::terminal(&uri, background).unwrap();
            let (size, dark) = seen(&text, background);
            assert_eq!(decode(size, dark, 4), uri, "{background:?}");
        }
    }
}

#[test]
fn the_light_drawing_is_the_complement_of_the_dark_one() {
    let uri = &uris()[0];
    let dark = qr::terminal(uri, Background::Dark).unwrap();
    let light = qr::terminal(uri, Background::Light).unwrap();
    let (size, dark_seen) = seen(&dark, Background::Dark);
    let (_, light_seen) = seen(&light, Background::Light);
    for y in 0..size {
        for x in 0..size {
            assert_eq!(dark_seen(x, y), light_seen(x, y), "module ({x}, {y}) looks the same");
        }
    }
    assert_ne!(dark, light);
    assert_eq!(qr::terminal(uri, Background::default()).unwrap(), dark, "dark is the default");
    assert_eq!(Background::parse("light").unwrap(), Background::Light);
    assert_eq!(Background::parse("dark").unwrap(), Background::Dark);
    let err = Background::parse("Light").unwrap_err();
    assert_eq!(err.kind().as_str(), "invalid_parameter");
    assert!(err.to_string().contains("background"), "{err}");
}

#[test]
fn svg_is_a_scalable_document_and_text_too_long_is_an_error() {
    let uri = &uris()[0];
    let svg = qr::svg(uri).unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>") && svg.contains("#000000"));
    let err = qr::svg(&"x".repeat(5000)).unwrap_err();
    assert_eq!(err.kind().as_str(), "invalid_parameter");
}
