//! Base32 decoding never panics, and what decodes re-encodes to the canonical form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use watchword_core::base32;

fuzz_target!(|text: &str| {
    if let Ok(bytes) = base32::decode(text) {
        let canonical = base32::encode(&bytes);
        assert_eq!(base32::decode(&canonical).unwrap(), bytes);
    }
});
