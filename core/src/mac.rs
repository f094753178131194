//! HMAC with the key's inner and outer states computed once (RFC 2104).
//!
//! `HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m))`. The first block of each hash depends
//! only on the key, so both are compressed once when the key is set up; an 8-byte counter then
//! costs one inner block (counter + padding) and one outer block (inner digest + padding).

use sha1::digest::generic_array::GenericArray;
use sha1::Digest;
use zeroize::Zeroize;

use crate::Algorithm;

const SHA1_IV: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
const SHA256_IV: [u32; 8] =
    [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];
const SHA512_IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// The key-dependent HMAC states of one secret. Zeroized on drop: they are key material.
#[derive(Clone)]
pub(crate) enum KeyState {
    Sha1 { inner: [u32; 5], outer: [u32; 5] },
    Sha256 { inner: [u32; 8], outer: [u32; 8] },
    Sha512 { inner: [u64; 8], outer: [u64; 8] },
}

impl Drop for KeyState {
    fn drop(&mut self) {
        match self {
            KeyState::Sha1 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            KeyState::Sha256 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            KeyState::Sha512 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
        }
    }
}

fn sha1_block(state: &mut [u32; 5], block: &[u8; 64]) {
    sha1::compress(state, core::slice::from_ref(GenericArray::from_slice(block)));
}

fn sha256_block(state: &mut [u32; 8], block: &[u8; 64]) {
    sha2::compress256(state, core::slice::from_ref(GenericArray::from_slice(block)));
}

fn sha512_block(state: &mut [u64; 8], block: &[u8; 128]) {
    sha2::compress512(state, core::slice::from_ref(GenericArray::from_slice(block)));
}

/// Fills `pad` with the key, hashed first when longer than the block, XOR-ed with `byte`.
fn padded_key<const B: usize>(key: &[u8], hashed: &[u8], byte: u8) -> [u8; B] {
    let k = if key.len() > B { hashed } else { key };
    let mut pad = [byte; B];
    for (p, k) in pad.iter_mut().zip(k) {
        *p ^= k;
    }
    pad
}

impl KeyState {
    /// The hash algorithm these states are of.
    #[cfg(feature = "std")]
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            KeyState::Sha1 { .. } => Algorithm::Sha1,
            KeyState::Sha256 { .. } => Algorithm::Sha256,
            KeyState::Sha512 { .. } => Algorithm::Sha512,
        }
    }

    /// Sets up the key. Any key length is accepted here; callers enforce their own limits.
    pub(crate) fn new(algorithm: Algorithm, key: &[u8]) -> KeyState {
        match algorithm {
            Algorithm::Sha1 => {
                let mut hashed = [0u8; 20];
                if key.len() > 64 {
                    hashed.copy_from_slice(&sha1::Sha1::digest(key));
                }
                let (mut inner, mut outer) = (SHA1_IV, SHA1_IV);
                let mut ipad = padded_key::<64>(key, &hashed, 0x36);
                let mut opad = padded_key::<64>(key, &hashed, 0x5c);
                sha1_block(&mut inner, &ipad);
                sha1_block(&mut outer, &opad);
                ipad.zeroize();
                opad.zeroize();
                hashed.zeroize();
                KeyState::Sha1 { inner, outer }
            }
            Algorithm::Sha256 => {
                let mut hashed = [0u8; 32];
                if key.len() > 64 {
                    hashed.copy_from_slice(&sha2::Sha256::digest(key));
                }
                let (mut inner, mut outer) = (SHA256_IV, SHA256_IV);
                let mut ipad = padded_key::<64>(key, &hashed, 0x36);
                let mut opad = padded_key::<64>(key, &hashed, 0x5c);
                sha256_block(&mut inner, &ipad);
                sha256_block(&mut outer, &opad);
                ipad.zeroize();
                opad.zeroize();
                hashed.zeroize();
                KeyState::Sha256 { inner, outer }
            }
            Algorithm::Sha512 => {
                let mut hashed = [0u8; 64];
                if key.len() > 128 {
                    hashed.copy_from_slice(&sha2::Sha512::digest(key));
                }
                let (mut inner, mut outer) = (SHA512_IV, SHA512_IV);
                let mut ipad = padded_key::<128>(key, &hashed, 0x36);
                let mut opad = padded_key::<128>(key, &hashed, 0x5c);
                sha512_block(&mut inner, &ipad);
                sha512_block(&mut outer, &opad);
                ipad.zeroize();
                opad.zeroize();
                hashed.zeroize();
                KeyState::Sha512 { inner, outer }
            }
        }
    }

    /// HMAC of the 8-byte big-endian `counter`, dynamically truncated (RFC 4226 §5.3): the
    /// offset is the low nibble of the last byte of the full HMAC output, for every hash.
    pub(crate) fn truncate(&self, counter: u64) -> u32 {
        let c = counter.to_be_bytes();
        match self {
            KeyState::Sha1 { inner, outer } => {
                let mut block = [0u8; 64];
                block[..8].copy_from_slice(&c);
                block[8] = 0x80;
                block[56..].copy_from_slice(&((64u64 + 8) * 8).to_be_bytes());
                let mut h = *inner;
                sha1_block(&mut h, &block);
                let mut block = [0u8; 64];
                for (chunk, word) in block[..20].chunks_exact_mut(4).zip(h) {
                    chunk.copy_from_slice(&word.to_be_bytes());
                }
                block[20] = 0x80;
                block[56..].copy_from_slice(&((64u64 + 20) * 8).to_be_bytes());
                let mut h = *outer;
                sha1_block(&mut h, &block);
                let mut out = [0u8; 20];
                for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
                    chunk.copy_from_slice(&word.to_be_bytes());
                }
                dynamic_truncation(&out)
            }
            KeyState::Sha256 { inner, outer } => {
                let mut block = [0u8; 64];
                block[..8].copy_from_slice(&c);
                block[8] = 0x80;
                block[56..].copy_from_slice(&((64u64 + 8) * 8).to_be_bytes());
                let mut h = *inner;
                sha256_block(&mut h, &block);
                let mut block = [0u8; 64];
                for (chunk, word) in block[..32].chunks_exact_mut(4).zip(h) {
                    chunk.copy_from_slice(&word.to_be_bytes());
                }
                block[32] = 0x80;
                block[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
                let mut h = *outer;
                sha256_block(&mut h, &block);
                let mut out = [0u8; 32];
                for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
                    chunk.copy_from_slice(&word.to_be_bytes());
                }
                dynamic_truncation(&out)
            }
            KeyState::Sha512 { inner, outer } => {
                let mut block = [0u8; 128];
                block[..8].copy_from_slice(&c);
                block[8] = 0x80;
                block[112..].copy_from_slice(&((128u128 + 8) * 8).to_be_bytes());
                let mut h = *inner;
                sha512_block(&mut h, &block);
                let mut block = [0u8; 128];
                for (chunk, word) in block[..64].chunks_exact_mut(8).zip(h) {
                    chunk.copy_from_slice(&word.to_be_bytes());
                }
                block[64] = 0x80;
                block[112..].copy_from_slice(&((128u128 + 64) * 8).to_be_bytes());
                let mut h = *outer;
                sha512_block(&mut h, &block);
                let mut out = [0u8; 64];
                for (chunk, word) in out.chunks_exact_mut(8).zip(h) {
                    chunk.copy_from_slice(&word.to_be_bytes());
                }
                dynamic_truncation(&out)
            }
        }
    }
}

/// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) of one 32-byte output block, for a salt of up to 51
/// bytes: the password's HMAC states are set up once, then each iteration costs exactly two
/// SHA-256 blocks (inner: the previous U and padding; outer: the inner digest and padding).
#[cfg(feature = "alloc")]
pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let KeyState::Sha256 { inner, outer } = KeyState::new(Algorithm::Sha256, password) else {
        unreachable!("a SHA-256 key has SHA-256 states")
    };
    // U1 = HMAC(P, S || INT(1)): one inner block (a salt of at most 51 bytes fits), one outer.
    // Callers pass 16-byte salts.
    debug_assert!(salt.len() <= 51, "a PBKDF2 salt of at most 51 bytes");
    let salt = &salt[..salt.len().min(51)];
    let mut block = [0u8; 64];
    block[..salt.len()].copy_from_slice(salt);
    block[salt.len()..salt.len() + 4].copy_from_slice(&1u32.to_be_bytes());
    block[salt.len() + 4] = 0x80;
    block[56..].copy_from_slice(&((64 + salt.len() as u64 + 4) * 8).to_be_bytes());
    let mut h = inner;
    sha256_block(&mut h, &block);
    // Every later block hashes 32 bytes after the key's block: the padding stays in place.
    block = [0u8; 64];
    block[32] = 0x80;
    block[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
    let mut u = [0u32; 8];
    let mut t = [0u32; 8];
    for i in 0..iterations {
        if i > 0 {
            for (chunk, word) in block[..32].chunks_exact_mut(4).zip(u) {
                chunk.copy_from_slice(&word.to_be_bytes());
            }
            h = inner;
            sha256_block(&mut h, &block);
        }
        for (chunk, word) in block[..32].chunks_exact_mut(4).zip(h) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        u = outer;
        sha256_block(&mut u, &block);
        for (t, u) in t.iter_mut().zip(u) {
            *t ^= u;
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(t) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    block.zeroize();
    h.zeroize();
    u.zeroize();
    t.zeroize();
    out
}

fn dynamic_truncation(mac: &[u8]) -> u32 {
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    u32::from_be_bytes([mac[offset], mac[offset + 1], mac[offset + 2], mac[offset + 3]]) & 0x7fff_ffff
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};

    fn reference(algorithm: Algorithm, key: &[u8], counter: u64) -> u32 {
        let msg = counter.to_be_bytes();
        let out: alloc_free::Out = match algorithm {
            Algorithm::Sha1 => {
                let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
                m.update(&msg);
                alloc_free::Out::from(&m.finalize().into_bytes()[..])
            }
            Algorithm::Sha256 => {
                let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
                m.update(&msg);
                alloc_free::Out::from(&m.finalize().into_bytes()[..])
            }
            Algorithm::Sha512 => {
                let mut m = Hmac::<sha2::Sha512>::new_from_slice(key).unwrap();
                m.update(&msg);
                alloc_free::Out::from(&m.finalize().into_bytes()[..])
            }
        };
        dynamic_truncation(out.as_slice())
    }

    mod alloc_free {
        pub struct Out([u8; 64], usize);
        impl From<&[u8]> for Out {
            fn from(s: &[u8]) -> Out {
                let mut b = [0u8; 64];
                b[..s.len()].copy_from_slice(s);
                Out(b, s.len())
            }
        }
        impl Out {
            pub fn as_slice(&self) -> &[u8] {
                &self.0[..self.1]
            }
        }
    }

    #[test]
    fn pbkdf2_matches_the_pbkdf2_crate() {
        let password: [u8; 100] = core::array::from_fn(|i| (i * 11 + 5) as u8);
        for (len, salt_len, iterations) in
            [(10, 16, 1), (10, 16, 2), (10, 16, 1000), (0, 0, 3), (64, 51, 7), (65, 1, 5), (100, 20, 17)]
        {
            let salt = &password[..salt_len];
            let mut expected = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&password[..len], salt, iterations, &mut expected);
            assert_eq!(pbkdf2_sha256(&password[..len], salt, iterations), expected, "{len} {salt_len} {iterations}");
        }
        // RFC 7914 §11: PBKDF2-HMAC-SHA256("passwd", "salt", 1), the first 32 bytes.
        let first = pbkdf2_sha256(b"passwd", b"salt", 1);
        assert_eq!(first[..8], [0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f]);
    }

    #[test]
    fn matches_the_hmac_crate_for_every_key_length_and_algorithm() {
        let key: [u8; 200] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        for algorithm in Algorithm::ALL {
            for len in [1usize, 10, 20, 32, 63, 64, 65, 100, 127, 128, 129, 200] {
                let state = KeyState::new(algorithm, &key[..len]);
                for counter in [0u64, 1, 59, u32::MAX as u64 + 1, u64::MAX] {
                    assert_eq!(
                        state.truncate(counter),
                        reference(algorithm, &key[..len], counter),
                        "{algorithm} key length {len} counter {counter}"
                    );
                }
            }
        }
    }
}
