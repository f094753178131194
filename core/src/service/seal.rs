//! Sealed records (SPEC §10): with secret keys, what a store or an export holds is the record's
//! JSON encrypted and authenticated with XChaCha20-Poly1305, in an envelope that keeps the
//! fields stores index readable.
//!
//! The additional data binds, each length-prefixed, the envelope format `v`, the service, the
//! record's type, key, identity, creation date and version, and the key id: a sealed record
//! cannot be moved to another record, identity or service, nor have its version changed. A
//! record is opened only with the key its `kid` names. See `docs/records.md`.
//!
//! ```
//! use watchword_core::service::{Entity, KeyRing, Record};
//! let mut ring = KeyRing::new();
//! ring.insert("2026-12", &[7; 32]).unwrap();
//! ring.set_active("2026-12").unwrap();
//! let record = Record::from(Entity::new("user-0001", [1; 16], 1_700_000_000).unwrap());
//! let sealed = ring.seal("default", &record, [9; 24]).unwrap();
//! let text = Record::from(sealed).to_stored();
//! assert!(!text.contains("YE0101"));
//! let Record::Sealed(read) = Record::from_stored(record.kind(), &text).unwrap() else { panic!() };
//! assert_eq!(ring.open("default", &read).unwrap(), record);
//! assert!(ring.open("other", &read).is_err());
//! ```

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64_simd::{AsOut, STANDARD as BASE64};
use chacha20::cipher::consts::U10;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
use serde_json::{Map, Value};

use zeroize::{Zeroize, Zeroizing};

use super::{invalid, Identity, Key, Kind, Record, Sid};
use crate::Error;

/// The bytes of a secret key.
pub const SECRET_KEY_BYTES: usize = 32;

/// The bytes of a nonce (XChaCha20's 192 bits: random nonces never repeat in practice).
pub const NONCE_BYTES: usize = 24;

/// The format version of a sealed record's envelope (plain records are versions 1 to 3).
pub const SEALED_VERSION: u64 = 4;

/// What a key id may be.
const KID_EXPECTED: &str = "a key id of 1 to 64 characters of A-Z, a-z, 0-9, '_', '-' and '.'";

/// A secret key of the ring: 32 bytes, wiped when dropped, never printed.
#[derive(Clone)]
struct SecretKey(Zeroizing<[u8; SECRET_KEY_BYTES]>);

impl PartialEq for SecretKey {
    fn eq(&self, other: &SecretKey) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}

impl Eq for SecretKey {}

impl SecretKey {
    /// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) under this key with `nonce`: HChaCha20
    /// derives a subkey from the key and the nonce's first 16 bytes; ChaCha20-Poly1305
    /// (RFC 8439) then runs under the subkey with four zero bytes and the nonce's last 8 bytes.
    fn xchacha20_poly1305(&self, nonce: &[u8; NONCE_BYTES]) -> Result<(LessSafeKey, Nonce), Error> {
        let mut subkey = chacha20::hchacha::<U10>((&*self.0).into(), nonce[..16].into());
        // Refused only for a key that is not 32 bytes, which a subkey always is.
        let cipher = UnboundKey::new(&CHACHA20_POLY1305, &subkey).map(LessSafeKey::new);
        subkey.as_mut_slice().zeroize();
        let cipher = cipher.map_err(|_| Error::storage("a secret key could not be used"))?;
        let mut short = [0u8; 12];
        short[4..].copy_from_slice(&nonce[16..]);
        Ok((cipher, Nonce::assume_unique_for_key(short)))
    }
}

/// The secret keys of a service (SPEC §10): key id → 32 random bytes, one of them active.
/// Records sealed under any key of the ring are read; writes are sealed under the active key.
/// The bytes are wiped when the ring is dropped and never appear in `Debug` or errors.
///
/// ```
/// use watchword_core::service::KeyRing;
/// let mut ring = KeyRing::new();
/// ring.insert("2026-12", &[7; 32]).unwrap();
/// ring.set_active("2026-12").unwrap();
/// assert_eq!(format!("{ring:?}"), r#"KeyRing { kids: ["2026-12"], active: Some("2026-12") }"#);
/// assert!(ring.insert("short", &[7; 16]).is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: BTreeMap<String, SecretKey>,
    active: Option<String>,
}

impl core::fmt::Debug for KeyRing {
    /// Key ids only.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyRing")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("active", &self.active)
            .finish()
    }
}

fn check_kid(kid: &str) -> Result<(), Error> {
    let ok = (1..=64).contains(&kid.len())
        && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(invalid("secret_keys", KID_EXPECTED))
    }
}

impl KeyRing {
    /// An empty ring: records are not sealed.
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    /// Adds (or replaces) the key `kid`: exactly 32 bytes.
    pub fn insert(&mut self, kid: &str, key: &[u8]) -> Result<(), Error> {
        check_kid(kid)?;
        let bytes: [u8; SECRET_KEY_BYTES] =
            key.try_into().map_err(|_| invalid("secret_keys", "keys of exactly 32 bytes"))?;
        self.keys.insert(String::from(kid), SecretKey(Zeroizing::new(bytes)));
        Ok(())
    }

    /// Makes `kid` (a key of the ring) the key new writes are sealed under.
    pub fn set_active(&mut self, kid: &str) -> Result<(), Error> {
        if !self.keys.contains_key(kid) {
            return Err(invalid("active_secret_key", "the id of a key in secret_keys"));
        }
        self.active = Some(String::from(kid));
        Ok(())
    }

    /// Whether the ring has no key (records are then not sealed).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The id of the active key.
    pub fn active(&self) -> Option<&str> {
        self.active.as_deref()
    }

    /// The ids of the ring's keys, in order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// A ring with keys must name its active key.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if !self.keys.is_empty() && self.active.is_none() {
            return Err(invalid("active_secret_key", "the id of a key in secret_keys"));
        }
        Ok(())
    }

    fn key(&self, kid: &str) -> Option<&SecretKey> {
        self.keys.get(kid)
    }

    /// Seals `record` of `service` under the active key with `nonce` (24 random bytes, never
    /// used twice: draw them from the operating system).
    pub fn seal(&self, service: &str, record: &Record, nonce: [u8; NONCE_BYTES]) -> Result<Sealed, Error> {
        if let Record::Sealed(sealed) = record {
            return Ok(Sealed::clone(sealed));
        }
        let kid = self.active.as_deref().ok_or_else(|| Error::storage("no active secret key to seal records with"))?;
        let key = self.key(kid).ok_or_else(|| Error::storage("no active secret key to seal records with"))?;
        let mut sealed = Sealed {
            key: record.key(),
            identity: *record.identity(),
            date_created: record.date_created(),
            version: record.version(),
            service: String::from(service),
            kid: String::from(kid),
            nonce,
            ciphertext: Vec::new(),
        };
        // Encrypted in place: the plaintext's buffer becomes the ciphertext (with its tag).
        let mut buffer = Zeroizing::new(record.to_stored().into_bytes());
        buffer.reserve(16);
        let aad = sealed.additional_data(service);
        let (cipher, nonce) = key.xchacha20_poly1305(&nonce)?;
        cipher
            .seal_in_place_append_tag(nonce, Aad::from(&aad[..]), &mut *buffer)
            .map_err(|_| Error::storage("a record could not be sealed"))?;
        sealed.ciphertext = core::mem::take(&mut *buffer);
        Ok(sealed)
    }

    /// Opens a record of `service` sealed under a key of the ring. A key id not in the ring, a
    /// failed authentication (an altered, moved or misplaced record) and a record that does
    /// not match its envelope are `storage` errors naming the key id and the record.
    pub fn open(&self, service: &str, sealed: &Sealed) -> Result<Record, Error> {
        let key = self.key(&sealed.kid).ok_or_else(|| {
            sealed.error(format!("is sealed under the key {:?}, which is not in the key ring", sealed.kid))
        })?;
        let aad = sealed.additional_data(service);
        let (cipher, nonce) = key.xchacha20_poly1305(&sealed.nonce)?;
        // Opened in place, in a copy that is wiped when dropped.
        let mut buffer = Zeroizing::new(sealed.ciphertext.clone());
        let plain = cipher.open_in_place(nonce, Aad::from(&aad[..]), &mut buffer[..]).map_err(|_| {
            sealed.error(format!(
                "failed authentication under the key {:?}: it was altered, or moved from another record or service",
                sealed.kid
            ))
        })?;
        let text = core::str::from_utf8(plain).map_err(|_| sealed.error(String::from("holds no record")))?;
        let record = Record::from_plain(sealed.key.kind(), text)
            .map_err(|_| sealed.error(String::from("holds a record that cannot be read")))?;
        let agrees = record.key() == sealed.key
            && *record.identity() == sealed.identity
            && record.version() == sealed.version
            && record.date_created() == sealed.date_created;
        if !agrees {
            return Err(sealed.error(String::from("holds a record that disagrees with its envelope")));
        }
        Ok(record)
    }
}

/// A sealed record: the envelope's readable fields (what stores index), the key id, the nonce
/// and the ciphertext of the record's JSON.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The record's key (and so its kind).
    pub key: Key,
    /// The identity it belongs to.
    pub identity: Identity,
    /// When it was created (its place in listings).
    pub date_created: u64,
    /// Its version.
    pub version: u64,
    /// The service it was sealed for.
    pub service: String,
    /// The id of the key it was sealed under.
    pub kid: String,
    nonce: [u8; NONCE_BYTES],
    ciphertext: Vec<u8>,
}

impl core::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sealed")
            .field("key", &self.key)
            .field("version", &self.version)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn bad(field: &'static str, problem: &'static str) -> Error {
    Error::InvalidParameter(crate::error::Invalid::Record { field, problem })
}

impl Sealed {
    fn error(&self, problem: String) -> Error {
        Error::storage(format!("the sealed {} record {} {problem}", self.key.kind().as_str(), self.key.as_str()))
    }

    /// The additional data: each field as its 4-byte little-endian length and its bytes. The
    /// service is the one reading or writing the record, not the envelope's claim.
    fn additional_data(&self, service: &str) -> Vec<u8> {
        let (mut v, mut created, mut version) = ([0; 20], [0; 20], [0; 20]);
        let fields: [&[u8]; 8] = [
            decimal(SEALED_VERSION, &mut v),
            service.as_bytes(),
            self.key.kind().as_str().as_bytes(),
            self.key.as_str().as_bytes(),
            self.identity.as_str().as_bytes(),
            decimal(self.date_created, &mut created),
            decimal(self.version, &mut version),
            self.kid.as_bytes(),
        ];
        let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
        for field in fields {
            // Every field is at most a few dozen bytes.
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field);
        }
        out
    }

    /// The stored form: the envelope as JSON (`"v": 4`). Written directly: every text field
    /// is checked to need no escaping (sids, identities, key ids, service names, Base64).
    pub fn to_stored(&self) -> String {
        let mut out = String::with_capacity(200 + self.ciphertext.len() * 4 / 3);
        out.push_str("{\"v\":");
        push_decimal(&mut out, SEALED_VERSION);
        for (name, value) in [
            ("type", self.key.kind().as_str()),
            ("service", self.service.as_str()),
            ("key", self.key.as_str()),
            ("identity", self.identity.as_str()),
            ("kid", self.kid.as_str()),
        ] {
            push_field(&mut out, name, value);
        }
        out.push_str(",\"date_created\":");
        push_decimal(&mut out, self.date_created);
        out.push_str(",\"version\":");
        push_decimal(&mut out, self.version);
        out.push_str(",\"nonce\":\"");
        BASE64.encode_append(self.nonce, &mut out);
        out.push_str("\",\"sealed\":\"");
        BASE64.encode_append(&self.ciphertext, &mut out);
        out.push_str("\"}");
        out
    }

    /// Reads the envelope of a sealed record of `kind`; `None` when `text` is no envelope (a
    /// plain record, or something a plain record's reader will name the fault of).
    pub(crate) fn parse(kind: Kind, text: &str) -> Result<Option<Sealed>, Error> {
        // Every envelope names its ciphertext: a plain record is told apart without a parse.
        if !text.contains("\"sealed\"") {
            return Ok(None);
        }
        let envelope = Envelope::written(text).or_else(|| serde_json::from_str::<Envelope<'_>>(text).ok());
        let Some(e) = envelope else { return Ok(None) };
        if e.v != SEALED_VERSION {
            return Ok(None);
        }
        if e.kind != kind.as_str() {
            return Err(bad("type", "names another kind of record"));
        }
        let sid = |prefix| Sid::parse(e.key, prefix).ok_or_else(|| bad("key", "is not a valid sid"));
        let key = match kind {
            Kind::Entity => Key::Entity(Identity::parse(e.key).map_err(|_| bad("key", "is not a valid identity"))?),
            Kind::Factor => Key::Factor(sid("YF")?),
            Kind::Challenge => Key::Challenge(sid("YC")?),
            Kind::Tombstone => Key::Tombstone(sid("YF")?),
            Kind::Service => Key::Service(sid("VA")?),
        };
        check_kid(e.kid).map_err(|_| bad("kid", "is not a valid key id"))?;
        if !super::config::valid_service(e.service) {
            return Err(bad("service", "is not a valid service"));
        }
        let mut nonce = [0u8; NONCE_BYTES];
        // Decoded only once its length is known to fit.
        let nonce_read = BASE64.decoded_length(e.nonce.as_bytes()).ok() == Some(NONCE_BYTES)
            && BASE64.decode(e.nonce.as_bytes(), nonce.as_mut_slice().as_out()).is_ok();
        if !nonce_read {
            return Err(bad("nonce", "is not Base64 of 24 bytes"));
        }
        let ciphertext = BASE64
            .decode_to_vec(e.sealed)
            .ok()
            .filter(|c| c.len() >= 16)
            .ok_or_else(|| bad("sealed", "is not Base64 of a ciphertext"))?;
        Ok(Some(Sealed {
            key,
            identity: Identity::parse(e.identity).map_err(|_| bad("identity", "is not a valid identity"))?,
            date_created: e.date_created,
            version: e.version,
            service: String::from(e.service),
            kid: String::from(e.kid),
            nonce,
            ciphertext,
        }))
    }
}

/// A sealed record's envelope as stored: exactly these fields, text without escapes.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    v: u64,
    #[serde(rename = "type")]
    kind: &'a str,
    service: &'a str,
    key: &'a str,
    identity: &'a str,
    date_created: u64,
    version: u64,
    kid: &'a str,
    nonce: &'a str,
    sealed: &'a str,
}

impl<'a> Envelope<'a> {
    /// The envelope as [`Sealed::to_stored`] writes it (these fields in this order, no spaces,
    /// no escapes), read without a JSON parser; `None` for any other spelling, which the JSON
    /// parser then reads or refuses. Every field is checked by [`Sealed::parse`] either way.
    fn written(text: &'a str) -> Option<Envelope<'a>> {
        let mut rest = text.strip_prefix("{\"v\":")?;
        let v = number(&mut rest)?;
        let kind = string_field(&mut rest, "type")?;
        let service = string_field(&mut rest, "service")?;
        let key = string_field(&mut rest, "key")?;
        let identity = string_field(&mut rest, "identity")?;
        let kid = string_field(&mut rest, "kid")?;
        let date_created = number_field(&mut rest, "date_created")?;
        let version = number_field(&mut rest, "version")?;
        let nonce = string_field(&mut rest, "nonce")?;
        // The ciphertext is the rest: Base64, whose reading refuses a quote or an escape.
        let sealed = rest.strip_prefix(",\"sealed\":\"")?.strip_suffix("\"}")?;
        Some(Envelope { v, kind, service, key, identity, date_created, version, kid, nonce, sealed })
    }
}

/// Reads `,"name":` from the front of `rest`.
fn field_name(rest: &mut &str, name: &str) -> Option<()> {
    *rest = rest.strip_prefix(",\"")?.strip_prefix(name)?.strip_prefix("\":")?;
    Some(())
}

/// Reads `,"name":"value"` from the front of `rest`: a value without escapes.
fn string_field<'a>(rest: &mut &'a str, name: &str) -> Option<&'a str> {
    field_name(rest, name)?;
    let (value, after) = rest.strip_prefix('"')?.split_once('"')?;
    *rest = after;
    (!value.contains('\\')).then_some(value)
}

/// Reads `,"name":digits` from the front of `rest`.
fn number_field(rest: &mut &str, name: &str) -> Option<u64> {
    field_name(rest, name)?;
    number(rest)
}

/// Reads a JSON number that is a `u64` (no sign, fraction or leading zero) from the front of
/// `rest`.
fn number(rest: &mut &str) -> Option<u64> {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (text, after) = rest.split_at(digits);
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    *rest = after;
    text.parse().ok()
}

/// Appends `,"name":"value"`; `value` needs no escaping (checked by the caller's types).
fn push_field(out: &mut String, name: &str, value: &str) {
    debug_assert!(value.bytes().all(|b| b != b'"' && b != b'\\' && b >= 0x20));
    out.push_str(",\"");
    out.push_str(name);
    out.push_str("\":\"");
    out.push_str(value);
    out.push('"');
}

/// The decimal digits of `n`, written at the end of `buffer`.
fn decimal(mut n: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buffer[at..];
        }
    }
}

/// Appends the decimal digits of `n`.
fn push_decimal(out: &mut String, n: u64) {
    // Digits are ASCII.
    out.push_str(core::str::from_utf8(decimal(n, &mut [0; 20])).unwrap_or_default());
}

/// Reads the `secret_keys` setting: an object of key id → key, each 32 bytes as Base64 text
/// (settings JSON) or an array of 32 numbers (bytes from a binding).
pub(crate) fn ring_from(value: &Value) -> Result<KeyRing, Error> {
    const EXPECTED: &str = "an object of key id → 32-byte key (bytes, or Base64 text in JSON)";
    let map = value.as_object().ok_or_else(|| invalid("secret_keys", EXPECTED))?;
    let mut ring = KeyRing::new();
    for (kid, key) in map {
        let mut bytes = Zeroizing::new(match key {
            Value::String(text) => BASE64.decode_to_vec(text).map_err(|_| invalid("secret_keys", EXPECTED))?,
            Value::Array(items) => items
                .iter()
                .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| invalid("secret_keys", EXPECTED))?,
            _ => return Err(invalid("secret_keys", EXPECTED)),
        });
        ring.insert(kid, &bytes)?;
        bytes.zeroize();
    }
    Ok(ring)
}

/// Wipes the keys of a `secret_keys` setting in a settings object once it has been read (a
/// binding's copy of what its caller gave).
///
/// ```
/// use watchword_core::service::{wipe_secret_keys, ServiceConfig};
/// let key = vec![7u8; 32];
/// let mut settings = serde_json::json!({"issuer": "Acme", "secret_keys": {"k1": key}, "active_secret_key": "k1"});
/// let map = settings.as_object_mut().unwrap();
/// let config = ServiceConfig::from_map(map).unwrap();
/// wipe_secret_keys(map);
/// assert_eq!(map["secret_keys"]["k1"][0], 0);
/// assert!(!config.secret_keys.is_empty());
/// ```
pub fn wipe_secret_keys(settings: &mut Map<String, Value>) {
    let Some(Value::Object(keys)) = settings.get_mut("secret_keys") else { return };
    for key in keys.values_mut() {
        match key {
            Value::String(text) => text.zeroize(),
            Value::Array(items) => items.iter_mut().for_each(|b| *b = Value::from(0u8)),
            _ => {}
        }
    }
}

/// A new secret key: 32 bytes from the operating system's generator, wiped when dropped.
///
/// ```
/// let key = watchword_core::service::generate_secret_key();
/// assert_ne!(*key, [0; 32]);
/// ```
#[cfg(feature = "std")]
pub fn generate_secret_key() -> Zeroizing<[u8; SECRET_KEY_BYTES]> {
    let mut key = Zeroizing::new([0u8; SECRET_KEY_BYTES]);
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut key[..]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{MemoryStore, NewFactor, ServiceConfig, Store, Verify};
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::XChaCha20Poly1305;

    /// Sealing is XChaCha20-Poly1305 exactly: RustCrypto's implementation, tested against the
    /// draft's vectors, makes the same ciphertext and opens it, and ours opens what it seals.
    #[test]
    fn sealing_is_xchacha20_poly1305() {
        let mut ring = KeyRing::new();
        for (n, kid) in ["k1", "k2"].iter().enumerate() {
            let key: Vec<u8> = (0..32).map(|i| (i * 7 + n * 31) as u8).collect();
            ring.insert(kid, &key).unwrap();
            ring.set_active(kid).unwrap();
            let reference = XChaCha20Poly1305::new(key.as_slice().into());
            let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
            let created = verify.create_factor("user-0001", NewFactor::new("phone"), 1_700_000_000).unwrap();
            let get = |key| verify.store().get("default", &key).unwrap().unwrap();
            let records = [get(Key::Entity(created.factor.identity)), get(Key::Factor(created.factor.sid))];
            for (i, record) in records.iter().enumerate() {
                let nonce: [u8; NONCE_BYTES] = core::array::from_fn(|b| (b * 13 + i + n) as u8);
                let sealed = ring.seal("svc", record, nonce).unwrap();
                let aad = sealed.additional_data("svc");
                let plain = record.to_stored();
                let expected =
                    reference.encrypt((&nonce).into(), Payload { msg: plain.as_bytes(), aad: &aad }).unwrap();
                assert_eq!(sealed.ciphertext, expected);
                let opened =
                    reference.decrypt((&nonce).into(), Payload { msg: &sealed.ciphertext, aad: &aad }).unwrap();
                assert_eq!(opened, plain.as_bytes());
                assert_eq!(&ring.open("svc", &sealed).unwrap(), record);
            }
        }
    }
}
