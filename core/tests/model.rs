//! A model-based property test of the service's invariants: random sequences of answers with
//! right, wrong, old and future codes, exports, tampered imports, deletes with re-imports of
//! old copies, unlocks and clock jumps, against one factor (see `support/model.rs`).

mod support;

use proptest::prelude::*;
use support::model::{Op, Run};

/// Operations as the fuzz target reads them: two bytes each.
fn op() -> impl Strategy<Value = Op> {
    (any::<u8>(), any::<u8>()).prop_map(|(kind, arg)| Op::from_bytes(kind, arg))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_under_any_sequence(ops in proptest::collection::vec(op(), 1..60)) {
        let mut run = Run::new();
        for op in &ops {
            run.step(op);
        }
    }
}

/// Every input the fuzz target ever failed on (core/fuzz/regressions/sequence) passes now.
#[test]
fn fuzz_findings_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/sequence");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let mut run = Run::new();
        for pair in data.chunks_exact(2) {
            run.step(&Op::from_bytes(pair[0], pair[1]));
        }
        replayed += 1;
    }
    assert!(replayed > 0, "no regression inputs in {}", dir.display());
}
