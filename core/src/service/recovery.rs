//! Recovery codes (SPEC §11): the single-use backup codes of a `recovery_codes` factor, kept
//! only as salted PBKDF2-HMAC-SHA256 hashes.
//!
//! A set holds 1–20 codes of 10 characters from an alphabet without look-alikes (Crockford's
//! Base32 alphabet: no `i`, `l`, `o`, `u`), 50 bits each, shown as `xxxxx-xxxxx`. NIST SP
//! 800-63B §5.1.2.2 asks for look-up secrets under 112 bits to be hashed with an approved
//! password-hashing scheme: one random salt per factor, stored with its iteration count, so a
//! later change of the `recovery_code_iterations` setting keeps old codes valid. All codes of a
//! factor share its salt, so an answer is hashed once and compared (in constant time) with every
//! stored hash.

use alloc::string::String;
use alloc::vec::Vec;

use rand_core::{CryptoRng, RngCore};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

/// The 32 characters of a code (Crockford's Base32 alphabet, lower case).
pub const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Characters of a code (without the hyphen of its display form).
pub const RECOVERY_CODE_CHARS: usize = 10;

/// Codes in a new set unless the request names another count.
pub const DEFAULT_RECOVERY_CODES: u32 = 10;

/// The most codes a set may hold.
pub const MAX_RECOVERY_CODES: u32 = 20;

/// PBKDF2 iterations of the `recovery_code_iterations` setting's default (SPEC §3).
pub const DEFAULT_RECOVERY_CODE_ITERATIONS: u32 = 100_000;

/// Bytes of a factor's salt.
pub const RECOVERY_SALT_BYTES: usize = 16;

/// The longest answer that is looked at: anything longer is `invalid_code` without hashing.
const MAX_ANSWER_BYTES: usize = 64;

/// A PBKDF2-HMAC-SHA256 hash of one code.
pub type CodeHash = [u8; 32];

/// A factor's set of recovery codes: the salt, the iteration count it was hashed with, one hash
/// per code and which codes were used.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCodes {
    /// The factor's random salt.
    pub salt: [u8; RECOVERY_SALT_BYTES],
    /// PBKDF2 iterations the hashes were made with.
    pub iterations: u32,
    /// One hash per code, in the order the codes were shown.
    pub hashes: Vec<CodeHash>,
    /// Whether each code was used (same order as `hashes`).
    pub used: Vec<bool>,
}

impl core::fmt::Debug for RecoveryCodes {
    /// Counts only: hashes are not for logs.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecoveryCodes")
            .field("iterations", &self.iterations)
            .field("count", &self.count())
            .field("remaining", &self.remaining())
            .finish()
    }
}

/// A new set's codes in their display form (`xxxxx-xxxxx`); wiped when dropped.
pub type PlainCodes = Zeroizing<Vec<Zeroizing<String>>>;

impl RecoveryCodes {
    /// A new set of `count` distinct codes hashed with `iterations`, and the codes themselves
    /// (shown once, then dropped).
    ///
    /// ```
    /// use watchword_core::service::{normalize_recovery_code, RecoveryCodes};
    /// let (set, codes) = RecoveryCodes::generate(3, 1000, &mut rand_core::OsRng);
    /// assert_eq!((set.count(), set.remaining(), codes.len()), (3, 3, 3));
    /// let answer = normalize_recovery_code(&codes[1]).unwrap();
    /// assert_eq!(set.find(&set.digest(&answer)), Some(1));
    /// ```
    pub fn generate<R: RngCore + CryptoRng>(count: u32, iterations: u32, rng: &mut R) -> (RecoveryCodes, PlainCodes) {
        RecoveryCodes::generate_reusing(count, iterations, rng, None)
    }

    /// [`RecoveryCodes::generate`], taking the hashes from `earlier` when it is the same set
    /// (the same salt, drawn again by an operation run again as steps from the same randomness),
    /// so that a set is hashed once per call.
    pub(crate) fn generate_reusing<R: RngCore + CryptoRng>(
        count: u32,
        iterations: u32,
        rng: &mut R,
        earlier: Option<&RecoveryCodes>,
    ) -> (RecoveryCodes, PlainCodes) {
        let mut salt = [0u8; RECOVERY_SALT_BYTES];
        rng.fill_bytes(&mut salt);
        let mut raw: Zeroizing<Vec<[u8; RECOVERY_CODE_CHARS]>> = Zeroizing::new(Vec::new());
        while raw.len() < count as usize {
            let code = random_code(rng);
            // 50 bits each: a repeat is all but impossible, and would make two codes one.
            if !raw.contains(&code) {
                raw.push(code);
            }
        }
        let mut set = RecoveryCodes { salt, iterations, hashes: Vec::new(), used: Vec::new() };
        set.hashes = match earlier {
            Some(e) if e.salt == salt && e.iterations == iterations && e.hashes.len() == raw.len() => e.hashes.clone(),
            _ => raw.iter().map(|code| set.digest(code)).collect(),
        };
        set.used = alloc::vec![false; raw.len()];
        let shown = raw.iter().map(|code| Zeroizing::new(display(code))).collect();
        (set, Zeroizing::new(shown))
    }

    /// How many codes the set holds.
    pub fn count(&self) -> u32 {
        self.hashes.len() as u32
    }

    /// How many codes were not used yet.
    pub fn remaining(&self) -> u32 {
        self.used.iter().filter(|u| !**u).count() as u32
    }

    /// The hash of a normalized answer under this set's salt and iteration count:
    /// PBKDF2-HMAC-SHA256 on core's HMAC key states (two SHA-256 blocks per iteration),
    /// checked against RustCrypto's `pbkdf2` in the tests.
    pub fn digest(&self, answer: &[u8; RECOVERY_CODE_CHARS]) -> CodeHash {
        #[cfg(test)]
        tests::count_digest();
        crate::mac::pbkdf2_sha256(answer, &self.salt, self.iterations)
    }

    /// The index of the code whose hash is `digest`, comparing with every stored hash in
    /// constant time.
    pub fn find(&self, digest: &CodeHash) -> Option<usize> {
        let mut found = Choice::from(0);
        let mut index = 0u32;
        for (i, hash) in self.hashes.iter().enumerate() {
            let equal = hash.ct_eq(digest);
            index.conditional_assign(&(i as u32), equal);
            found |= equal;
        }
        bool::from(found).then_some(index as usize)
    }
}

fn random_code<R: RngCore + CryptoRng>(rng: &mut R) -> [u8; RECOVERY_CODE_CHARS] {
    let mut bits = Zeroizing::new([0u8; 8]);
    rng.fill_bytes(&mut *bits);
    let mut value = Zeroizing::new(u64::from_le_bytes(*bits));
    let mut code = [0u8; RECOVERY_CODE_CHARS];
    for c in code.iter_mut() {
        *c = RECOVERY_ALPHABET[(*value & 31) as usize];
        *value >>= 5;
    }
    code
}

fn display(code: &[u8; RECOVERY_CODE_CHARS]) -> String {
    let mut out = String::with_capacity(RECOVERY_CODE_CHARS + 1);
    for (i, c) in code.iter().enumerate() {
        if i == RECOVERY_CODE_CHARS / 2 {
            out.push('-');
        }
        out.push(char::from(*c));
    }
    out
}

/// An answer in the form codes are hashed in: case, spaces and hyphens ignored, look-alikes
/// mapped (`O` → `0`, `I` and `L` → `1`); `None` when it cannot be a code (wrong length or a
/// character outside the alphabet), which is checked before anything is hashed.
///
/// ```
/// use watchword_core::service::normalize_recovery_code;
/// assert_eq!(normalize_recovery_code("AB0CD-1EF23"), normalize_recovery_code(" abocd 1ef23"));
/// assert_eq!(normalize_recovery_code("abocd-lef23"), normalize_recovery_code("ab0cd-1ef23"));
/// assert_eq!(normalize_recovery_code("abcd-ef23"), None);
/// assert_eq!(normalize_recovery_code("abcde-fgu23"), None); // no `u` in the alphabet
/// ```
pub fn normalize_recovery_code(answer: &str) -> Option<Zeroizing<[u8; RECOVERY_CODE_CHARS]>> {
    // Every character of a code takes at least one byte: a shorter answer (a TOTP code) is none.
    if !(RECOVERY_CODE_CHARS..=MAX_ANSWER_BYTES).contains(&answer.len()) {
        return None;
    }
    let mut out = Zeroizing::new([0u8; RECOVERY_CODE_CHARS]);
    let mut n = 0;
    for byte in answer.bytes() {
        let c = match byte.to_ascii_lowercase() {
            b' ' | b'-' => continue,
            b'o' => b'0',
            b'i' | b'l' => b'1',
            c if RECOVERY_ALPHABET.contains(&c) => c,
            _ => return None,
        };
        *out.get_mut(n)? = c;
        n += 1;
    }
    (n == RECOVERY_CODE_CHARS).then_some(out)
}

/// The hash of one operation's answer, kept across the retries of a lost race (and across the
/// runs of an operation done as steps), so that an answer is hashed once per call.
#[derive(Default)]
pub(crate) struct AnswerDigest {
    /// The salt and iteration count the digest was made with, and the digest.
    kept: Option<([u8; RECOVERY_SALT_BYTES], u32, CodeHash)>,
}

impl AnswerDigest {
    /// The digest of `answer` under `set`'s salt and iterations: the kept one when it was made
    /// under the same, else a new one (kept in its place).
    pub(crate) fn of(&mut self, set: &RecoveryCodes, answer: &[u8; RECOVERY_CODE_CHARS]) -> CodeHash {
        match &self.kept {
            Some((salt, iterations, digest)) if *salt == set.salt && *iterations == set.iterations => *digest,
            _ => {
                let digest = set.digest(answer);
                self.kept = Some((set.salt, set.iterations, digest));
                digest
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use core::cell::Cell;

    std::thread_local! {
        static DIGESTS: Cell<usize> = const { Cell::new(0) };
    }

    pub(crate) fn count_digest() {
        DIGESTS.with(|d| d.set(d.get() + 1));
    }

    /// Hashes computed on this thread so far.
    pub(crate) fn digests() -> usize {
        DIGESTS.with(Cell::get)
    }

    #[test]
    fn codes_look_right_and_are_distinct() {
        let (set, codes) = RecoveryCodes::generate(20, 1000, &mut rand_core::OsRng);
        assert_eq!(set.hashes.len(), 20);
        for code in codes.iter() {
            assert_eq!(code.len(), 11);
            assert_eq!(&code[5..6], "-");
            assert!(code.bytes().filter(|b| *b != b'-').all(|b| RECOVERY_ALPHABET.contains(&b)));
        }
        let mut sorted: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 20);
    }

    #[test]
    fn the_hash_is_pbkdf2_hmac_sha256() {
        // RFC 7914 §11's PBKDF2-HMAC-SHA256 vector ("passwd", "salt", 1 iteration), first 32 bytes.
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(out[..4], [0x55, 0xac, 0x04, 0x6e]);
        let set = RecoveryCodes { salt: [1; 16], iterations: 1000, hashes: Vec::new(), used: Vec::new() };
        let mut expected = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"0123456789", &[1; 16], 1000, &mut expected);
        assert_eq!(set.digest(b"0123456789"), expected);
    }

    #[test]
    fn answers_are_normalized() {
        let canonical = normalize_recovery_code("0123456789").unwrap();
        for spelling in ["01234-56789", "O1234 56789", "oi234-56789", "0L234--56789", " 01234 - 56789 "] {
            assert_eq!(normalize_recovery_code(spelling).as_deref(), Some(&*canonical), "{spelling}");
        }
        for wrong in ["", "123456", "012345678", "01234567890", "01234-5678u", "01234_56789", "０1234-56789"] {
            assert!(normalize_recovery_code(wrong).is_none(), "{wrong}");
        }
        assert!(normalize_recovery_code(&" ".repeat(65)).is_none());
    }

    /// A store that loses the first `losses` commits (another caller's write landed first).
    #[cfg(feature = "std")]
    struct Losing {
        inner: crate::service::MemoryStore,
        losses: std::sync::atomic::AtomicUsize,
    }

    #[cfg(feature = "std")]
    impl crate::service::Store for Losing {
        fn get(
            &self,
            service: &str,
            key: &crate::service::Key,
        ) -> Result<Option<crate::service::Record>, crate::Error> {
            self.inner.get(service, key)
        }
        fn list(
            &self,
            service: &str,
            identity: &crate::service::Identity,
            kind: crate::service::Kind,
            after: Option<&crate::service::Cursor>,
            limit: usize,
        ) -> Result<Vec<crate::service::Record>, crate::Error> {
            self.inner.list(service, identity, kind, after, limit)
        }
        fn scan(
            &self,
            service: &str,
            kind: crate::service::Kind,
            after: Option<&crate::service::Cursor>,
            limit: usize,
        ) -> Result<Vec<crate::service::Record>, crate::Error> {
            self.inner.scan(service, kind, after, limit)
        }
        fn commit(&self, service: &str, writes: Vec<crate::service::Write>) -> Result<(), crate::Error> {
            use std::sync::atomic::Ordering;
            if self.losses.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                return Err(crate::Error::Conflict);
            }
            self.inner.commit(service, writes)
        }
    }

    /// An answer is hashed once per call: not again for each retry of a lost race, nor for each
    /// run of the operation done as steps.
    #[cfg(feature = "std")]
    #[test]
    fn an_answer_is_hashed_once_per_call() {
        use crate::service::{NewChallenge, NewFactor, Request, ServiceConfig, Steps, Verify};
        let mut config = ServiceConfig::new("Acme").unwrap();
        config.set("recovery_code_iterations", 1000).unwrap();
        let store = Losing { inner: crate::service::MemoryStore::new(), losses: 0.into() };
        let verify = Verify::new(config.clone(), store);
        let created = verify.create_factor("user-0001", NewFactor::recovery_codes("backup", 4), 0).unwrap();
        let sid = String::from(created.factor.sid.as_str());
        let lose = |n: usize| verify.store().losses.store(n, std::sync::atomic::Ordering::SeqCst);

        lose(3);
        let before = digests();
        let request = NewChallenge::new(&sid).auth_payload(&created.binding.codes[0]);
        let (_, v) = verify.create_challenge("user-0001", request, 10).unwrap();
        assert_eq!((v.unwrap().result, digests() - before), (crate::service::VerificationResult::Approved, 1));

        let (challenge, _) = verify.create_challenge("user-0001", NewChallenge::new(&sid), 20).unwrap();
        lose(2);
        let before = digests();
        let (_, v) = verify.update_challenge("user-0001", &challenge.sid, "zzzzz-zzzzz", None, 21).unwrap();
        assert_eq!((v.result, digests() - before), (crate::service::VerificationResult::InvalidCode, 1));

        // Not a code at all: no hash.
        let before = digests();
        verify.update_challenge("user-0001", &challenge.sid, "123456", None, 22).unwrap();
        assert_eq!(digests(), before);

        // As steps: every step runs the operation again from its start, and a lost commit
        // runs it again too; the hash is made once.
        let args =
            serde_json::json!({"identity": "user-0001", "factor_sid": sid, "auth_payload": created.binding.codes[1]});
        let request = Request::parse("create_challenge", args.as_object().unwrap()).unwrap();
        lose(2);
        let before = digests();
        let answer = Steps::new(config, request, 30).drive(verify.store()).unwrap();
        assert_eq!(answer.view(30)["result"], "approved");
        assert_eq!(digests() - before, 1);

        // A new set is hashed once too: created or regenerated, directly or as steps, with
        // lost races on the way.
        let steps = |op: &str, args: serde_json::Value| {
            let request = Request::parse(op, args.as_object().unwrap()).unwrap();
            Steps::new(verify.config().clone(), request, 40).drive(verify.store()).unwrap().view(40)
        };
        for (lost, as_steps) in [(0, false), (2, false), (0, true), (3, true)] {
            lose(lost);
            let before = digests();
            let created = if as_steps {
                steps(
                    "create_factor",
                    serde_json::json!({"identity": "user-0001", "friendly_name": "more", "factor_type": "recovery_codes", "count": 3}),
                )
            } else {
                let created = verify.create_factor("user-0001", NewFactor::recovery_codes("more", 3), 40).unwrap();
                created.factor.answer_view(None, Some(&created.binding))
            };
            assert_eq!(created["binding"]["codes"].as_array().unwrap().len(), 3);
            assert_eq!(digests() - before, 3, "created: {lost} lost, as steps: {as_steps}");
            let sid = created["sid"].as_str().unwrap();
            lose(lost);
            let before = digests();
            let regenerated = if as_steps {
                steps(
                    "update_factor",
                    serde_json::json!({"identity": "user-0001", "factor_sid": sid, "regenerate": true}),
                )
            } else {
                let update = crate::service::FactorUpdate { regenerate: true, ..Default::default() };
                let (factor, binding) = verify.update_factor_with_codes("user-0001", sid, &update, 40).unwrap();
                factor.answer_view(None, binding.as_ref())
            };
            assert_ne!(regenerated["binding"]["codes"], created["binding"]["codes"]);
            assert_eq!(digests() - before, 3, "regenerated: {lost} lost, as steps: {as_steps}");
        }
    }

    #[test]
    fn the_digest_is_kept_per_salt() {
        let (a, _) = RecoveryCodes::generate(1, 1000, &mut rand_core::OsRng);
        let (b, _) = RecoveryCodes::generate(1, 1000, &mut rand_core::OsRng);
        let mut kept = AnswerDigest::default();
        let before = digests();
        let first = kept.of(&a, b"0123456789");
        assert_eq!(kept.of(&a, b"0123456789"), first);
        assert_eq!(digests() - before, 1);
        assert_ne!(kept.of(&b, b"0123456789"), first);
        assert_eq!(digests() - before, 2);
    }
}
