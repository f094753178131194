//! Stateful fuzzing: any sequence of answers (right, wrong, old and future codes), exports,
//! tampered imports, deletes with re-imports of old copies, unlocks and clock jumps against
//! one factor keeps every invariant of SPEC §5 and §7 (see core/tests/support/model.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/model.rs"]
mod model;

fuzz_target!(|data: &[u8]| {
    let mut run = model::Run::new();
    for pair in data.chunks_exact(2).take(200) {
        run.step(&model::Op::from_bytes(pair[0], pair[1]));
    }
});
