//! Property tests: Base32 and key URI round trips, the TOTP verification window, replay and
//! out-of-window results, and the HOTP look-ahead.

use proptest::prelude::*;
use watchword_core::{base32, Algorithm, Check, Error, Hotp, Invalid, KeyUri, OtpKind, Secret, Totp};

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(Algorithm::ALL.to_vec())
}

fn secret_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..=128)
}

/// Text for an issuer or account name: any UTF-8 without ':' that does not start with a space.
fn label_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>().prop_filter("no colon", |c| *c != ':'), 1..24)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .prop_filter("no leading space", |s| !s.starts_with(' '))
}

/// An extra parameter: a name the key URI format does not define, and any value.
fn extra_param() -> impl Strategy<Value = (String, String)> {
    let known = ["secret", "issuer", "algorithm", "digits", "period", "counter"];
    (
        prop_oneof!["[a-zA-Z_]{1,10}", any::<String>()]
            .prop_filter("not a defined parameter", move |n| !known.contains(&n.to_ascii_lowercase().as_str())),
        any::<String>(),
    )
}

fn key_uri() -> impl Strategy<Value = KeyUri> {
    (
        any::<bool>(),
        prop::option::of(label_text()),
        label_text(),
        secret_bytes(),
        algorithm(),
        3u32..=10,
        prop_oneof![Just(30u64), 1u64..=86_400],
        any::<u64>(),
        prop::collection::vec(extra_param(), 0..4),
    )
        .prop_map(|(hotp, issuer, account, secret, algorithm, digits, period, counter, extra)| KeyUri {
            kind: if hotp { OtpKind::Hotp } else { OtpKind::Totp },
            issuer,
            account,
            secret: Secret::from_bytes(&secret).unwrap(),
            algorithm,
            digits,
            // HOTP URIs carry no period: it reads back as the default.
            period: if hotp { 30 } else { period },
            counter: hotp.then_some(counter),
            extra,
        })
}

/// A TOTP key (`Totp` does not print, so the inputs are kept for proptest's failure report).
#[derive(Debug, Clone)]
struct Setup {
    secret: Vec<u8>,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    t0: u64,
    /// A time far enough from both ends of `u64` that every step of a ±16-step window exists.
    t: u64,
}

impl Setup {
    fn totp(&self) -> Totp {
        Totp::new(&self.secret, self.algorithm, self.digits, self.period).unwrap().with_t0(self.t0)
    }
}

fn totp_setup() -> impl Strategy<Value = Setup> {
    (
        secret_bytes(),
        algorithm(),
        6u32..=10,
        prop_oneof![Just(30u64), 1u64..=86_400],
        prop_oneof![Just(0u64), 0u64..=2_000_000_000],
        any::<u64>(),
    )
        .prop_map(|(secret, algorithm, digits, period, t0, t)| {
            let margin = t0 + 17 * period;
            Setup { secret, algorithm, digits, period, t0, t: t.clamp(margin, u64::MAX - margin) }
        })
}

/// Whether the code of step `step` also occurs at another step within `reach` of `current`
/// (with few digits this happens; the window properties below are about distinct codes).
fn collides(totp: &Totp, step: u64, current: u64, reach: u64) -> bool {
    let code = totp.generate_step(step);
    (current - reach..=current + reach).any(|s| s != step && totp.generate_step(s) == code)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn base32_round_trip(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let text = base32::encode(&data);
        prop_assert_eq!(text.len(), base32::encoded_len(data.len()));
        prop_assert!(text.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        prop_assert_eq!(base32::decode(&text).unwrap(), data.clone());
        let mut buf = vec![0u8; base32::encoded_len(data.len())];
        prop_assert_eq!(base32::encode_into(&data, &mut buf).unwrap(), text.as_str());
    }

    #[test]
    fn base32_decode_tolerates_case_spaces_hyphens_and_padding(
        data in prop::collection::vec(any::<u8>(), 1..=128),
        lower in prop::collection::vec(any::<bool>(), 256),
        separators in prop::collection::vec(prop::sample::select(vec!["", "", "", " ", "-", "  ", " - "]), 256),
        pad in any::<bool>(),
    ) {
        let canonical = base32::encode(&data);
        let mut messy = String::new();
        for (i, c) in canonical.chars().enumerate() {
            messy.push_str(separators[i]);
            messy.push(if lower[i] { c.to_ascii_lowercase() } else { c });
        }
        if pad {
            messy.extend(std::iter::repeat_n('=', (8 - canonical.len() % 8) % 8));
        }
        prop_assert_eq!(base32::decode(&messy).unwrap(), data.clone());
        let secret = Secret::from_base32(&messy).unwrap();
        prop_assert_eq!(secret.as_bytes(), &data[..]);
        prop_assert_eq!(secret.to_base32(), canonical);
    }

    #[test]
    fn base32_rejects_other_characters_naming_their_position(
        data in prop::collection::vec(any::<u8>(), 1..64),
        at in any::<prop::sample::Index>(),
        bad in any::<char>().prop_filter("outside the tolerated set", |c| {
            !c.is_ascii_alphabetic() && !('2'..='7').contains(c) && !matches!(c, ' ' | '-' | '=')
        }),
    ) {
        let text = base32::encode(&data);
        let mut chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len() + 1);
        chars.insert(i, bad);
        let messy: String = chars.into_iter().collect();
        prop_assert_eq!(
            base32::decode(&messy).unwrap_err(),
            Error::InvalidParameter(Invalid::Base32Character { position: i + 1 })
        );
    }

    #[test]
    fn key_uri_round_trip(uri in key_uri()) {
        let text = uri.to_uri().unwrap();
        prop_assert!(text.is_ascii(), "the URI text is percent-encoded ASCII: {}", text);
        let parsed = KeyUri::parse(&text).unwrap();
        prop_assert_eq!(&parsed, &uri);
        // Building is deterministic: the parsed key builds the same text.
        prop_assert_eq!(parsed.to_uri().unwrap(), text);
    }

    #[test]
    fn verify_matches_exactly_within_the_skew(
        setup in totp_setup(),
        k in -12i64..=12,
        skew in 0u32..=10,
    ) {
        let (totp, t) = (setup.totp(), setup.t);
        let current = totp.step(t).unwrap();
        let target = current.checked_add_signed(k).unwrap();
        prop_assume!(!collides(&totp, target, current, 12));
        let code = totp.generate_step(target);
        // The prover generated the code at `target`; the verifier's clock is k steps further
        // on, at the same position inside its step.
        let at_prover = t.checked_add_signed(k * totp.period() as i64).unwrap();
        prop_assert_eq!(totp.generate(at_prover).unwrap(), code);
        let got = totp.verify(code.as_str(), t, skew).unwrap();
        if k.unsigned_abs() <= u64::from(skew) {
            let m = got.expect("a code within the skew matches");
            prop_assert_eq!((m.step, m.offset), (target, k));
        } else {
            prop_assert_eq!(got, None);
        }
    }

    #[test]
    fn check_accepts_once_then_reports_replay(
        setup in totp_setup(),
        k in -2i64..=2,
        skew in 2u32..=10,
        again in any::<prop::sample::Index>(),
    ) {
        let (totp, t) = (setup.totp(), setup.t);
        let current = totp.step(t).unwrap();
        let target = current.checked_add_signed(k).unwrap();
        prop_assume!(!collides(&totp, target, current, 12));
        let code = totp.generate_step(target);
        let Check::Accepted(m) = totp.check(code.as_str(), t, skew, None).unwrap() else {
            return Err(TestCaseError::fail("a fresh code inside the window is accepted"));
        };
        prop_assert_eq!((m.step, m.offset), (target, k));
        prop_assert_eq!(totp.check(code.as_str(), t, skew, Some(target - 1)).unwrap(), Check::Accepted(m));
        // Presenting it again, at any moment of the same step, is a replay.
        let t_again = t - (t - totp.t0()) % totp.period() + again.index(totp.period() as usize) as u64;
        prop_assert!(matches!(
            totp.check(code.as_str(), t_again, skew, Some(m.step)).unwrap(),
            Check::Replayed(r) if r.step == m.step
        ));
        // So is any code of a step at or below the floor.
        prop_assert!(matches!(totp.check(code.as_str(), t, skew, Some(u64::MAX)).unwrap(), Check::Replayed(_)));
        // And a fresh verify without a floor still matches: verify itself keeps no state.
        prop_assert_eq!(totp.verify(code.as_str(), t, skew).unwrap(), Some(m));
    }

    #[test]
    fn check_reports_codes_just_outside_the_window(
        setup in totp_setup(),
        skew in 0u32..=10,
        beyond in 1i64..=4,
        past in any::<bool>(),
    ) {
        let (totp, t) = (setup.totp(), setup.t);
        let current = totp.step(t).unwrap();
        let k = (i64::from(skew) + beyond) * if past { -1 } else { 1 };
        let target = current.checked_add_signed(k).unwrap();
        prop_assume!(!collides(&totp, target, current, 16));
        let code = totp.generate_step(target);
        let got = totp.check(code.as_str(), t, skew, None).unwrap();
        if beyond <= 2 {
            prop_assert!(matches!(got, Check::OutsideWindow(m) if m.step == target && m.offset == k), "{:?}", got);
            // Already used (the floor is at or above it): a replay, not a clock problem.
            prop_assert!(matches!(
                totp.check(code.as_str(), t, skew, Some(target)).unwrap(),
                Check::Replayed(m) if m.step == target
            ));
        } else {
            prop_assert_eq!(got, Check::Rejected);
        }
        prop_assert_eq!(totp.verify(code.as_str(), t, skew).unwrap(), None);
    }

    #[test]
    fn check_never_accepts_at_or_below_the_floor(
        setup in totp_setup(),
        k in -3i64..=3,
        floor_offset in -4i64..=4,
        skew in 0u32..=3,
    ) {
        let (totp, t) = (setup.totp(), setup.t);
        let current = totp.step(t).unwrap();
        let code = totp.generate_step(current.checked_add_signed(k).unwrap());
        let floor = current.checked_add_signed(floor_offset).unwrap();
        if let Check::Accepted(m) = totp.check(code.as_str(), t, skew, Some(floor)).unwrap() {
            prop_assert!(m.step > floor);
            prop_assert!(m.offset.unsigned_abs() <= u64::from(skew));
            prop_assert_eq!(totp.generate_step(m.step), code);
        }
    }

    #[test]
    fn hotp_verify_looks_ahead_only(
        secret in secret_bytes(),
        algorithm in algorithm(),
        digits in 6u32..=10,
        counter in 0u64..u64::MAX - 2_000,
        j in -5i64..=40,
        look_ahead in 0u64..=30,
    ) {
        let hotp = Hotp::new(&secret, algorithm, digits).unwrap();
        let target = counter.checked_add_signed(j).unwrap();
        let code = hotp.generate(target);
        let window_has_twin = (counter.saturating_sub(5)..=counter + 40).any(|c| c != target && hotp.generate(c) == code);
        prop_assume!(!window_has_twin);
        let got = hotp.verify(code.as_str(), counter, look_ahead).unwrap();
        if j >= 0 && j.unsigned_abs() <= look_ahead {
            prop_assert_eq!(got, Some(target));
        } else {
            prop_assert_eq!(got, None);
        }
    }
}
