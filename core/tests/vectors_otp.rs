//! Runs `tests/vectors/rfc4226.json` and `tests/vectors/rfc6238.json`.

mod common;

use common::*;
use hmac::{Hmac, Mac};
use serde_json::Value;
use watchword_core::{Algorithm, Check, Hotp, Match, Totp};

fn hotp(case: &Value) -> Hotp {
    Hotp::new(&secret(case), algorithm(case), num_field(case, "digits") as u32)
        .unwrap_or_else(|e| panic!("{}: {e}", name(case)))
}

fn totp(case: &Value) -> Totp {
    Totp::new(&secret(case), algorithm(case), num_field(case, "digits") as u32, num_field(case, "period"))
        .unwrap_or_else(|e| panic!("{}: {e}", name(case)))
        .with_t0(u64_field(case, "t0"))
}

fn full_hmac(algorithm: Algorithm, key: &[u8], counter: u64) -> Vec<u8> {
    let msg = counter.to_be_bytes();
    match algorithm {
        Algorithm::Sha1 => {
            Hmac::<sha1::Sha1>::new_from_slice(key).unwrap().chain_update(msg).finalize().into_bytes().to_vec()
        }
        Algorithm::Sha256 => {
            Hmac::<sha2::Sha256>::new_from_slice(key).unwrap().chain_update(msg).finalize().into_bytes().to_vec()
        }
        Algorithm::Sha512 => {
            Hmac::<sha2::Sha512>::new_from_slice(key).unwrap().chain_update(msg).finalize().into_bytes().to_vec()
        }
    }
}

fn expected_match(case: &Value) -> Option<Match> {
    match &case["match"] {
        Value::Null => None,
        m => Some(Match {
            step: u64_field(m, "step"),
            offset: m["offset"].as_i64().unwrap_or_else(|| panic!("{}: offset", name(case))),
        }),
    }
}

#[test]
fn rfc4226_generate() {
    let file = vectors("rfc4226.json");
    let cases = section(&file, "generate");
    assert!(cases.len() >= 10);
    for (i, case) in cases.iter().enumerate() {
        let counter = u64_field(case, "counter");
        let code = hotp(case).generate(counter);
        assert_eq!(code.as_str(), str_field(case, "code"), "{}", name(case));
        assert_eq!(code.len() as u64, num_field(case, "digits"), "{}", name(case));
        // The intermediate values, against the independent hmac crate: this pins the vector
        // file itself, so a typo in it cannot go unnoticed.
        let mac = full_hmac(algorithm(case), &secret(case), counter);
        assert_eq!(to_hex(&mac), str_field(case, "hmac_hex"), "{}", name(case));
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let p = u32::from_be_bytes(mac[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
        assert_eq!(u64::from(p), num_field(case, "truncated"), "{}", name(case));
        if i < 10 {
            assert_eq!(counter, i as u64, "the first ten cases are RFC 4226 Appendix D in order");
            assert_eq!(str_field(case, "secret_base32"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        }
    }
}

#[test]
fn rfc4226_verify() {
    let file = vectors("rfc4226.json");
    for case in section(&file, "verify") {
        let got = hotp(case)
            .verify(str_field(case, "code"), u64_field(case, "counter"), num_field(case, "look_ahead"))
            .unwrap_or_else(|e| panic!("{}: {e}", name(case)));
        assert_eq!(got, opt_u64_field(case, "match"), "{}", name(case));
    }
}

#[test]
fn rfc4226_invalid() {
    let file = vectors("rfc4226.json");
    for case in section(&file, "invalid") {
        let key = hex(str_field(case, "secret_hex"));
        let made = Hotp::new(&key, algorithm(case), num_field(case, "digits") as u32);
        let error = match str_field(case, "operation") {
            "new" => made.err().unwrap_or_else(|| panic!("{}: setting up the key must fail", name(case))),
            "verify" => made
                .unwrap_or_else(|e| panic!("{}: {e}", name(case)))
                .verify(str_field(case, "code"), u64_field(case, "counter"), num_field(case, "look_ahead"))
                .expect_err(name(case)),
            other => panic!("{}: unknown operation {other}", name(case)),
        };
        assert_eq!(detail(case, &error), str_field(case, "error"), "{}", name(case));
    }
}

#[test]
fn rfc6238_generate() {
    let file = vectors("rfc6238.json");
    let cases = section(&file, "generate");
    let appendix_b = cases.iter().filter(|c| name(c).starts_with("RFC 6238 Appendix B")).count();
    assert_eq!(appendix_b, 18, "all RFC 6238 Appendix B rows for the three algorithms");
    for case in cases {
        let totp = totp(case);
        let time = u64_field(case, "time");
        assert_eq!(totp.step(time).unwrap(), u64_field(case, "step"), "{}", name(case));
        let code = totp.generate(time).unwrap_or_else(|e| panic!("{}: {e}", name(case)));
        assert_eq!(code.as_str(), str_field(case, "code"), "{}", name(case));
        assert_eq!(totp.generate_step(u64_field(case, "step")), code, "{}", name(case));
    }
}

#[test]
fn rfc6238_verify() {
    let file = vectors("rfc6238.json");
    for case in section(&file, "verify") {
        let got = totp(case)
            .verify(str_field(case, "code"), u64_field(case, "time"), num_field(case, "skew") as u32)
            .unwrap_or_else(|e| panic!("{}: {e}", name(case)));
        assert_eq!(got, expected_match(case), "{}", name(case));
    }
}

#[test]
fn rfc6238_check() {
    let file = vectors("rfc6238.json");
    for case in section(&file, "check") {
        let got = totp(case)
            .check(
                str_field(case, "code"),
                u64_field(case, "time"),
                num_field(case, "skew") as u32,
                opt_u64_field(case, "last_used_step"),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", name(case)));
        let m = expected_match(case);
        let expected = match (str_field(case, "result"), m) {
            ("approved", Some(m)) => Check::Accepted(m),
            ("replayed", Some(m)) => Check::Replayed(m),
            ("outside_window", Some(m)) => Check::OutsideWindow(m),
            ("invalid_code", None) => Check::Rejected,
            (result, m) => panic!("{}: malformed case {result} {m:?}", name(case)),
        };
        assert_eq!(got, expected, "{}", name(case));
    }
}

#[test]
fn rfc6238_invalid() {
    let file = vectors("rfc6238.json");
    for case in section(&file, "invalid") {
        let key = hex(str_field(case, "secret_hex"));
        let made = Totp::new(&key, algorithm(case), num_field(case, "digits") as u32, num_field(case, "period"));
        let operation = str_field(case, "operation");
        let error = if operation == "new" {
            made.err().unwrap_or_else(|| panic!("{}: setting up the key must fail", name(case)))
        } else {
            let totp = made.unwrap_or_else(|e| panic!("{}: {e}", name(case))).with_t0(u64_field(case, "t0"));
            let time = u64_field(case, "time");
            match operation {
                "generate" => totp.generate(time).map(|_| ()),
                "verify" => totp.verify(str_field(case, "code"), time, num_field(case, "skew") as u32).map(|_| ()),
                "check" => totp
                    .check(
                        str_field(case, "code"),
                        time,
                        num_field(case, "skew") as u32,
                        opt_u64_field(case, "last_used_step"),
                    )
                    .map(|_| ()),
                other => panic!("{}: unknown operation {other}", name(case)),
            }
            .expect_err(name(case))
        };
        assert_eq!(detail(case, &error), str_field(case, "error"), "{}", name(case));
    }
}
