//! Sealing and opening one record (SPEC §10): a verified factor with metadata, sealed under a
//! key of the ring with XChaCha20-Poly1305 (its JSON written, then encrypted; the nonce is
//! given, as the service draws it from its per-thread batch), and opened again (decrypted,
//! then its JSON read and checked against the envelope). Target: at most 2 µs each.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use watchword_core::service::{KeyRing, MemoryStore, NewFactor, Record, ServiceConfig, Store, Verify};
use watchword_core::{Algorithm, Totp};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const IDENTITY: &str = "user-0001-abcd";

/// A verified factor as the store holds it.
fn factor() -> Record {
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    let mut request = NewFactor::new("Ada's phone").secret(SECRET);
    request.metadata = Some(BTreeMap::from([("os".to_string(), "ios".to_string())]));
    let created = verify.create_factor(IDENTITY, request, 0).unwrap();
    let code = Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap().generate(0).unwrap();
    verify.verify_factor(IDENTITY, &created.factor.sid, code.as_str(), 0).unwrap();
    let key = watchword_core::service::Key::Factor(created.factor.sid);
    verify.store().get("default", &key).unwrap().unwrap()
}

fn bench(c: &mut Criterion) {
    let mut ring = KeyRing::new();
    ring.insert("2026-12", &[7; 32]).unwrap();
    ring.set_active("2026-12").unwrap();
    let record = factor();
    let mut group = c.benchmark_group("seal");
    let mut nonce = [0u8; 24];
    group.bench_function("seal_factor", |b| {
        b.iter(|| {
            nonce[0] = nonce[0].wrapping_add(1);
            black_box(ring.seal("default", black_box(&record), nonce).unwrap())
        })
    });
    let sealed = ring.seal("default", &record, [9; 24]).unwrap();
    group.bench_function("open_factor", |b| b.iter(|| black_box(ring.open("default", black_box(&sealed)).unwrap())));
    // As a SQL or host store sees it: the record's text and back, sealed and plain (what a
    // store does without keys), so that the cost sealing adds shows.
    let kind = watchword_core::service::Kind::Factor;
    group.bench_function("seal_factor_to_text", |b| {
        b.iter(|| {
            nonce[0] = nonce[0].wrapping_add(1);
            black_box(Record::from(ring.seal("default", black_box(&record), nonce).unwrap()).to_stored())
        })
    });
    group.bench_function("plain_factor_to_text", |b| b.iter(|| black_box(black_box(&record).to_stored())));
    let text = Record::from(sealed.clone()).to_stored();
    group.bench_function("open_factor_from_text", |b| {
        b.iter(|| match Record::from_stored(kind, black_box(&text)).unwrap() {
            Record::Sealed(sealed) => black_box(ring.open("default", &sealed).unwrap()),
            _ => unreachable!(),
        })
    });
    let plain = record.to_stored();
    group.bench_function("plain_factor_from_text", |b| {
        b.iter(|| black_box(Record::from_stored(kind, black_box(&plain)).unwrap()))
    });
    // A reference measured in the same run: on an idle machine `Totp::generate` takes about
    // 150 ns (bench/results.md), so the ratio to it shows the machine's load.
    let totp = Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap();
    group.bench_function("reference_totp_generate", |b| b.iter(|| black_box(totp.generate(black_box(59)).unwrap())));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
