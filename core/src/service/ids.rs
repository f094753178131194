//! Identifiers held inline: a [`Sid`] or an [`Identity`] is a fixed-size value, so records
//! are copied, compared and used as map keys without allocating. Both read as `&str`
//! (`Deref`), compare with strings, and serialize as their text.

use alloc::string::String;
use core::fmt;
use core::ops::Deref;

use super::invalid;
use crate::Error;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A resource identifier: a two-letter prefix (`YE` entity, `YF` factor, `YC` challenge)
/// followed by 32 lowercase hex characters.
///
/// ```
/// use watchword_core::service::Sid;
/// let sid = Sid::parse("YF0123456789abcdef0123456789abcdef", "YF").unwrap();
/// assert_eq!(sid, "YF0123456789abcdef0123456789abcdef");
/// assert_eq!(sid.len(), 34);
/// assert!(Sid::parse("YF0123456789ABCDEF0123456789abcdef", "YF").is_none());
/// assert!(Sid::parse("YC0123456789abcdef0123456789abcdef", "YF").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sid([u8; Sid::LEN]);

impl core::hash::Hash for Sid {
    /// The 32 hex characters as two fixed-size words, not as a slice of any length: the keys of
    /// one map share their prefix, so it adds nothing a hash needs (equality compares it).
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        for at in [2, 18] {
            let mut word = [0u8; 16];
            word.copy_from_slice(&self.0[at..at + 16]);
            state.write_u128(u128::from_le_bytes(word));
        }
    }
}

impl Sid {
    /// Every sid's length in bytes.
    pub const LEN: usize = 34;

    /// The sid with `prefix` whose hex part spells `random`.
    pub(crate) fn new(prefix: &str, random: [u8; 16]) -> Sid {
        let mut bytes = [0u8; Sid::LEN];
        bytes[..2].copy_from_slice(&prefix.as_bytes()[..2]);
        for (pair, b) in bytes[2..].chunks_exact_mut(2).zip(random) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 15)];
        }
        Sid(bytes)
    }

    /// `text` as a sid when it is `prefix` followed by 32 lowercase hex characters.
    pub fn parse(text: &str, prefix: &str) -> Option<Sid> {
        let bytes = text.as_bytes();
        let ok = bytes.len() == Sid::LEN
            && prefix.len() == 2
            && text.starts_with(prefix)
            && bytes[2..].iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
        ok.then(|| {
            let mut out = [0u8; Sid::LEN];
            out.copy_from_slice(bytes);
            Sid(out)
        })
    }

    /// The sid's bytes (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The sid as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (checked in `parse`, hex digits in `new`).
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// A sid in 18 bytes: its two prefix bytes, then the 16 bytes its hex digits spell. What a
/// store that holds many sids keeps, at about half a [`Sid`]'s size; it turns back into the
/// same sid.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct PackedSid([u8; 18]);

impl PackedSid {
    /// The sid it packs.
    pub(crate) fn unpack(&self) -> Sid {
        let mut bytes = [0u8; Sid::LEN];
        bytes[..2].copy_from_slice(&self.0[..2]);
        for (pair, b) in bytes[2..].chunks_exact_mut(2).zip(&self.0[2..]) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 15)];
        }
        Sid(bytes)
    }
}

impl From<&Sid> for PackedSid {
    fn from(sid: &Sid) -> PackedSid {
        // A sid's hex digits are lowercase (`Sid::parse`, `Sid::new`): '0'–'9' keep their low
        // four bits, 'a'–'f' (0x61–0x66) add 9 to theirs.
        let nibble = |c: u8| (c & 15) + if c >= b'a' { 9 } else { 0 };
        let mut packed = [0u8; 18];
        packed[..2].copy_from_slice(&sid.0[..2]);
        for (b, pair) in packed[2..].iter_mut().zip(sid.0[2..].chunks_exact(2)) {
            *b = nibble(pair[0]) << 4 | nibble(pair[1]);
        }
        PackedSid(packed)
    }
}

impl core::hash::Hash for PackedSid {
    /// The 16 bytes as one word; the prefix, shared by the keys of one map, is left to equality.
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        let mut word = [0u8; 16];
        word.copy_from_slice(&self.0[2..]);
        state.write_u128(u128::from_le_bytes(word));
    }
}

impl fmt::Debug for PackedSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.unpack(), f)
    }
}

/// The host's immutable user id: 8–64 dash-separated ASCII letters and digits (no PII).
///
/// ```
/// use watchword_core::service::Identity;
/// let id = Identity::parse("ff483d1f-f591-898a").unwrap();
/// assert_eq!(id.as_str(), "ff483d1f-f591-898a");
/// assert!(Identity::parse("short").is_err());
/// assert!(Identity::parse("two--dashes").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// Unused bytes stay zero, so equality of the arrays is equality of the texts.
    bytes: [u8; Identity::MAX_LEN],
    len: u8,
}

impl Identity {
    /// The longest identity, in bytes.
    pub const MAX_LEN: usize = 64;

    /// `text` as an identity, or an invalid-parameter error naming `identity`.
    pub fn parse(text: &str) -> Result<Identity, Error> {
        // One pass: letters and digits, single dashes between them.
        let mut ok = (8..=Identity::MAX_LEN).contains(&text.len());
        let mut after_dash = true;
        for &b in text.as_bytes() {
            if b == b'-' {
                ok &= !after_dash;
                after_dash = true;
            } else {
                ok &= b.is_ascii_alphanumeric();
                after_dash = false;
            }
        }
        if !ok || after_dash {
            return Err(invalid("identity", "8 to 64 dash-separated ASCII letters and digits, e.g. a UUID"));
        }
        let mut bytes = [0u8; Identity::MAX_LEN];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Ok(Identity { bytes, len: text.len() as u8 })
    }

    /// The identity's bytes (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The identity as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (checked in `parse`).
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl core::hash::Hash for Identity {
    /// The text alone: the zero bytes after it add nothing.
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialOrd for Identity {
    fn partial_cmp(&self, other: &Identity) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Identity {
    fn cmp(&self, other: &Identity) -> core::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// The text traits both identifier types share: read, compare, print and serialize
/// exactly as their string.
macro_rules! text_like {
    ($t:ty) => {
        impl Deref for $t {
            type Target = str;
            fn deref(&self) -> &str {
                self.as_str()
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.as_bytes() == other.as_bytes()
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_bytes() == other.as_bytes()
            }
        }

        impl PartialEq<String> for $t {
            fn eq(&self, other: &String) -> bool {
                self.as_bytes() == other.as_bytes()
            }
        }

        impl PartialEq<$t> for str {
            fn eq(&self, other: &$t) -> bool {
                other == self
            }
        }

        impl PartialEq<$t> for &str {
            fn eq(&self, other: &$t) -> bool {
                other == self
            }
        }

        impl PartialEq<$t> for String {
            fn eq(&self, other: &$t) -> bool {
                other == self
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl From<$t> for String {
            fn from(id: $t) -> String {
                String::from(id.as_str())
            }
        }
    };
}

text_like!(Sid);
text_like!(Identity);

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;

    #[test]
    fn packed_sids_turn_back_into_the_same_sid() {
        let sids = (0..=255u8).map(|b| Sid::new("YC", core::array::from_fn(|i| b.wrapping_mul(i as u8 + 1))));
        let mut seen = BTreeSet::new();
        for sid in sids.chain([Sid::parse("YF0123456789abcdef0123456789abcdef", "YF").unwrap()]) {
            let packed = PackedSid::from(&sid);
            assert_eq!(packed.unpack(), sid);
            assert!(seen.insert(packed.0), "{sid} packs like another sid");
        }
        assert_ne!(PackedSid::from(&Sid::new("YC", [7; 16])), PackedSid::from(&Sid::new("YF", [7; 16])));
    }

    #[test]
    fn sids_spell_their_bytes_and_order_like_their_text() {
        let a = Sid::new("YC", [0x0f; 16]);
        let b = Sid::new("YC", [0xa0; 16]);
        assert_eq!(a.as_str(), "YC0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f");
        assert_eq!(Sid::parse(a.as_str(), "YC"), Some(a));
        assert_eq!(a < b, a.as_str() < b.as_str());
        assert_eq!(alloc::format!("{a:?}"), alloc::format!("{:?}", a.as_str()));
        for bad in [
            "",
            "YC",
            "YC0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0",
            "YC0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0fff",
            "YCé0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f",
        ] {
            assert_eq!(Sid::parse(bad, "YC"), None, "{bad}");
        }
    }

    #[test]
    fn identities_order_hash_and_compare_like_their_text() {
        let texts = ["user-0001", "user-00010", "user-0002", "ZZZZZZZZ", "a1b2c3d4-e5f6", &"x".repeat(64)];
        let ids: BTreeSet<Identity> = texts.iter().map(|t| Identity::parse(t).unwrap()).collect();
        let sorted: BTreeSet<&str> = texts.iter().copied().collect();
        assert!(ids.iter().map(Identity::as_str).eq(sorted.iter().copied()));
        for t in texts {
            let id = Identity::parse(t).unwrap();
            let owned = String::from(t);
            assert_eq!(id, t);
            assert_eq!(t, id);
            assert_eq!(id, owned);
            assert_eq!(owned, id);
            assert_ne!(id, "user-0001-x");
            assert_ne!("user-0001-x", id);
        }
        assert!(Identity::parse(&"x".repeat(65)).is_err());
        for bad in ["-user-0001", "user-0001-", "user--0001", "user_0001", "user 0001", "ünïcode-00", "--------"] {
            assert!(Identity::parse(bad).is_err(), "{bad}");
        }
    }
}
