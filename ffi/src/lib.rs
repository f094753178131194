//! watchword-ffi (under construction).
