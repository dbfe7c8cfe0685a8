//! Fuzz target `v1_decrypt`: see [`otaseal_fuzz::v1_decrypt`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::v1_decrypt(data));
