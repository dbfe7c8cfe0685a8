//! Fuzz target `type1`: see [`otaseal_fuzz::type1`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::type1(data));
