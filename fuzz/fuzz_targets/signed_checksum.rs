//! Fuzz target `signed_checksum`: see [`otaseal_fuzz::signed_checksum`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::signed_checksum(data));
