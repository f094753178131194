//! Every `extern "C"` function's whole body is one `ffi_boundary!` invocation, so no export can
//! let a panic cross into C or skip the last-error bookkeeping. This test reads the sources and
//! fails on any export that does anything outside the macro.

use std::fs;
use std::path::Path;

/// Skips a string, char or comment starting at `i`, returning the index after it, or `None`
/// when `i` starts none of them.
fn skip_literal(src: &[u8], i: usize) -> Option<usize> {
    match src[i] {
        b'/' if src.get(i + 1) == Some(&b'/') => {
            Some(src[i..].iter().position(|&c| c == b'\n').map_or(src.len(), |p| i + p))
        }
        b'/' if src.get(i + 1) == Some(&b'*') => {
            let end = src[i + 2..].windows(2).position(|w| w == b"*/").expect("unterminated comment");
            Some(i + 2 + end + 2)
        }
        b'"' => {
            let mut j = i + 1;
            while src[j] != b'"' {
                j += if src[j] == b'\\' { 2 } else { 1 };
            }
            Some(j + 1)
        }
        // A char literal ('x', '\n', '\''), not a lifetime ('a).
        b'\'' if src.get(i + 2) == Some(&b'\'') => Some(i + 3),
        b'\'' if src.get(i + 1) == Some(&b'\\') => {
            let end = src[i + 2..].iter().position(|&c| c == b'\'').expect("unterminated char");
            Some(i + 2 + end + 1)
        }
        _ => None,
    }
}

/// The index just after the bracket group that opens at `open`.
fn group_end(src: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < src.len() {
        if let Some(next) = skip_literal(src, i) {
            i = next;
            continue;
        }
        match src[i] {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced brackets");
}

/// (function name, body text without its outer braces) of every `extern "C" fn`.
fn exports(src: &str) -> Vec<(String, String)> {
    let bytes = src.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(next) = skip_literal(bytes, i) {
            i = next;
            continue;
        }
        if src[i..].starts_with("extern \"C\"") {
            let rest = &src[i + "extern \"C\"".len()..];
            let rest_trim = rest.trim_start();
            if rest_trim.starts_with("fn(") {
                // A function pointer type (a callback the program gives), not an export.
                i += "extern \"C\"".len();
                continue;
            }
            assert!(
                rest_trim.starts_with("fn "),
                "an `extern \"C\"` block or type is not allowed here: {}",
                &src[i..i + 60]
            );
            let name_start = src.len() - rest_trim.len() + 3;
            let name_len = src[name_start..].find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap();
            let name = src[name_start..name_start + name_len].to_string();
            let params = name_start + src[name_start..].find('(').unwrap();
            let after_params = group_end(bytes, params);
            let body_open = after_params + src[after_params..].find('{').unwrap();
            let body_end = group_end(bytes, body_open);
            found.push((name, src[body_open + 1..body_end - 1].to_string()));
            i = body_end;
            continue;
        }
        i += 1;
    }
    found
}

/// Whether `body` is exactly one `ffi_boundary!(…)` invocation and nothing else.
fn is_wrapped(body: &str) -> bool {
    let body = body.trim();
    let Some(rest) = body.strip_prefix("ffi_boundary!") else { return false };
    let offset = body.len() - rest.len();
    let open = offset + (rest.len() - rest.trim_start().len());
    if !matches!(body.as_bytes().get(open), Some(b'(' | b'{' | b'[')) {
        return false;
    }
    let end = group_end(body.as_bytes(), open);
    body[end..].trim().is_empty()
}

#[test]
fn every_export_runs_inside_the_boundary_macro() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names = Vec::new();
    let mut unwrapped = Vec::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let src = fs::read_to_string(&path).unwrap();
            let count = src.matches("#[no_mangle]").count();
            let found = exports(&src);
            assert_eq!(count, found.len(), "{}: every #[no_mangle] item must be an extern \"C\" fn", path.display());
            for (name, body) in found {
                if !is_wrapped(&body) {
                    unwrapped.push(format!("{}: {name}", path.display()));
                }
                names.push(name);
            }
        }
    }
    assert!(unwrapped.is_empty(), "exports whose body is not one ffi_boundary! invocation: {unwrapped:#?}");
    // The scan really found the exports (and the header declares each of them).
    assert!(names.len() >= 55, "only {} exports found", names.len());
    let header = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/watchword.h")).unwrap();
    for name in &names {
        let declared = header.contains(&format!(" {name}(")) || header.contains(&format!("*{name}("));
        assert!(declared, "{name} is missing from include/watchword.h (run make header)");
    }
}

#[test]
fn the_checker_rejects_unwrapped_bodies() {
    let src = r#"
        #[no_mangle]
        pub extern "C" fn good(a: *const u8) -> ww_status {
            ffi_boundary!({ let s = "}"; let c = '}'; Ok(()) })
        }
        #[no_mangle]
        pub extern "C" fn early(a: *const u8) -> ww_status {
            if a.is_null() { return ww_status::NullArgument; }
            ffi_boundary!({ Ok(()) })
        }
        #[no_mangle]
        pub extern "C" fn late(a: *const u8) -> u32 {
            ffi_boundary!(value(0), { 1 });
            unsafe { *a as u32 }
        }
        #[no_mangle]
        pub extern "C" fn bare() -> u32 { 7 }
    "#;
    let found = exports(src);
    let verdicts: Vec<(&str, bool)> = found.iter().map(|(n, b)| (n.as_str(), is_wrapped(b))).collect();
    assert_eq!(verdicts, [("good", true), ("early", false), ("late", false), ("bare", false)]);
}
