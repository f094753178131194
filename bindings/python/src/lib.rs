//! `watchword._native`: the Python face of watchword-core. Conversion code only: every rule of
//! behaviour lives in core.

use pyo3::prelude::*;

/// Rust's allocations in the extension (Python objects keep Python's allocator).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod convert;
mod errors;
mod host;
mod methods;
mod otp;
mod service;
mod uri;
mod views;

#[pymodule]
mod _native {
    use super::*;

    #[pymodule_export]
    use crate::errors::{panic_for_tests, sample_error};
    #[pymodule_export]
    use crate::host::{Steps, Write};
    #[pymodule_export]
    use crate::methods::operation;
    #[pymodule_export]
    use crate::otp::{base32_decode, base32_encode, generate_secret, generate_secret_key, Check, Hotp, Totp};
    #[pymodule_export]
    use crate::service::{unix_seconds, Service};
    #[pymodule_export]
    use crate::uri::{qr_svg, qr_terminal, KeyUri};
    #[pymodule_export]
    use crate::views::{Binding, Challenge, Entity, Factor, FactorConfig};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        errors::register(m)?;
        m.add("SETTINGS", service::settings(m.py())?)?;
        m.add("OPERATIONS", service::operations(m.py())?)?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}
