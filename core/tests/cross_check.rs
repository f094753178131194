//! Codes cross-checked against an independent HOTP built on the `hmac` crate, for random
//! secrets of 1–128 bytes, every algorithm and every code length.

use hmac::{Hmac, Mac};
use proptest::prelude::*;
use watchword_core::{Algorithm, Hotp, Totp};

/// RFC 4226 with the `hmac` crate: HMAC of the 8-byte big-endian counter, offset from the last
/// byte of the full output, 31 bits, `mod 10^digits`, zero-padded.
fn reference(algorithm: Algorithm, key: &[u8], counter: u64, digits: u32) -> String {
    let msg = counter.to_be_bytes();
    let mac: Vec<u8> = match algorithm {
        Algorithm::Sha1 => {
            Hmac::<sha1::Sha1>::new_from_slice(key).unwrap().chain_update(msg).finalize().into_bytes().to_vec()
        }
        Algorithm::Sha256 => {
            Hmac::<sha2::Sha256>::new_from_slice(key).unwrap().chain_update(msg).finalize().into_bytes().to_vec()
        }
        Algorithm::Sha512 => {
            Hmac::<sha2::Sha512>::new_from_slice(key).unwrap().chain_update(msg).finalize().into_bytes().to_vec()
        }
    };
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let p = u32::from_be_bytes(mac[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:0width$}", u64::from(p) % 10u64.pow(digits), width = digits as usize)
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(Algorithm::ALL.to_vec())
}

fn counter() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), 0u64..1000, (u64::MAX - 1000)..=u64::MAX, Just(1u64 << 32)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn hotp_matches_the_hmac_crate(
        key in prop::collection::vec(any::<u8>(), 1..=128),
        algorithm in algorithm(),
        digits in 3u32..=10,
        counter in counter(),
    ) {
        let hotp = Hotp::new(&key, algorithm, digits).unwrap();
        let expected = reference(algorithm, &key, counter, digits);
        let code = hotp.generate(counter);
        prop_assert_eq!(code.as_str(), expected.as_str());
        prop_assert_eq!(code.to_string(), expected.clone());
        prop_assert_eq!(code.as_bytes(), expected.as_bytes());
        prop_assert_eq!(hotp.verify(&expected, counter, 0).unwrap(), Some(counter));
    }

    #[test]
    fn totp_matches_the_hmac_crate(
        key in prop::collection::vec(any::<u8>(), 1..=128),
        algorithm in algorithm(),
        digits in 3u32..=10,
        period in 1u64..=86_400,
        t0 in prop_oneof![Just(0u64), any::<u64>()],
        time in any::<u64>(),
    ) {
        let (t0, time) = (t0.min(time), t0.max(time));
        let totp = Totp::new(&key, algorithm, digits, period).unwrap().with_t0(t0);
        let step = (time - t0) / period;
        let expected = reference(algorithm, &key, step, digits);
        let code = totp.generate(time).unwrap();
        prop_assert_eq!(code.as_str(), expected.as_str());
        let m = totp.verify(&expected, time, 0).unwrap().expect("the current code matches");
        prop_assert_eq!((m.step, m.offset), (step, 0));
    }
}

/// Every key length from 1 to 128 bytes, on both sides of each hash's block size.
#[test]
fn every_key_length_matches_the_hmac_crate() {
    for len in 1..=128usize {
        let key: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(len as u8)).collect();
        for algorithm in Algorithm::ALL {
            let hotp = Hotp::new(&key, algorithm, 8).unwrap();
            for counter in [0, 1, 0x0102_0304_0506_0708, u64::MAX] {
                assert_eq!(
                    hotp.generate(counter).as_str(),
                    reference(algorithm, &key, counter, 8),
                    "{algorithm} key of {len} bytes, counter {counter}"
                );
            }
        }
    }
}
