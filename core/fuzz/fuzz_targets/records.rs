//! Stored records: reading never panics, and what reads writes back to the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use watchword_core::service::{Challenge, Entity, Factor, ServiceConfig, Tombstone};

fuzz_target!(|text: &str| {
    if let Ok(e) = Entity::from_record(text) {
        assert_eq!(Entity::from_record(&e.to_record()).unwrap(), e);
    }
    if let Ok(f) = Factor::from_record(text) {
        assert_eq!(Factor::from_record(&f.to_record()).unwrap(), f);
    }
    if let Ok(c) = Challenge::from_record(text) {
        assert_eq!(Challenge::from_record(&c.to_record()).unwrap(), c);
    }
    if let Ok(t) = Tombstone::from_record(text) {
        assert_eq!(Tombstone::from_record(&t.to_record()).unwrap(), t);
    }
    let _ = ServiceConfig::from_json(text);
});
