//! Recovery codes (SPEC §11): what is stored, what it costs, and the rules around the codes
//! that the shared scenario (`tests/vectors/scenarios/recovery_codes.json`) cannot express.

use sha2::Digest;
use watchword_core::service::{
    normalize_recovery_code, FactorUpdate, MemoryStore, NewChallenge, NewFactor, ServiceConfig, VerificationResult,
    Verify, SETTINGS,
};
use watchword_core::ErrorKind;

const IDENTITY: &str = "user-0001-abcd";
const NOW: u64 = 1_700_000_000;

fn config(iterations: u64) -> ServiceConfig {
    let mut config = ServiceConfig::new("Acme").unwrap();
    config.set("recovery_code_iterations", iterations).unwrap();
    config
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn redeem<S: watchword_core::service::Store>(
    verify: &Verify<S>,
    sid: &str,
    code: &str,
    now: u64,
) -> VerificationResult {
    let (_, v) = verify.create_challenge(IDENTITY, NewChallenge::new(sid).auth_payload(code), now).unwrap();
    v.unwrap().result
}

#[test]
fn the_default_cost_is_the_spec_one() {
    let setting = SETTINGS.iter().find(|s| s.name == "recovery_code_iterations").unwrap();
    assert_eq!((setting.default, setting.min, setting.max), (100_000, 1000, 10_000_000));
    assert_eq!(ServiceConfig::new("Acme").unwrap().recovery_code_iterations, 100_000);
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    let created = verify.create_factor(IDENTITY, NewFactor::recovery_codes("backup", 1), NOW).unwrap();
    let record: serde_json::Value = serde_json::from_str(&created.factor.to_record()).unwrap();
    assert_eq!(record["recovery_codes"]["iterations"], 100_000);
    for out_of_range in [0, 999, 10_000_001] {
        assert!(ServiceConfig::new("Acme").unwrap().set("recovery_code_iterations", out_of_range).is_err());
    }
}

/// The record holds salted PBKDF2 hashes only: no code as shown or as typed, no unsalted or
/// fast hash of one, and every factor has its own salt.
#[test]
fn the_stored_record_holds_no_code() {
    let verify = Verify::new(config(1000), MemoryStore::new());
    let a = verify.create_factor(IDENTITY, NewFactor::recovery_codes("backup", 20), NOW).unwrap();
    let b = verify.create_factor(IDENTITY, NewFactor::recovery_codes("spare", 20), NOW).unwrap();
    let record = verify.export_factor(&a.factor.sid).unwrap();
    let stored: serde_json::Value = serde_json::from_str(&record).unwrap();
    let codes = &stored["recovery_codes"];
    assert_eq!(codes["iterations"], 1000);
    let salt = codes["salt"].as_str().unwrap();
    assert_eq!(salt.len(), 32);
    let other: serde_json::Value = serde_json::from_str(&verify.export_factor(&b.factor.sid).unwrap()).unwrap();
    assert_ne!(other["recovery_codes"]["salt"], codes["salt"], "one salt per factor");
    let salt_bytes: Vec<u8> = (0..16).map(|i| u8::from_str_radix(&salt[2 * i..2 * i + 2], 16).unwrap()).collect();
    let hashes = codes["hashes"].as_array().unwrap();
    assert_eq!(hashes.len(), 20);
    assert_eq!(a.binding.codes.len(), 20);
    let lower = record.to_lowercase();
    for (code, hash) in a.binding.codes.iter().zip(hashes) {
        let bare = code.replace('-', "");
        let normalized = normalize_recovery_code(code).unwrap();
        for plain in [code.as_str(), bare.as_str()] {
            assert!(!lower.contains(plain), "the record holds the code {plain}");
        }
        for fast in [
            hex(&sha2::Sha256::digest(code.as_bytes())),
            hex(&sha2::Sha256::digest(&normalized[..])),
            hex(&sha2::Sha512::digest(&normalized[..])),
            hex(&sha1::Sha1::digest(&normalized[..])),
            hex(&sha2::Sha256::digest([&salt_bytes[..], &normalized[..]].concat())),
        ] {
            assert!(!lower.contains(&fast[..16]), "the record holds a fast hash of {code}");
        }
        let mut expected = [0u8; 32];
        pbkdf2_hmac_sha256(&normalized[..], &salt_bytes, 1000, &mut expected);
        assert_eq!(hash.as_str().unwrap(), hex(&expected), "PBKDF2-HMAC-SHA256 with the factor's salt");
    }
    // Nor do views, after the creation answer.
    let view = verify.fetch_factor(IDENTITY, &a.factor.sid).unwrap().view().to_string();
    assert!(a.binding.codes.iter().all(|c| !view.contains(c.as_str())));
    assert!(!format!("{:?}", a.factor).contains(&a.binding.codes[0]), "Debug shows no hash or code");
}

/// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) written out here with the `hmac` crate, so the test does
/// not take the library's word for it.
fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8; 32]) {
    use hmac::{Hmac, Mac};
    let prf = Hmac::<sha2::Sha256>::new_from_slice(password).unwrap();
    let mut u = prf.clone().chain_update(salt).chain_update(1u32.to_be_bytes()).finalize().into_bytes();
    let mut t = u;
    for _ in 1..iterations {
        u = prf.clone().chain_update(u).finalize().into_bytes();
        t.iter_mut().zip(u.iter()).for_each(|(t, u)| *t ^= u);
    }
    out.copy_from_slice(&t);
}

/// Each set keeps the iteration count it was made with: a later change of the setting keeps
/// old codes valid, and new sets use the new count.
#[test]
fn a_change_of_cost_keeps_old_codes() {
    let store = std::sync::Arc::new(MemoryStore::new());
    let before = Verify::new(config(1000), std::sync::Arc::clone(&store));
    let created = before.create_factor(IDENTITY, NewFactor::recovery_codes("backup", 3), NOW).unwrap();
    let after = Verify::new(config(2000), std::sync::Arc::clone(&store));
    let sid = created.factor.sid.as_str();
    assert_eq!(redeem(&after, sid, &created.binding.codes[0], NOW + 1), VerificationResult::Approved);
    let update = FactorUpdate { regenerate: true, ..FactorUpdate::default() };
    let (factor, binding) = after.update_factor_with_codes(IDENTITY, sid, &update, NOW + 2).unwrap();
    assert_eq!(factor.recovery_codes.as_ref().unwrap().iterations, 2000);
    assert_eq!(redeem(&after, sid, &created.binding.codes[1], NOW + 3), VerificationResult::InvalidCode);
    assert_eq!(redeem(&after, sid, &binding.unwrap().codes[1], NOW + 4), VerificationResult::Approved);
    // The typed update refuses to regenerate (its answer could not carry the codes).
    let err = after.update_factor(IDENTITY, sid, &update, NOW + 5).unwrap_err();
    assert_eq!(err.parameter(), Some("regenerate"));
}

/// Recovery codes are long codes: the hourly and daily challenge quotas apply even when the
/// service's default TOTP codes are short.
#[test]
fn the_quotas_of_long_codes_apply() {
    let mut config = config(1000);
    config.set("min_code_length", 4).unwrap();
    config.set("code_length", 4).unwrap();
    config.set("challenge_quota_hour", 2).unwrap();
    let verify = Verify::new(config, MemoryStore::new());
    let created = verify.create_factor(IDENTITY, NewFactor::recovery_codes("backup", 3), NOW).unwrap();
    for t in 0..2 {
        verify.create_challenge(IDENTITY, NewChallenge::new(&created.factor.sid), NOW + t).unwrap();
    }
    let err = verify.create_challenge(IDENTITY, NewChallenge::new(&created.factor.sid), NOW + 2).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChallengeCreationLimitReached);
}

/// Importing an older export of the same set never makes a code used since usable again, over
/// the stored factor or over the tombstone of a deleted one.
#[test]
fn an_import_keeps_used_codes_used() {
    let verify = Verify::new(config(1000), MemoryStore::new());
    let created = verify.create_factor(IDENTITY, NewFactor::recovery_codes("backup", 3), NOW).unwrap();
    let sid = created.factor.sid.as_str();
    let old = verify.export_factor(sid).unwrap();
    assert_eq!(redeem(&verify, sid, &created.binding.codes[0], NOW + 1), VerificationResult::Approved);
    // The old export, made to look newer than the stored record.
    let mut value: serde_json::Value = serde_json::from_str(&old).unwrap();
    value["version"] = serde_json::json!(100);
    verify.import_factor(&value.to_string(), NOW + 2).unwrap();
    assert_eq!(redeem(&verify, sid, &created.binding.codes[0], NOW + 3), VerificationResult::Replayed);
    let record = watchword_core::service::Factor::from_record(&verify.export_factor(sid).unwrap()).unwrap();
    assert_eq!(record.recovery_codes.unwrap().remaining(), 2);
    // Deleted, then the old export imported again: the tombstone keeps the used codes used.
    assert_eq!(redeem(&verify, sid, &created.binding.codes[1], NOW + 4), VerificationResult::Approved);
    verify.delete_factor(IDENTITY, sid, NOW + 5).unwrap();
    verify.import_factor(&old, NOW + 6).unwrap();
    assert_eq!(redeem(&verify, sid, &created.binding.codes[0], NOW + 7), VerificationResult::Replayed);
    assert_eq!(redeem(&verify, sid, &created.binding.codes[1], NOW + 8), VerificationResult::Replayed);
    assert_eq!(redeem(&verify, sid, &created.binding.codes[2], NOW + 9), VerificationResult::Approved);
}

/// Input ignores case, spaces and hyphens, and maps look-alikes; a code shown is accepted in
/// any of those spellings (once).
#[test]
fn answers_are_tolerant() {
    let verify = Verify::new(config(1000), MemoryStore::new());
    let created = verify.create_factor(IDENTITY, NewFactor::recovery_codes("backup", 3), NOW).unwrap();
    let sid = created.factor.sid.as_str();
    let code = &created.binding.codes[0];
    let spelled = code.to_uppercase().replace('-', " - ").replace('0', "O").replace('1', "l");
    assert_eq!(redeem(&verify, sid, &spelled, NOW + 1), VerificationResult::Approved);
    assert_eq!(redeem(&verify, sid, code, NOW + 2), VerificationResult::Replayed);
    assert_eq!(redeem(&verify, sid, &code.replace('-', ""), NOW + 3), VerificationResult::Replayed);
    // A TOTP code, an empty answer and a huge one are plain invalid codes.
    for wrong in ["123456", "", &"a".repeat(10_000)] {
        assert_eq!(redeem(&verify, sid, wrong, NOW + 4), VerificationResult::InvalidCode);
    }
}
