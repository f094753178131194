//! Stored records round-trip exactly, and no input — random bytes, mutated records, random
//! dispatch arguments — makes the record readers or the service panic.

use proptest::prelude::*;
use watchword_core::service::{
    Challenge, ChallengeStatus, DetailField, Details, Entity, Factor, FactorConfig, FactorStatus, FactorType, Identity,
    MemoryStore, Metadata, Quota, RecoveryCodes, ServiceConfig, Sid, Verify, OPERATIONS,
};
use watchword_core::{Algorithm, Secret};

fn sid(prefix: &'static str) -> impl Strategy<Value = Sid> {
    "[0-9a-f]{32}".prop_map(move |hex| Sid::parse(&format!("{prefix}{hex}"), prefix).unwrap())
}

fn identity() -> impl Strategy<Value = Identity> {
    "[A-Za-z0-9]{8,20}(-[A-Za-z0-9]{1,10}){0,3}".prop_map(|text| Identity::parse(&text).unwrap())
}

fn metadata() -> impl Strategy<Value = Option<Metadata>> {
    proptest::option::of(proptest::collection::btree_map("[a-z_]{1,8}", "\\PC{0,16}", 0..5))
}

fn quota() -> impl Strategy<Value = Quota> {
    (any::<u64>(), any::<u32>()).prop_map(|(start, count)| Quota { start, count })
}

fn times() -> impl Strategy<Value = (u64, u64)> {
    (0u64..u64::MAX / 2, 0u64..1_000_000).prop_map(|(created, later)| (created, created + later))
}

fn entity() -> impl Strategy<Value = Entity> {
    (sid("YE"), identity(), times(), 1u64..(1 << 53) - 1, quota()).prop_map(|(sid, identity, (c, u), version, q)| {
        Entity { sid, identity, date_created: c, date_updated: u, version, factor_creations: q }
    })
}

fn recovery_codes() -> impl Strategy<Value = Option<Box<RecoveryCodes>>> {
    proptest::option::of(
        (any::<[u8; 16]>(), 1000u32.., proptest::collection::vec((any::<[u8; 32]>(), any::<bool>()), 1..=20)).prop_map(
            |(salt, iterations, codes)| {
                Box::new(RecoveryCodes {
                    salt,
                    iterations,
                    hashes: codes.iter().map(|c| c.0).collect(),
                    used: codes.iter().map(|c| c.1).collect(),
                })
            },
        ),
    )
}

fn factor() -> impl Strategy<Value = Factor> {
    (
        (sid("YF"), sid("YE"), identity(), "[A-Za-z0-9’é@. ]{0,40}", any::<bool>()),
        (0usize..3, 3u32..=8, 20u64..=60, 0u32..=2, proptest::collection::vec(any::<u8>(), 1..=128)),
        (metadata(), times(), 1u64..(1 << 53) - 1, proptest::option::of(any::<u64>())),
        (any::<u32>(), any::<u32>(), proptest::option::of(any::<u64>()), quota(), quota()),
        (quota(), proptest::option::of(any::<u64>()), proptest::option::of(any::<u64>()), recovery_codes()),
    )
        .prop_map(|(ids, cfg, meta, counters, guard)| {
            let (sid, entity_sid, identity, name, verified) = ids;
            // A recovery-code factor is verified from its creation.
            let verified = verified || guard.3.is_some();
            let (alg, code_length, time_step, skew, secret) = cfg;
            let (metadata, (c, u), version, last) = meta;
            let (enrollment_failures, consecutive_failures, locked_until, challenges_hour, challenges_day) = counters;
            Factor {
                sid,
                entity_sid,
                identity,
                friendly_name: format!("n{name}"),
                status: if verified { FactorStatus::Verified } else { FactorStatus::Unverified },
                config: FactorConfig { alg: Algorithm::ALL[alg], code_length, time_step, skew },
                secret: Secret::from_bytes(&secret).unwrap(),
                metadata,
                date_created: c,
                date_updated: u,
                version,
                last_used_step: if verified { Some(last.unwrap_or(0)) } else { last },
                enrollment_failures,
                consecutive_failures,
                locked_until,
                challenges_hour,
                challenges_day,
                failure_budget: guard.0,
                // Stored as a list: a second step without a first cannot be written.
                future_steps: [guard.1, guard.1.and(guard.2)],
                recovery_codes: guard.3,
            }
        })
}

fn details() -> impl Strategy<Value = Option<Details>> {
    proptest::option::of(("\\PC{0,40}", proptest::collection::vec(("\\PC{0,10}", "\\PC{0,20}"), 0..4)).prop_map(
        |(message, fields)| Details {
            message,
            fields: fields.into_iter().map(|(label, value)| DetailField { label, value }).collect(),
        },
    ))
}

fn challenge() -> impl Strategy<Value = Challenge> {
    (
        (sid("YC"), sid("YE"), identity(), sid("YF"), 0usize..4, any::<bool>()),
        (times(), 1u64..=3600, 0u64..1000),
        (details(), metadata(), metadata(), any::<u32>(), 1u64..(1 << 53) - 1),
    )
        .prop_map(|(ids, dates, rest)| {
            let (sid, entity_sid, identity, factor_sid, status, recovery) = ids;
            let ((created, updated), lifetime, responded_after) = dates;
            let (details, hidden_details, metadata, failed_attempts, version) = rest;
            let status = [
                ChallengeStatus::Pending,
                ChallengeStatus::Approved,
                ChallengeStatus::Denied,
                ChallengeStatus::Expired,
            ][status];
            Challenge {
                sid,
                entity_sid,
                identity,
                factor_sid,
                factor_type: if recovery { FactorType::RecoveryCodes } else { FactorType::Totp },
                status,
                date_created: created,
                date_updated: updated,
                date_responded: matches!(status, ChallengeStatus::Approved | ChallengeStatus::Denied)
                    .then_some(created + responded_after),
                expiration_date: created + lifetime,
                details,
                hidden_details,
                metadata,
                failed_attempts,
                version,
            }
        })
}

/// Applies one of a few byte-level edits at a position derived from `at`.
fn mutate(text: &str, kind: u8, at: usize, byte: u8) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let i = at % bytes.len().max(1);
    match kind % 4 {
        0 => bytes[i] = byte,
        1 => {
            bytes.remove(i);
        }
        2 => bytes.insert(i, byte),
        _ => bytes.truncate(i),
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn entity_records_round_trip(e in entity()) {
        prop_assert_eq!(Entity::from_record(&e.to_record()).unwrap(), e);
    }

    #[test]
    fn factor_records_round_trip(f in factor()) {
        prop_assert_eq!(Factor::from_record(&f.to_record()).unwrap(), f);
    }

    #[test]
    fn challenge_records_round_trip(c in challenge()) {
        prop_assert_eq!(Challenge::from_record(&c.to_record()).unwrap(), c);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(Entity::from_record(&text).is_err());
        prop_assert!(Factor::from_record(&text).is_err());
        prop_assert!(Challenge::from_record(&text).is_err());
    }

    #[test]
    fn mutated_records_never_panic(f in factor(), c in challenge(), kind in any::<u8>(), at in any::<usize>(), byte in any::<u8>()) {
        // Either the mutation is rejected, or what it reads back is a valid record that
        // round-trips again.
        let text = mutate(&f.to_record(), kind, at, byte);
        if let Ok(read) = Factor::from_record(&text) {
            prop_assert_eq!(Factor::from_record(&read.to_record()).unwrap(), read);
        }
        let text = mutate(&c.to_record(), kind, at, byte);
        if let Ok(read) = Challenge::from_record(&text) {
            prop_assert_eq!(Challenge::from_record(&read.to_record()).unwrap(), read);
        }
    }

    #[test]
    fn random_dispatch_arguments_never_panic(
        op in 0usize..OPERATIONS.len(),
        args in proptest::collection::vec(any::<u8>(), 0..200),
        keys in proptest::collection::vec(("[a-z_]{1,16}", prop_oneof![
            Just(serde_json::json!(null)), Just(serde_json::json!(-1)), Just(serde_json::json!(u64::MAX)),
            Just(serde_json::json!("user-0001-abcd")), Just(serde_json::json!("YF0123")), Just(serde_json::json!([1, "a"])),
            Just(serde_json::json!({"message": 5})), Just(serde_json::json!(1.5)), Just(serde_json::json!("")),
        ]), 0..6),
        now in any::<u64>(),
    ) {
        let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
        let _ = verify.call(OPERATIONS[op], &String::from_utf8_lossy(&args), now);
        let object: serde_json::Map<String, serde_json::Value> = keys.into_iter().collect();
        let _ = verify.dispatch(OPERATIONS[op], &serde_json::Value::Object(object), now);
    }
}

#[test]
fn unknown_versions_and_fields_are_named() {
    let e = Entity::new("user-0001-abcd", [3; 16], 10).unwrap();
    let record = e.to_record();
    let v4 = record.replace("\"v\":3", "\"v\":5");
    assert_eq!(
        Entity::from_record(&v4).unwrap_err().to_string(),
        "invalid stored record: field \"v\" is an unknown record version (this library reads versions 1 to 4)"
    );
    // Version 4 is a sealed record's envelope: only a service with its key ring reads it.
    let sealed = record.replace("\"v\":3", "\"v\":4");
    assert!(Entity::from_record(&sealed).unwrap_err().to_string().contains("a sealed record"));
    let extra = record.replacen('{', "{\"admin\":true,", 1);
    assert_eq!(
        Entity::from_record(&extra).unwrap_err().to_string(),
        "invalid stored record: field \"record\" has fields this version does not define"
    );
    let mut value: serde_json::Value = serde_json::from_str(&record).unwrap();
    value.as_object_mut().unwrap().remove("version");
    let missing = value.to_string();
    assert_eq!(
        Entity::from_record(&missing).unwrap_err().to_string(),
        "invalid stored record: field \"version\" is missing"
    );
    assert!(Factor::from_record(&record).is_err(), "an entity record is not a factor record");
}

/// Version 1 records (written before failure budgets, remembered future steps and stored
/// expiries) are still read; what they lack starts empty.
#[test]
fn version_1_records_are_still_read() {
    let v1 = r#"{"v":1,"type":"factor","sid":"YFa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1","entity_sid":"YEe3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3","identity":"user-0003-abcd","friendly_name":"phone","status":"verified","config":{"alg":"sha1","code_length":6,"time_step":30,"skew":1},"secret":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ","metadata":null,"date_created":1700000000,"date_updated":1700000000,"version":3,"last_used_step":56666666,"enrollment_failures":0,"consecutive_failures":2,"locked_until":null,"challenges_hour":{"start":0,"count":0},"challenges_day":{"start":0,"count":0}}"#;
    let factor = Factor::from_record(v1).unwrap();
    assert_eq!((factor.failure_budget.count, factor.future_steps), (0, [None, None]));
    assert_eq!(factor.consecutive_failures, 2);
    // Written back, it is the newest version with the new fields.
    let v3 = factor.to_record();
    assert!(v3.contains(r#""v":3"#) && v3.contains(r#""future_steps":[]"#), "{v3}");
    assert!(v3.contains(r#""recovery_codes":null"#), "{v3}");
    assert_eq!(factor.factor_type(), "totp");
    // A version 1 record may not use what version 2 added.
    let with_v2_field = v1.replace(r#""challenges_day""#, r#""failure_budget":{"start":0,"count":0},"challenges_day""#);
    assert!(Factor::from_record(&with_v2_field).is_err());
    let expired = r#"{"v":1,"type":"challenge","sid":"YCd2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2","entity_sid":"YEe3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3","identity":"user-0003-abcd","factor_sid":"YFa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1","status":"expired","date_created":1700000100,"date_updated":1700000100,"date_responded":null,"expiration_date":1700000400,"details":null,"hidden_details":null,"metadata":null,"failed_attempts":0,"version":1}"#;
    assert!(Challenge::from_record(expired).is_err(), "version 1 never stored an expiry");
    let v2 = Challenge::from_record(&expired.replace(r#""v":1"#, r#""v":2"#)).unwrap();
    assert_eq!(v2.factor_type(), "totp", "challenges before version 3 were all of TOTP factors");
    assert!(v2.to_record().contains(r#""factor_type":"totp""#));
}

/// Version 2 records read as TOTP; they may not carry what version 3 added.
#[test]
fn version_2_records_have_no_recovery_codes() {
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    let created = verify.create_factor("user-0003-abcd", watchword_core::service::NewFactor::new("phone"), 0).unwrap();
    let v3 = created.factor.to_record();
    let v2 = v3.replace(r#""v":3"#, r#""v":2"#);
    assert!(Factor::from_record(&v2).is_err(), "recovery_codes is a version 3 field");
    let without: serde_json::Value = {
        let mut value: serde_json::Value = serde_json::from_str(&v2).unwrap();
        value.as_object_mut().unwrap().remove("recovery_codes");
        value
    };
    assert_eq!(Factor::from_record(&without.to_string()).unwrap(), created.factor);
    let mut missing: serde_json::Value = serde_json::from_str(&v3).unwrap();
    missing.as_object_mut().unwrap().remove("recovery_codes");
    assert!(Factor::from_record(&missing.to_string()).is_err(), "version 3 needs recovery_codes");
}

#[test]
fn versions_stay_below_2_to_the_53() {
    let e = Entity::new("user-0001-abcd", [3; 16], 10).unwrap();
    let at = |v: u64| e.to_record().replace(r#""version":1"#, &format!(r#""version":{v}"#));
    assert!(Entity::from_record(&at((1 << 53) - 2)).is_ok());
    for v in [(1u64 << 53) - 1, 1 << 53, u64::MAX] {
        let err = Entity::from_record(&at(v)).unwrap_err();
        assert_eq!(err.detail(), Some("record"), "{v}: {err}");
    }
}
