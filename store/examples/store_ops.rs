//! Times the store operations a challenge with a code costs (a read and a commit), through
//! `Verify` over the store a URL names, on one thread: `cargo run --release --example store_ops URL [N]`.

use std::time::Instant;

use watchword_core::service::{NewChallenge, NewFactor, ServiceConfig, Verify};
use watchword_core::{Algorithm, Totp};

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: store_ops URL [N]");
    let n: u64 = args.next().map_or(2000, |n| n.parse().expect("N is a number"));
    let mut config = ServiceConfig::new("Acme").unwrap();
    config.store = url;
    config.set("challenge_quota_hour", 500).unwrap();
    config.set("challenge_quota_day", 1000).unwrap();
    let verify: Verify<_> = watchword_store::service(config).unwrap();
    let totp = Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap();
    let t0 = 1_700_000_010;
    let factors: Vec<(String, String)> = (0..200)
        .map(|i| {
            let identity = format!("bench-{i:06}-{}", std::process::id());
            let f = verify
                .create_factor(&identity, NewFactor::new("phone").secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), t0)
                .unwrap();
            verify.verify_factor(&identity, &f.factor.sid, totp.generate(t0).unwrap().as_str(), t0).unwrap();
            (identity, f.factor.sid.to_string())
        })
        .collect();
    let started = Instant::now();
    for i in 0..n {
        let (identity, sid) = &factors[(i % 200) as usize];
        let now = t0 + 30 * (i + 1);
        let code = totp.generate(now).unwrap();
        let (_, v) =
            verify.create_challenge(identity, NewChallenge::new(sid).auth_payload(code.as_str()), now).unwrap();
        assert!(v.unwrap().approved());
    }
    let per = started.elapsed() / u32::try_from(n).unwrap();
    println!("{n} challenges with the right code: {per:?} each, {:.0}/s", 1.0 / per.as_secs_f64());
    // The read alone, for comparison: what a commit adds is the rest.
    let started = Instant::now();
    for i in 0..n {
        let (identity, sid) = &factors[(i % 200) as usize];
        verify.fetch_factor(identity, sid).unwrap();
    }
    let per = started.elapsed() / u32::try_from(n).unwrap();
    println!("{n} reads of a factor: {per:?} each");
}
