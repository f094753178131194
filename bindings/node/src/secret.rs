//! Secrets and Base32 (RFC 4648): `generateSecret`, `base32Encode`, `base32Decode`.

use napi::bindgen_prelude::{Buffer, Unknown};
use napi::Env;
use napi_derive::napi;
use watchword_core::{base32, Secret};

use crate::args;
use crate::error::boundary;

/// A new random secret from the OS CSPRNG: 20 bytes for SHA-1 (the default), 32 for SHA-256,
/// 64 for SHA-512.
#[napi(ts_args_type = "algorithm?: AlgorithmName")]
pub fn generate_secret(env: Env, algorithm: Unknown) -> napi::Result<Buffer> {
    boundary(&env, || {
        let algorithm = args::algorithm(args::present(algorithm)?, "algorithm")?;
        Ok(Buffer::from(Secret::generate(algorithm).as_bytes()))
    })
}

/// A new secret key for sealed records (`new Verify({ secretKeys, activeSecretKey })`): 32 bytes
/// from the operating system.
#[napi]
pub fn generate_secret_key(env: Env) -> napi::Result<Buffer> {
    boundary(&env, || Ok(Buffer::from(&watchword_core::service::generate_secret_key()[..])))
}

/// Base32 text of `bytes`: upper case, no padding.
#[napi(ts_args_type = "bytes: Uint8Array")]
pub fn base32_encode(env: Env, bytes: Unknown) -> napi::Result<String> {
    boundary(&env, || Ok(base32::encode(&args::bytes(&bytes, "bytes")?)))
}

/// The bytes of Base32 `text`: case-insensitive, spaces and hyphens ignored, padding
/// optional; any other character is an `invalid_parameter` error naming its position.
#[napi(ts_args_type = "text: string")]
pub fn base32_decode(env: Env, text: Unknown) -> napi::Result<Buffer> {
    boundary(&env, || Ok(Buffer::from(base32::decode(&args::string(&text, "text")?)?)))
}
