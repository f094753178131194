//! The fastest of many short runs of sealing and opening one factor record, beside its plain
//! text: on a machine other work shares, the minimum is what the code costs (criterion's medians
//! in `benches/seal.rs` include the waits). `cargo run --release -p watchword-core --example
//! seal_fastest`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use watchword_core::service::{Key, KeyRing, Kind, MemoryStore, NewFactor, Record, ServiceConfig, Store, Verify};

/// Nanoseconds per call of `f`: the fastest of 400 runs of 100 calls.
fn fastest(mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..400 {
        let start = Instant::now();
        for _ in 0..100 {
            f();
        }
        best = best.min(start.elapsed().as_nanos() as f64 / 100.0);
    }
    best
}

fn main() {
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    let mut request = NewFactor::new("Ada's phone");
    request.metadata = Some(BTreeMap::from([("os".to_string(), "ios".to_string())]));
    let created = verify.create_factor("user-0001-abcd", request, 0).unwrap();
    let record = verify.store().get("default", &Key::Factor(created.factor.sid)).unwrap().unwrap();
    let mut ring = KeyRing::new();
    ring.insert("2026-12", &[7; 32]).unwrap();
    ring.set_active("2026-12").unwrap();
    let sealed = Record::from(ring.seal("default", &record, [1; 24]).unwrap()).to_stored();
    let plain = record.to_stored();
    let totp = watchword_core::Totp::new(b"12345678901234567890", watchword_core::Algorithm::Sha1, 6, 30).unwrap();
    let report = |what: &str, ns: f64| println!("{what:<32} {ns:>8.0} ns");
    report("reference: Totp::generate", fastest(|| drop(black_box(totp.generate(black_box(59))))));
    report("plain record to text", fastest(|| drop(black_box(black_box(&record).to_stored()))));
    report("plain record from text", fastest(|| drop(black_box(Record::from_stored(Kind::Factor, black_box(&plain))))));
    report(
        "sealed record to text",
        fastest(|| {
            let sealed = ring.seal("default", black_box(&record), [2; 24]).unwrap();
            drop(black_box(Record::from(sealed).to_stored()));
        }),
    );
    report(
        "sealed record from text",
        fastest(|| {
            if let Ok(Record::Sealed(s)) = Record::from_stored(Kind::Factor, black_box(&sealed)) {
                drop(black_box(ring.open("default", &s)));
            }
        }),
    );
    let Ok(Record::Sealed(envelope)) = Record::from_stored(Kind::Factor, &sealed) else { panic!("not sealed") };
    let typed = Record::Sealed(envelope.clone());
    report("  of which: the envelope to text", fastest(|| drop(black_box(black_box(&typed).to_stored()))));
    report(
        "  of which: the envelope from text",
        fastest(|| drop(black_box(Record::from_stored(Kind::Factor, black_box(&sealed))))),
    );
    report("  of which: opening the envelope", fastest(|| drop(black_box(ring.open("default", black_box(&envelope))))));
    println!("plain text {} bytes, sealed text {} bytes", plain.len(), sealed.len());
}
