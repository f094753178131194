//! Edge inputs: extreme times, times before t0, malformed codes, out-of-range settings and
//! secrets that must never print.

use watchword_core::{Algorithm, Check, Error, ErrorKind, Hotp, Invalid, KeyUri, Secret, Totp, MAX_SKEW};

const KEY: &[u8] = b"12345678901234567890";
const EDGE_TIMES: [u64; 9] = [0, 1, 29, 59, 1 << 31, 1 << 32, 20_000_000_000, u64::MAX - 1, u64::MAX];

#[test]
fn edge_times_never_panic_and_verify_their_own_code() {
    for algorithm in Algorithm::ALL {
        for digits in 3..=10 {
            for period in [1, 30, 86_400] {
                let totp = Totp::new(&KEY[..(digits as usize * 2)], algorithm, digits, period).unwrap();
                for time in EDGE_TIMES {
                    let code = totp.generate(time).unwrap();
                    assert_eq!(code.len(), digits as usize);
                    let step = totp.step(time).unwrap();
                    assert_eq!(step, time / period);
                    for skew in [0, 1, MAX_SKEW] {
                        // With few digits another step of the window may carry the same code;
                        // the current step still wins (it comes first).
                        let m = totp.verify(code.as_str(), time, skew).unwrap().expect("its own code");
                        assert_eq!((m.step, m.offset), (step, 0), "{algorithm} {digits} {period} {time}");
                        assert!(matches!(
                            totp.check(code.as_str(), time, skew, None).unwrap(),
                            Check::Accepted(m) if m.step == step
                        ));
                        assert!(matches!(
                            totp.check(code.as_str(), time, skew, Some(u64::MAX)).unwrap(),
                            Check::Replayed(_)
                        ));
                        totp.check("000", time, skew, Some(0)).unwrap();
                    }
                }
            }
        }
    }
}

#[test]
fn windows_stop_at_the_ends_of_the_step_range() {
    let totp = Totp::new(KEY, Algorithm::Sha1, 8, 1).unwrap();
    // At step u64::MAX there is no future step; at step 0 there is no past one.
    let last = totp.generate(u64::MAX).unwrap();
    assert_eq!(totp.verify(last.as_str(), u64::MAX, MAX_SKEW).unwrap().map(|m| m.offset), Some(0));
    let previous = totp.generate_step(u64::MAX - 1);
    assert_eq!(totp.verify(previous.as_str(), u64::MAX, 1).unwrap().map(|m| m.offset), Some(-1));
    let first = totp.generate(0).unwrap();
    assert_eq!(totp.verify(first.as_str(), 0, MAX_SKEW).unwrap().map(|m| m.step), Some(0));
    let next = totp.generate_step(1);
    assert_eq!(totp.verify(next.as_str(), 0, 1).unwrap().map(|m| m.offset), Some(1));
    // Outside-window probing at the ends does not wrap around either.
    assert!(
        matches!(totp.check(previous.as_str(), u64::MAX, 0, None).unwrap(), Check::OutsideWindow(m) if m.offset == -1)
    );
    assert_eq!(totp.check(totp.generate_step(0).as_str(), u64::MAX, 2, None).unwrap(), Check::Rejected);

    let hotp = Hotp::new(KEY, Algorithm::Sha1, 6).unwrap();
    let top = hotp.generate(u64::MAX);
    assert_eq!(hotp.verify(top.as_str(), u64::MAX - 3, 1000).unwrap(), Some(u64::MAX));
    assert_eq!(hotp.verify(top.as_str(), u64::MAX, 1000).unwrap(), Some(u64::MAX));
}

#[test]
fn times_before_t0_are_a_clear_error() {
    let totp = Totp::new(KEY, Algorithm::Sha1, 6, 30).unwrap().with_t0(1_000);
    let expected = Error::InvalidParameter(Invalid::TimeBeforeT0 { time: 999, t0: 1_000 });
    assert_eq!(totp.step(999).unwrap_err(), expected);
    assert_eq!(totp.generate(999).unwrap_err(), expected);
    assert_eq!(totp.verify("123456", 999, 1).unwrap_err(), expected);
    assert_eq!(totp.check("123456", 999, 1, None).unwrap_err(), expected);
    assert_eq!(expected.kind(), ErrorKind::InvalidParameter);
    assert_eq!(expected.detail(), Some("time_before_t0"));
    let message = expected.to_string();
    assert!(message.contains("999") && message.contains("t0 = 1000"), "{message}");
    // At t0 itself the step is 0.
    assert_eq!(totp.step(1_000).unwrap(), 0);
    assert_eq!(totp.generate(1_000).unwrap(), totp.generate_step(0));
    let far = Totp::new(KEY, Algorithm::Sha1, 6, 30).unwrap().with_t0(u64::MAX);
    assert!(far.generate(0).is_err());
    assert_eq!(far.step(u64::MAX).unwrap(), 0);
}

#[test]
fn malformed_codes_are_plain_mismatches() {
    let totp = Totp::new(KEY, Algorithm::Sha1, 6, 30).unwrap();
    let hotp = Hotp::new(KEY, Algorithm::Sha1, 6).unwrap();
    let time = 1_111_111_109;
    assert_eq!(totp.generate(time).unwrap().as_str(), "081804");
    let long = "0".repeat(10_000);
    let malformed = [
        "",
        "81804",
        "0081804",
        "07081804",
        "081 804",
        " 081804",
        "081804 ",
        "081804\n",
        "08180a",
        "+81804",
        "-81804",
        "０８１８０４",
        "٠٨١٨٠٤",
        "08180\u{0}",
        "0818\u{0301}04",
        "081804\u{200b}",
        "ｘｘｘ",
        long.as_str(),
    ];
    for code in malformed {
        assert_eq!(totp.verify(code, time, MAX_SKEW).unwrap(), None, "{code:?}");
        assert_eq!(totp.check(code, time, MAX_SKEW, None).unwrap(), Check::Rejected, "{code:?}");
        assert_eq!(hotp.verify(code, 0, 1000).unwrap(), None, "{code:?}");
    }
    // Leading zeros are significant, and the well-formed code does match.
    assert!(totp.verify("081804", time, 0).unwrap().is_some());
    // An all-zero code is well formed: it matches where it is the code (SPEC §1).
    let zeros = 1_720_006_830;
    assert_eq!(totp.generate(zeros).unwrap().as_str(), "000000");
    assert_eq!(totp.verify("000000", zeros, 0).unwrap().map(|m| m.offset), Some(0));
    assert_eq!(totp.verify("000000", time, 1).unwrap(), None);
}

#[test]
fn out_of_range_settings_are_errors() {
    let e = |r: Result<Totp, Error>| r.expect_err("must fail").detail().unwrap();
    assert_eq!(e(Totp::new(KEY, Algorithm::Sha1, 2, 30)), "digits");
    assert_eq!(e(Totp::new(KEY, Algorithm::Sha1, 11, 30)), "digits");
    assert_eq!(e(Totp::new(KEY, Algorithm::Sha1, 6, 0)), "period");
    assert_eq!(e(Totp::new(KEY, Algorithm::Sha1, 6, 86_401)), "period");
    assert_eq!(e(Totp::new(&[], Algorithm::Sha1, 6, 30)), "secret_length");
    assert_eq!(e(Totp::new(&[0; 129], Algorithm::Sha1, 6, 30)), "secret_length");
    assert!(Totp::new(&[0; 1], Algorithm::Sha1, 6, 30).is_ok());
    assert!(Totp::new(&[0; 128], Algorithm::Sha512, 10, 86_400).is_ok());
    let totp = Totp::new(KEY, Algorithm::Sha1, 6, 30).unwrap();
    assert_eq!(totp.verify("123456", 59, MAX_SKEW + 1).unwrap_err().detail(), Some("skew"));
    assert_eq!(totp.check("123456", 59, MAX_SKEW + 1, None).unwrap_err().detail(), Some("skew"));
    let hotp = Hotp::new(KEY, Algorithm::Sha1, 6).unwrap();
    assert_eq!(hotp.verify("123456", 0, 1001).unwrap_err().detail(), Some("look_ahead"));
    assert_eq!(Hotp::new(KEY, Algorithm::Sha1, 0).err().unwrap().detail(), Some("digits"));
}

#[test]
fn secrets_never_print() {
    let bytes: [u8; 20] = *b"\xde\xad\xbe\xef\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10";
    let secret = Secret::from_bytes(&bytes).unwrap();
    let base32 = secret.to_base32();
    let forbidden = [
        base32.clone(),
        base32.to_ascii_lowercase(),
        base32[..8].to_string(),
        "dead".to_string(),
        "DEAD".to_string(),
        "222".to_string(),
        "173".to_string(),
        "0xde".to_string(),
    ];
    for text in [format!("{secret:?}"), format!("{secret:#?}")] {
        assert_eq!(text.replace(['\n', ' '], ""), "Secret(20bytes)");
        for f in &forbidden {
            assert!(!text.contains(f.as_str()), "{text} shows {f}");
        }
    }
    // A key URI's Debug (derived) prints the secret through Secret's Debug.
    let uri = KeyUri::totp(Some("Example"), "alice", secret.clone());
    let text = format!("{uri:?}");
    assert!(text.contains("Secret(20 bytes)"), "{text}");
    for f in &forbidden[..3] {
        assert!(!text.contains(f.as_str()), "{text} shows {f}");
    }
    // Decoding errors name one bad character, never the rest of the secret.
    let message = Secret::from_base32(&format!("{base32}1")).unwrap_err().to_string();
    assert!(!message.contains(&base32[..8]), "{message}");
    // Codes print as digits, but their Debug does not (they are secrets for their step).
    let code = Totp::new(&bytes, Algorithm::Sha1, 6, 30).unwrap().generate(59).unwrap();
    assert!(!format!("{code:?}").contains(code.as_str()));
}

#[test]
fn secrets_compare_by_value() {
    let a = Secret::from_bytes(KEY).unwrap();
    assert_eq!(a, Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap());
    assert_ne!(a, Secret::from_bytes(&KEY[..19]).unwrap());
    assert_ne!(a, Secret::from_bytes(b"12345678901234567891").unwrap());
}
