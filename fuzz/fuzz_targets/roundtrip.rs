//! Fuzz target `roundtrip`: see [`otaseal_fuzz::roundtrip`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::roundtrip(data));
