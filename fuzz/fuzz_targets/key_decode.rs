//! Fuzz target `key_decode`: see [`otaseal_fuzz::key_decode`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::key_decode(data));
