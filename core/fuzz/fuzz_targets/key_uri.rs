//! Key URI parsing never panics, and a parsed URI builds back to one that parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use watchword_core::KeyUri;

fuzz_target!(|text: &str| {
    if let Ok(uri) = KeyUri::parse(text) {
        if let Ok(built) = uri.to_uri() {
            assert_eq!(KeyUri::parse(&built).unwrap(), uri);
        }
    }
});
