//! Fuzz target `v2_decrypt`: see [`otaseal_fuzz::v2_decrypt`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::v2_decrypt(data));
