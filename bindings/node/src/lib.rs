//! watchword for Node.js: the RFC 4226/6238 primitives, Base32, key URIs and the Verify
//! service of `watchword-core`, with TypeScript types. This crate converts types and errors
//! only; every rule lives in core.
#![deny(missing_docs)]

mod args;
mod error;
mod fast;
mod host;
mod instance;
mod json;
mod otp;
mod secret;
mod service;
mod uri;
mod views;

/// Rust's allocations in the addon (JavaScript values keep V8's heap).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use napi::bindgen_prelude::Object;
use napi::Env;
use napi_derive::napi;

pub use error::{error_kinds, verification_results, ErrorKindInfo, VerificationResultInfo};
pub use host::{HostSteps, StoreCursor, StoreWrite};
pub use otp::{
    Hotp, HotpOptions, HotpVerifyOptions, Totp, TotpCheck, TotpCheckOptions, TotpOptions, TotpVerifyOptions,
};
pub use secret::{base32_decode, base32_encode, generate_secret, generate_secret_key};
pub use service::{
    Answered, CreateChallengeOptions, CreateFactorOptions, ListChallengesOptions, ListOptions, NowOptions, SettingInfo,
    UpdateChallengeOptions, UpdateFactorOptions, Verify, VerifySettings,
};
pub use uri::{build_uri, parse_uri, qr_svg, qr_terminal, BuildUriFields, KeyUriFields, QrTerminalOptions};
pub use views::{
    ChallengeDetailField, ChallengeDetails, ChallengeInstance, EntityInstance, FactorBinding, FactorConfig,
    FactorInstance, Nullable, PageOf, Strings, Time,
};

/// Module set-up: defines `WatchwordError` for this environment and installs the fast
/// per-call methods of `Totp` and `Hotp`.
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> napi::Result<()> {
    let set_up = std::panic::AssertUnwindSafe(|| {
        instance::init(&env, &mut exports)?;
        fast::install(&env, &exports)?;
        service::install(&env, &exports)
    });
    std::panic::catch_unwind(set_up).unwrap_or_else(|_| {
        Err(napi::Error::new(napi::Status::GenericFailure, "internal error while loading watchword (please report it)"))
    })
}
