//! Fuzz target `manifest`: see [`otaseal_fuzz::manifest`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::manifest(data));
