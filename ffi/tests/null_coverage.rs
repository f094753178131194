//! The C test `tests/c/test_abi.c` passes NULL for every pointer argument of every function the
//! header declares. This test fails when a function with pointer arguments is added to the header
//! without a NULL check there, or when a NULL check passes fewer NULLs than the function has
//! pointer arguments.

use std::fs;
use std::path::Path;

/// (name, number of pointer parameters) of every function declared in the header.
fn declarations(header: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut rest = header;
    while let Some(open) = rest.find('(') {
        let before = &rest[..open];
        let name_start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        let name = &before[name_start..];
        let close = open + rest[open..].find(')').unwrap();
        let params = &rest[open + 1..close];
        let after = rest[close + 1..].trim_start();
        if name.starts_with("ww_") && after.starts_with(';') {
            let pointers = params.split(',').filter(|p| p.contains('*')).count();
            found.push((name.to_string(), pointers));
        }
        rest = &rest[close + 1..];
    }
    found
}

#[test]
fn test_abi_passes_null_for_every_pointer_argument() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let header = fs::read_to_string(root.join("include/watchword.h")).unwrap();
    let test = fs::read_to_string(root.join("tests/c/test_abi.c")).unwrap();
    let functions = declarations(&header);
    assert!(functions.len() >= 55, "only {} declarations found", functions.len());
    let mut missing = Vec::new();
    for (name, pointers) in functions {
        if pointers == 0 {
            continue;
        }
        // `_free` functions take NULL as a no-op (checked in test_free_null).
        let calls: Vec<&str> = test.split(&format!("{name}(")).skip(1).collect();
        if name.ends_with("_free") {
            if !calls.iter().any(|c| c.starts_with("NULL)")) {
                missing.push(format!("{name}(NULL)"));
            }
            continue;
        }
        // Each pointer argument NULL once: at least `pointers` calls with a NULL among their
        // arguments, each with the NULL in a different position.
        let mut positions = std::collections::BTreeSet::new();
        for call in calls {
            let args = &call[..call.find(')').unwrap_or(call.len())];
            for (i, arg) in args.split(',').enumerate() {
                if arg.trim() == "NULL" {
                    positions.insert(i);
                }
            }
        }
        if positions.len() < pointers {
            missing.push(format!("{name}: NULL in {} of {pointers} pointer positions", positions.len()));
        }
    }
    assert!(missing.is_empty(), "tests/c/test_abi.c lacks NULL checks: {missing:#?}");
}
