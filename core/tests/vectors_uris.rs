//! Runs `tests/vectors/uris.json`: parse, build, and the round trip of every built URI.

mod common;

use common::*;
use serde_json::Value;
use watchword_core::{KeyUri, OtpKind, Secret};

/// A `KeyUri` from a key object of the vector file.
fn key(case: &Value, fields: &Value) -> KeyUri {
    let kind = match str_field(fields, "kind") {
        "totp" => OtpKind::Totp,
        "hotp" => OtpKind::Hotp,
        other => panic!("{}: kind {other}", name(case)),
    };
    let extra = fields["extra"]
        .as_array()
        .expect("extra")
        .iter()
        .map(|pair| (pair[0].as_str().unwrap().to_string(), pair[1].as_str().unwrap().to_string()))
        .collect();
    KeyUri {
        kind,
        issuer: fields["issuer"].as_str().map(String::from),
        account: str_field(fields, "account").to_string(),
        secret: Secret::from_base32(str_field(fields, "secret_base32"))
            .unwrap_or_else(|e| panic!("{}: {e}", name(case))),
        algorithm: algorithm(fields),
        digits: num_field(fields, "digits") as u32,
        period: num_field(fields, "period"),
        counter: opt_u64_field(fields, "counter"),
        extra,
    }
}

#[test]
fn parse() {
    let file = vectors("uris.json");
    let cases = section(&file, "parse");
    for case in cases {
        let result = KeyUri::parse(str_field(case, "uri"));
        if let Some(error) = case["error"].as_str() {
            let e = result.expect_err(name(case));
            assert_eq!(detail(case, &e), error, "{}: {e}", name(case));
            continue;
        }
        let got = result.unwrap_or_else(|e| panic!("{}: {e}", name(case)));
        let expect = &case["expect"];
        assert_eq!(got, key(case, expect), "{}", name(case));
        // The expected secret is canonical: compare the text too.
        assert_eq!(got.secret.to_base32(), str_field(expect, "secret_base32"), "{}", name(case));
    }
    // Every error a URI can produce is exercised at least once.
    for detail in [
        "uri_scheme",
        "uri_type",
        "uri_label",
        "uri_colon",
        "uri_issuer_mismatch",
        "uri_missing_secret",
        "uri_algorithm",
        "uri_digits",
        "uri_period",
        "uri_counter",
        "uri_encoding",
        "uri_duplicate",
        "base32_character",
        "base32_length",
        "secret_length",
    ] {
        assert!(cases.iter().any(|c| c["error"].as_str() == Some(detail)), "no parse case for {detail}");
    }
}

#[test]
fn build() {
    let file = vectors("uris.json");
    for case in section(&file, "build") {
        let fields = &case["fields"];
        let uri = key(case, fields);
        let result = uri.to_uri();
        if let Some(error) = case["error"].as_str() {
            let e = result.expect_err(name(case));
            assert_eq!(detail(case, &e), error, "{}: {e}", name(case));
            continue;
        }
        let text = result.unwrap_or_else(|e| panic!("{}: {e}", name(case)));
        assert_eq!(text, str_field(case, "uri"), "{}", name(case));
        assert_eq!(KeyUri::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", name(case))), uri, "{}", name(case));
    }
}

#[test]
fn twilio_example_builds_exactly() {
    let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
    let uri = KeyUri::totp(Some("test-issuer"), "John\u{2019}s Account Name", secret);
    assert_eq!(
        uri.to_uri().unwrap(),
        "otpauth://totp/test-issuer:John%E2%80%99s%20Account%20Name?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=test-issuer&algorithm=SHA1&digits=6&period=30"
    );
}
