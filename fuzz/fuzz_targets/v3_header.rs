//! Fuzz target `v3_header`: see [`otaseal_fuzz::v3_header`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::v3_header(data));
