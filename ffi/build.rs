//! Gives the shared library its SONAME, `libwatchword.so.<ABI version>`, so programs linked
//! against it keep working across releases that keep the ABI.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "android" || os.ends_with("bsd") {
        // Keep in step with WW_ABI_VERSION (a test in src/lib.rs checks the SONAME matches).
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libwatchword.so.0");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
