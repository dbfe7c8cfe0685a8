//! Fuzz target `v3_open`: see [`otaseal_fuzz::v3_open`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::v3_open(data));
