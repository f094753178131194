use std::hint::black_box;
use std::time::Instant;
use watchword_core::service::*;
fn min_ns(mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..400 {
        let t = Instant::now();
        for _ in 0..100 { f(); }
        best = best.min(t.elapsed().as_nanos() as f64 / 100.0);
    }
    best
}
fn main() {
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    let mut req = NewFactor::new("Ada's phone");
    req.metadata = Some([("os".to_string(), "ios".to_string())].into());
    let created = verify.create_factor("user-0001-abcd", req, 0).unwrap();
    let rec = verify.store().get("default", &Key::Factor(created.factor.sid)).unwrap().unwrap();
    let mut ring = KeyRing::new(); ring.insert("2026-12", &[7;32]).unwrap(); ring.set_active("2026-12").unwrap();
    let sealed = ring.seal("default", &rec, [1;24]).unwrap();
    let text = Record::Sealed(sealed.clone()).to_stored();
    let plain = rec.to_stored();
    let totp = watchword_core::Totp::new(b"12345678901234567890", watchword_core::Algorithm::Sha1, 6, 30).unwrap();
    println!("totp generate      {:8.0} ns", min_ns(|| { black_box(totp.generate(black_box(59)).unwrap()); }));
    println!("plain to text      {:8.0} ns", min_ns(|| { black_box(black_box(&rec).to_stored()); }));
    println!("plain from text    {:8.0} ns", min_ns(|| { black_box(Record::from_stored(Kind::Factor, black_box(&plain)).unwrap()); }));
    println!("seal               {:8.0} ns", min_ns(|| { black_box(ring.seal("default", black_box(&rec), [2;24]).unwrap()); }));
    println!("seal to text       {:8.0} ns", min_ns(|| { black_box(Record::Sealed(ring.seal("default", black_box(&rec), [2;24]).unwrap()).to_stored()); }));
    println!("open               {:8.0} ns", min_ns(|| { black_box(ring.open("default", black_box(&sealed)).unwrap()); }));
    println!("open from text     {:8.0} ns", min_ns(|| { if let Record::Sealed(s) = Record::from_stored(Kind::Factor, black_box(&text)).unwrap() { black_box(ring.open("default", &s).unwrap()); } }));
    println!("envelope to text   {:8.0} ns", min_ns(|| { black_box(black_box(&sealed).to_stored()); }));
    {
        use chacha20poly1305::aead::{AeadInPlace, KeyInit};
        let c = chacha20poly1305::XChaCha20Poly1305::new(&[7u8; 32].into());
        let mut buf = plain.clone().into_bytes();
        println!("encrypt in place   {:8.0} ns", min_ns(|| { buf.truncate(plain.len()); black_box(c.encrypt_in_place(&[1u8;24].into(), b"aad", &mut buf).unwrap()); }));
        let c2 = chacha20poly1305::ChaCha20Poly1305::new(&[7u8; 32].into());
        println!("chacha20poly1305   {:8.0} ns", min_ns(|| { buf.truncate(plain.len()); black_box(c2.encrypt_in_place(&[1u8;12].into(), b"aad", &mut buf).unwrap()); }));
        println!("new cipher         {:8.0} ns", min_ns(|| { black_box(chacha20poly1305::XChaCha20Poly1305::new(black_box(&[7u8; 32].into()))); }));
    }
    println!("plaintext {} bytes, envelope {} bytes", plain.len(), text.len());
}
