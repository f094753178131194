//! Exercises the no_std surface of watchword-core so that all of it is compiled here.
#![no_std]

use core::panic::PanicInfo;
use watchword_core::{base32, Algorithm, Check, Hotp, Secret, Totp};

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    loop {}
}

#[cfg(feature = "alloc")]
mod heap {
    use core::alloc::{GlobalAlloc, Layout};

    /// An allocator that never hands out memory: this crate is only built, never run.
    struct Refuse;

    unsafe impl GlobalAlloc for Refuse {
        unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
            core::ptr::null_mut()
        }
        unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
    }

    #[global_allocator]
    static ALLOCATOR: Refuse = Refuse;

    /// Touches the alloc-only API so that it is compiled too.
    #[no_mangle]
    pub extern "C" fn ww_nostd_alloc_check() -> usize {
        match watchword_core::KeyUri::parse("otpauth://totp/A:b?secret=GEZDGNBVGY3TQOJQ") {
            Ok(uri) => uri.to_uri().map(|s| s.len()).unwrap_or(0),
            Err(_) => 0,
        }
    }
}

/// Returns 1 when the RFC 6238 SHA-1 vector at T = 59 reproduces, 0 otherwise.
#[no_mangle]
pub extern "C" fn ww_nostd_check() -> u32 {
    let Ok(secret) = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") else {
        return 0;
    };
    let mut text = [0u8; 64];
    let Ok(encoded) = base32::encode_into(secret.as_bytes(), &mut text) else {
        return 0;
    };
    let Ok(totp) = Totp::new(secret.as_bytes(), Algorithm::Sha1, 8, 30) else {
        return 0;
    };
    let Ok(hotp) = Hotp::new(secret.as_bytes(), Algorithm::Sha512, 6) else {
        return 0;
    };
    let ok = matches!(totp.generate(59), Ok(code) if code.as_str() == "94287082")
        && matches!(totp.check("94287082", 59, 1, None), Ok(Check::Accepted(_)))
        && hotp.verify("000000", 0, 3).is_ok()
        && encoded.len() == 32;
    u32::from(ok)
}
