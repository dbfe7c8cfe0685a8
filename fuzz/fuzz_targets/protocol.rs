//! Fuzz target `protocol`: see [`otaseal_fuzz::protocol`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::protocol(data));
