//! Fuzz target `checksum`: see [`otaseal_fuzz::checksum`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otaseal_fuzz::checksum(data));
