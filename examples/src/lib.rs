//! Runnable examples of the otaseal crates. See `update_server.rs` beside this crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod update_server;
