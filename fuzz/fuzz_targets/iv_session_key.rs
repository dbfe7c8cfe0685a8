//! Fuzz target `iv_session_key`: see [`otaseal_fuzz::iv_session_key`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::iv_session_key(data));
