//! Fuzz target `v3_state`: see [`otaseal_fuzz::v3_state`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::v3_state(data));
