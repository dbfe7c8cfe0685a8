//! otaseal-protocol: under construction in this commit series.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
